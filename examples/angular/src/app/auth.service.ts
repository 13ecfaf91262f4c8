import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Router } from '@angular/router';
import {
  catchError,
  defer,
  finalize,
  firstValueFrom,
  map,
  Observable,
  of,
  shareReplay,
  tap,
  timeout,
  TimeoutError,
} from 'rxjs';

import { API_BASE, CSRF_HEADERS, type TokenResponse, type User } from './api-base';
import { TabSync } from './tab-sync';

/** How a refresh ended. `rejected`: the server said no (401/403), so the session is over. */
export type RefreshOutcome =
  | { ok: true }
  | { ok: false; rejected: boolean; status: number; error: string };

/** The token a request went out with, and how many refreshes this tab had started then. */
export interface Sent {
  token: string | null;
  round: number;
}

const SKEW_MS = 5 * 60 * 1000; // refresh before sending when exp is this close
const REFRESH_TIMEOUT_MS = 10_000;
const LOCK_WAIT_MS = 15_000; // longer than a refresh may take
const GUARDED = ['/profile', '/admin'];
const OK: RefreshOutcome = { ok: true };

/**
 * The session: the access token in memory (a signal, never storage or a global), the
 * current user, login, logout, and the one shared refresh.
 */
@Injectable({ providedIn: 'root' })
export class AuthService {
  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);
  private readonly api = inject(API_BASE);
  private readonly tabs = inject(TabSync);

  private readonly accessToken = signal<string | null>(null);
  private expiresAt = 0;
  private lifetimeMs = 0;
  private refreshing: Observable<RefreshOutcome> | null = null; // the one refresh in flight
  private rounds = 0; // refreshes started by this tab
  private lastFailure: { round: number; outcome: RefreshOutcome } | null = null;

  readonly user = signal<User | null>(null);
  readonly isAuthenticated = computed(() => this.accessToken() !== null);

  constructor() {
    this.tabs.messages$.pipe(takeUntilDestroyed(inject(DestroyRef))).subscribe((m) => {
      if (m.type === 'token' && (this.accessToken() !== null || this.refreshing)) {
        this.setToken(m.token, m.expiresIn);
      } else if (m.type === 'login') {
        this.setToken(m.token, m.expiresIn);
        this.user.set(m.user);
        this.leaveLoginPage();
      } else if (m.type === 'logout') {
        this.endSession();
      }
    });
  }

  token(): string | null {
    return this.accessToken();
  }

  /** Bootstrap: one silent refresh from the cookie, then the current user. */
  async restore(): Promise<void> {
    const outcome = await firstValueFrom(this.refresh(null));
    if (!outcome.ok) return;
    try {
      this.user.set(await firstValueFrom(this.http.get<User>(`${this.api}/api/current-user`)));
    } catch {
      // The profile page asks again; the session itself is fine.
    }
  }

  async login(username: string, password: string): Promise<void> {
    let res: TokenResponse;
    try {
      res = await firstValueFrom(
        this.http.post<TokenResponse>(`${this.api}/api/login`, { username, password }),
      );
    } catch (err) {
      const e = err as HttpErrorResponse;
      throw new Error(e.error?.message ?? `login failed (${e.status})`);
    }
    this.setToken(res.accessToken, res.expiresIn);
    this.user.set(res.user ?? null);
    this.tabs.post({ type: 'login', token: res.accessToken, expiresIn: res.expiresIn, user: res.user ?? null });
    this.leaveLoginPage();
  }

  async logout(): Promise<void> {
    this.endSession();
    this.tabs.post({ type: 'logout' });
    await firstValueFrom(
      this.http.post(`${this.api}/api/logout`, null, { headers: CSRF_HEADERS }).pipe(
        catchError(() => of(null)), // memory is cleared either way
      ),
    );
  }

  /** Before a request: wait for a refresh in flight, or refresh first when exp is near. */
  beforeSend(): Observable<Sent> {
    const soon = this.expiresAt - Date.now() < Math.min(SKEW_MS, this.lifetimeMs / 2);
    const wait =
      this.refreshing ??
      (this.accessToken() && soon && this.expiresAt > Date.now() ? this.refresh() : of(OK));
    return wait.pipe(map(() => ({ token: this.accessToken(), round: this.rounds })));
  }

  /**
   * After a 401 for a request sent with `sent`: the refresh it should wait for. A refresh
   * that started after the request went out, and failed, answers for it too, so a late 401
   * does not start another attempt.
   */
  refreshAfter(sent: Sent): Observable<RefreshOutcome> {
    const failure = this.lastFailure;
    if (!this.refreshing && failure && failure.round > sent.round) return of(failure.outcome);
    return this.refresh(sent.token);
  }

  /**
   * The one refresh: every caller while it is in flight shares it (`shareReplay`), and
   * tabs take turns through a Web Lock. `failed` is the token that got the 401; if another
   * tab has replaced it meanwhile, no request is made.
   */
  refresh(failed: string | null = this.accessToken()): Observable<RefreshOutcome> {
    if (this.refreshing) return this.refreshing;
    const round = ++this.rounds;
    const hadSession = this.accessToken() !== null || this.user() !== null;
    const shared = defer(async () => {
      const before = await this.tabs.count();
      return this.tabs.exclusive(
        () => this.refreshInLock(failed, before, hadSession),
        LOCK_WAIT_MS,
      );
    }).pipe(
      catchError((err: unknown) =>
        of<RefreshOutcome>({ ok: false, rejected: false, status: 0, error: String(err) }),
      ),
      tap((outcome) => {
        this.lastFailure = outcome.ok || outcome.rejected ? null : { round, outcome };
      }),
      finalize(() => {
        if (this.refreshing === shared) this.refreshing = null;
      }),
      shareReplay(1),
    );
    this.refreshing = shared;
    return shared;
  }

  private async refreshInLock(
    failed: string | null,
    before: number,
    hadSession: boolean,
  ): Promise<RefreshOutcome> {
    const replaced = () => this.accessToken() !== null && this.accessToken() !== failed;
    if ((await this.tabs.count()) !== before && !replaced()) await this.tabs.nextToken(1000);
    if (replaced()) return OK; // another tab refreshed while this one waited for the lock
    try {
      const res = await firstValueFrom(
        this.http
          .post<TokenResponse>(`${this.api}/api/refresh-token`, null, { headers: CSRF_HEADERS })
          .pipe(timeout(REFRESH_TIMEOUT_MS)),
      );
      this.setToken(res.accessToken, res.expiresIn);
      await this.tabs.count(true);
      this.tabs.post({ type: 'token', token: res.accessToken, expiresIn: res.expiresIn });
      return OK;
    } catch (err) {
      const status = err instanceof HttpErrorResponse ? err.status : 0;
      const rejected = status === 401 || status === 403;
      if (rejected && replaced()) return OK; // lost a race to another tab's refresh
      if (rejected && hadSession) {
        this.endSession();
        this.tabs.post({ type: 'logout' });
      }
      const error = err instanceof TimeoutError ? 'refresh timed out' : `refresh ${status}`;
      return { ok: false, rejected, status, error };
    }
  }

  private setToken(token: string, expiresIn: number): void {
    this.accessToken.set(token);
    this.lifetimeMs = (expiresIn ?? 0) * 1000;
    this.expiresAt = expiryOf(token) || Date.now() + this.lifetimeMs;
  }

  /** Memory is cleared and the login page shown; a guarded page is remembered for later. */
  private endSession(): void {
    const had = this.accessToken() !== null || this.user() !== null;
    this.accessToken.set(null);
    this.user.set(null);
    if (!had) return;
    const url = this.router.url;
    const path = url.split(/[?#]/)[0];
    if (path === '/login') return;
    const returnUrl = GUARDED.includes(path) ? { returnUrl: url } : {};
    void this.router.navigate(['/login'], { queryParams: returnUrl });
  }

  /** After a login (here or in another tab), the login page gives way to where the user was going. */
  private leaveLoginPage(): void {
    const tree = this.router.parseUrl(this.router.url);
    if (tree.root.children['primary']?.segments.map((s) => s.path).join('/') !== 'login') return;
    void this.router.navigateByUrl(safeReturnUrl(tree.queryParamMap.get('returnUrl')), {
      replaceUrl: true,
    });
  }
}

/** A same-app path to go back to after login; anything else means the profile page. */
export function safeReturnUrl(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : '/profile';
}

function expiryOf(jwt: string): number {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')));
    return typeof claims.exp === 'number' ? claims.exp * 1000 : 0;
  } catch {
    return 0;
  }
}
