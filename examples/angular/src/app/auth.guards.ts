import { inject } from '@angular/core';
import { type CanActivateFn, Router } from '@angular/router';

import { AuthService, safeReturnUrl } from './auth.service';

/** Guarded pages: logged out, the user goes to login and comes back after it. */
export const signedIn: CanActivateFn = (_route, state) =>
  inject(AuthService).isAuthenticated() ||
  inject(Router).createUrlTree(['/login'], { queryParams: { returnUrl: state.url } });

/** The login page: already logged in, the user goes where they were going. */
export const signedOut: CanActivateFn = (route) =>
  !inject(AuthService).isAuthenticated() ||
  inject(Router).parseUrl(safeReturnUrl(route.queryParamMap.get('returnUrl')));
