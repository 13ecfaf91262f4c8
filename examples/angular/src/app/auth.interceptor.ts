import {
  HttpErrorResponse,
  type HttpEvent,
  type HttpInterceptorFn,
  type HttpRequest,
} from '@angular/common/http';
import { inject } from '@angular/core';
import { catchError, type Observable, switchMap, throwError } from 'rxjs';

import { API_BASE, AUTH_PATHS, SKIP_AUTH } from './api-base';
import { AuthService } from './auth.service';

/**
 * Adds the access token to API requests and turns a 401 into one shared refresh and one
 * retry. Other origins never see the token (or the cookie); a 403 is an answer, not an
 * expired token (RFC 6750 section 3.1); a retry that still gets 401 fails with that 401.
 */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  const auth = inject(AuthService);
  const url = new URL(req.url, location.href);
  if (url.origin !== new URL(inject(API_BASE)).origin) return next(req);
  const api = req.clone({ withCredentials: true }); // the refresh cookie, cross-origin too
  if (req.context.get(SKIP_AUTH) || AUTH_PATHS.includes(url.pathname)) return next(api);

  return auth.beforeSend().pipe(
    switchMap((sent) =>
      next(withToken(api, sent.token)).pipe(
        catchError((error: unknown) => {
          if (!isUnauthorized(error) || sent.token === null) return throwError(() => error);
          const current = auth.token();
          if (current === null) return throwError(() => error); // the session ended meanwhile
          if (current !== sent.token) return next(withToken(api, current)); // already refreshed
          return auth.refreshAfter(sent).pipe(
            switchMap((outcome): Observable<HttpEvent<unknown>> => {
              if (outcome.ok) return next(withToken(api, auth.token()));
              if (outcome.rejected) return throwError(() => error);
              return throwError(
                () => new HttpErrorResponse({ status: outcome.status, error: outcome.error, url: req.url }),
              );
            }),
          );
        }),
      ),
    ),
  );
};

function withToken(req: HttpRequest<unknown>, token: string | null): HttpRequest<unknown> {
  return token ? req.clone({ setHeaders: { Authorization: `Bearer ${token}` } }) : req;
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof HttpErrorResponse && error.status === 401;
}
