// The driver contract (docs/contract.md), in the test build only: `vite build --mode harness`
// adds this module to index.html (vite.config.ts); a production build never includes it.
import { isAxiosError } from 'axios';

import { api } from './api/client';
import { session } from './auth/session';
import { ready } from './main';

interface DriverResponse {
  status: number;
  body: unknown;
  error?: string;
}

declare global {
  interface Window {
    authHarness?: unknown;
  }
}

// `request` goes through the app's axios instance and its interceptors; `skipAuth` is the
// app's own opt-out, a config field that never reaches the server.
window.authHarness = Object.freeze({
  ready,
  async login(username: string, password: string): Promise<void> {
    await ready;
    await session.login(username, password);
  },
  async logout(): Promise<void> {
    await ready;
    await session.logout();
  },
  async request(
    method: string,
    path: string,
    body?: unknown,
    options?: { skipAuth?: boolean },
  ): Promise<DriverResponse> {
    await ready;
    try {
      const res = await api.request({
        method,
        url: path,
        data: body ?? undefined,
        skipAuth: options?.skipAuth === true,
      });
      return { status: res.status, body: res.data };
    } catch (err) {
      if (isAxiosError(err) && err.response) {
        return { status: err.response.status, body: err.response.data };
      }
      return { status: 0, body: null, error: err instanceof Error ? err.message : String(err) };
    }
  },
  isAuthenticated(): boolean {
    return session.isAuthenticated();
  },
});
