import type { Routes } from '@angular/router';

import { signedIn, signedOut } from './auth.guards';
import { AdminPage } from './pages/admin.page';
import { HomePage } from './pages/home.page';
import { LoginPage } from './pages/login.page';
import { ProfilePage } from './pages/profile.page';

export const routes: Routes = [
  { path: '', component: HomePage, title: 'Home' },
  { path: 'login', component: LoginPage, canActivate: [signedOut], title: 'Sign in' },
  { path: 'profile', component: ProfilePage, canActivate: [signedIn], title: 'Profile' },
  { path: 'admin', component: AdminPage, canActivate: [signedIn], title: 'Admin' },
  { path: '**', redirectTo: '' },
];
