import { HttpClient, HttpContext, HttpErrorResponse } from '@angular/common/http';
import type { ApplicationRef } from '@angular/core';
import { catchError, firstValueFrom, map, of } from 'rxjs';

import { API_BASE, SKIP_AUTH } from '../app/api-base';
import { AuthService } from '../app/auth.service';

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

/**
 * The driver contract of the conformance harness (docs/contract.md), in the test build
 * only. Every call goes through the app's own AuthService and HttpClient, so requests
 * pass the interceptor; the functions close over the services, which are not globals.
 */
export function exposeDriver(app: Promise<ApplicationRef>): void {
  let auth: AuthService | null = null;
  const services = app.then((ref) => {
    auth = ref.injector.get(AuthService);
    return { auth, http: ref.injector.get(HttpClient), api: ref.injector.get(API_BASE) };
  });
  const ready = services.then(() => undefined);

  window.authHarness = Object.freeze({
    ready,
    async login(username: string, password: string): Promise<void> {
      await (await services).auth.login(username, password);
    },
    async logout(): Promise<void> {
      await (await services).auth.logout();
    },
    async request(
      method: string,
      path: string,
      body?: unknown,
      options?: { skipAuth?: boolean },
    ): Promise<DriverResponse> {
      const { http, api } = await services;
      const url = /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : api + path;
      const context = new HttpContext().set(SKIP_AUTH, options?.skipAuth === true);
      const request = http.request(method, url, {
        body: body ?? null,
        context,
        observe: 'response',
        responseType: 'text',
      });
      return firstValueFrom(
        request.pipe(
          map((res): DriverResponse => ({ status: res.status, body: parse(res.body) })),
          catchError((err: HttpErrorResponse) =>
            of<DriverResponse>(
              err.status === 0
                ? { status: 0, body: null, error: typeof err.error === 'string' ? err.error : err.message }
                : { status: err.status, body: parse(err.error) },
            ),
          ),
        ),
      );
    },
    isAuthenticated(): boolean {
      return auth?.isAuthenticated() ?? false;
    },
  });
}

function parse(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') return text ?? null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
