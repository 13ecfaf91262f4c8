import axios from 'axios';

declare global {
  interface Window {
    // Set by a test harness before any app script runs; absent in production.
    authHarnessConfig?: { apiBaseUrl?: string };
  }
}

/** The token a request went out with, and how many refreshes this tab had started then. */
export interface Sent {
  token: string | null;
  round: number;
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Send without the access token. A config field, so no header carries it to the server. */
    skipAuth?: boolean;
    /** Set by the auth interceptor: the token this request went out with. */
    sent?: Sent;
    /** Set by the auth interceptor: this request was already retried after a 401. */
    retried?: boolean;
  }
}

const base = window.authHarnessConfig?.apiBaseUrl ?? location.origin;
/** Where the API lives: the harness's backend in tests, this origin otherwise. */
export const API_BASE = base.replace(/\/+$/, '');
export const API_ORIGIN = new URL(API_BASE).origin;

/** Paths that carry no access token: the cookie is their credential. */
export const AUTH_PATHS = ['/api/login', '/api/refresh-token', '/api/logout'];

/** The custom header the backend's CSRF check asks for on refresh and logout. */
export const CSRF_HEADERS = { 'X-Requested-With': 'XMLHttpRequest' };

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

/** The app's one HTTP client; `main.tsx` installs the auth interceptor on it. */
export const api = axios.create({ baseURL: API_BASE });
