import { HttpContextToken, HttpHeaders } from '@angular/common/http';
import { InjectionToken } from '@angular/core';

declare global {
  interface Window {
    // Set by a test harness before any app script runs; absent in production.
    authHarnessConfig?: { apiBaseUrl?: string };
  }
}

/** Where the API lives: the harness's backend in tests, this origin otherwise. */
export const API_BASE = new InjectionToken<string>('API_BASE', {
  providedIn: 'root',
  factory: () => (window.authHarnessConfig?.apiBaseUrl ?? location.origin).replace(/\/+$/, ''),
});

/** Marks a request that must go out without the access token (no header reaches the server). */
export const SKIP_AUTH = new HttpContextToken<boolean>(() => false);

/** The custom header the backend's CSRF check asks for on refresh and logout. */
export const CSRF_HEADERS = new HttpHeaders({ 'X-Requested-With': 'XMLHttpRequest' });

/** Paths that carry no access token: the cookie is their credential. */
export const AUTH_PATHS = ['/api/login', '/api/refresh-token', '/api/logout'];

export interface User {
  username: string;
  name: string;
  role: string;
}

export interface TokenResponse {
  accessToken: string;
  expiresIn: number;
  user?: User;
}
