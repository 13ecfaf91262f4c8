import { Component, inject } from '@angular/core';
import { RouterLink, RouterOutlet } from '@angular/router';

import { AuthService } from './auth.service';

@Component({
  selector: 'app-root',
  imports: [RouterLink, RouterOutlet],
  template: `
    <header>
      <a routerLink="/">Home</a>
      <a routerLink="/profile" data-testid="nav-profile">Profile</a>
      <a routerLink="/admin">Admin</a>
      @if (auth.isAuthenticated()) {
        <span>Signed in{{ auth.user() ? ' as ' + auth.user()!.username : '' }}</span>
        <button type="button" (click)="auth.logout()">Sign out</button>
      }
    </header>
    <main><router-outlet /></main>
  `,
})
export class App {
  protected readonly auth = inject(AuthService);
}
