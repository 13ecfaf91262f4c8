import { isAxiosError } from 'axios';

import { api, CSRF_HEADERS, type Sent, type TokenResponse, type User } from '../api/client';
import { TabSync } from './tab-sync';

/** How a refresh ended. `rejected`: the server said no (401/403), so the session is over. */
export type RefreshOutcome =
  | { ok: true }
  | { ok: false; rejected: boolean; status: number; error: string };

/** What the pages see of the session: whether there is one, and whose. Never the token. */
export interface SessionState {
  signedIn: boolean;
  user: User | null;
}

const SKEW_MS = 5 * 60 * 1000; // renew before sending when exp is this close
const REFRESH_TIMEOUT_MS = 10_000;
const LOCK_WAIT_MS = 15_000; // longer than a refresh may take
const OK: RefreshOutcome = { ok: true };

/**
 * The session: the access token in a private field (memory only: never storage, React
 * state or a global), the current user, login, logout, and the one shared refresh. It
 * emits `change` when `state()` changes, for `useSession`.
 */
class Session extends EventTarget {
  #token: string | null = null;
  #expiresAt = 0;
  #lifetimeMs = 0;
  #user: User | null = null;
  #state: SessionState = { signedIn: false, user: null };
  #refreshing: Promise<RefreshOutcome> | null = null; // the one refresh in flight
  #rounds = 0; // refreshes started by this tab
  #lastFailure: { round: number; outcome: RefreshOutcome } | null = null;
  #restoring: Promise<void> | null = null;
  readonly #tabs = new TabSync();

  constructor() {
    super();
    this.#tabs.onMessage((m) => {
      if (m.type === 'token' && (this.#token !== null || this.#refreshing)) {
        this.#setToken(m.token, m.expiresIn);
      } else if (m.type === 'login') {
        this.#user = m.user;
        this.#setToken(m.token, m.expiresIn);
      } else if (m.type === 'logout') {
        this.#endSession();
      }
    });
  }

  token(): string | null {
    return this.#token;
  }

  isAuthenticated(): boolean {
    return this.#token !== null;
  }

  // For useSyncExternalStore: stable functions, and a state object replaced on change.
  readonly subscribe = (onChange: () => void): (() => void) => {
    this.addEventListener('change', onChange);
    return () => this.removeEventListener('change', onChange);
  };

  readonly state = (): SessionState => this.#state;

  /** Bootstrap, once per page: one silent refresh from the cookie, then the current user. */
  restore(): Promise<void> {
    this.#restoring ??= (async () => {
      const outcome = await this.refresh(null);
      if (!outcome.ok) return;
      try {
        this.#user = (await api.get<User>('/api/current-user')).data;
        this.#publish();
      } catch {
        // The profile page asks again; the session itself is fine.
      }
    })();
    return this.#restoring;
  }

  async login(username: string, password: string): Promise<void> {
    let res: TokenResponse;
    try {
      res = (await api.post<TokenResponse>('/api/login', { username, password })).data;
    } catch (err) {
      const answer = isAxiosError<{ message?: string }>(err) ? err.response : undefined;
      throw new Error(answer?.data?.message ?? `login failed (${answer?.status ?? 0})`);
    }
    this.#user = res.user ?? null;
    this.#setToken(res.accessToken, res.expiresIn);
    this.#tabs.post({
      type: 'login',
      token: res.accessToken,
      expiresIn: res.expiresIn,
      user: this.#user,
    });
  }

  async logout(): Promise<void> {
    this.#endSession();
    this.#tabs.post({ type: 'logout' });
    try {
      await api.post('/api/logout', null, { headers: CSRF_HEADERS });
    } catch {
      // Memory is cleared either way.
    }
  }

  /** Before a request: wait for the refresh in flight, or renew first when exp is near. */
  async beforeSend(): Promise<Sent> {
    if (this.#refreshing) await this.#refreshing;
    else if (this.#token !== null && this.#renewalDue()) await this.refresh();
    return { token: this.#token, round: this.#rounds };
  }

  /**
   * After a 401 for a request sent with `sent`: the refresh it should wait for. A refresh
   * that started after the request went out, and failed, answers for it too, so a late 401
   * does not start another attempt.
   */
  refreshAfter(sent: Sent): Promise<RefreshOutcome> {
    const failure = this.#lastFailure;
    if (!this.#refreshing && failure && failure.round > sent.round) {
      return Promise.resolve(failure.outcome);
    }
    return this.refresh(sent.token);
  }

  /**
   * The one refresh: every caller while it is in flight gets the same promise, and tabs
   * take turns through a Web Lock, waited for at most `LOCK_WAIT_MS` so that a tab frozen
   * mid-refresh does not block the others. `failed` is the token that got the 401; if
   * another tab has replaced it meanwhile, no request is made.
   */
  refresh(failed: string | null = this.#token): Promise<RefreshOutcome> {
    if (this.#refreshing) return this.#refreshing;
    const round = ++this.#rounds;
    const hadSession = this.#token !== null || this.#user !== null;
    const shared: Promise<RefreshOutcome> = (async () => {
      try {
        const before = await this.#tabs.count();
        return await this.#tabs.exclusive(
          () => this.#refreshInLock(failed, before, hadSession),
          LOCK_WAIT_MS,
        );
      } catch (err) {
        return { ok: false, rejected: false, status: 0, error: String(err) } as const;
      }
    })().then((outcome) => {
      this.#lastFailure = outcome.ok || outcome.rejected ? null : { round, outcome };
      if (this.#refreshing === shared) this.#refreshing = null;
      return outcome;
    });
    this.#refreshing = shared;
    return shared;
  }

  async #refreshInLock(
    failed: string | null,
    before: number,
    hadSession: boolean,
  ): Promise<RefreshOutcome> {
    const replaced = () => this.#token !== null && this.#token !== failed;
    if ((await this.#tabs.count()) !== before && !replaced()) await this.#tabs.nextToken(1000);
    if (replaced()) return OK; // another tab refreshed while this one waited for the lock
    // Aborted inside the lock, by a timer of the page's clock: a refresh that never answers
    // must not keep the lock, and every tab waiting for it, forever.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REFRESH_TIMEOUT_MS);
    try {
      const { data } = await api.post<TokenResponse>('/api/refresh-token', null, {
        headers: CSRF_HEADERS,
        signal: abort.signal,
      });
      if (typeof data?.accessToken !== 'string') throw new Error('refresh answer without a token');
      this.#setToken(data.accessToken, data.expiresIn);
      await this.#tabs.count(true);
      this.#tabs.post({ type: 'token', token: data.accessToken, expiresIn: data.expiresIn });
      return OK;
    } catch (err) {
      const status = isAxiosError(err) ? (err.response?.status ?? 0) : 0;
      const rejected = status === 401 || status === 403;
      if (rejected && replaced()) return OK; // lost a race to another tab's refresh
      if (rejected && hadSession) {
        this.#endSession();
        this.#tabs.post({ type: 'logout' });
      }
      const error = abort.signal.aborted ? 'refresh timed out' : `refresh ${status}`;
      return { ok: false, rejected, status, error };
    } finally {
      clearTimeout(timer);
    }
  }

  #renewalDue(): boolean {
    const left = this.#expiresAt - Date.now();
    return left > 0 && left < Math.min(SKEW_MS, this.#lifetimeMs / 2);
  }

  #setToken(token: string, expiresIn: number): void {
    this.#token = token;
    this.#lifetimeMs = (expiresIn ?? 0) * 1000;
    this.#expiresAt = expiryOf(token) || Date.now() + this.#lifetimeMs;
    this.#publish();
  }

  /** Memory is cleared; a guarded page then gives way to the login page (`App`). */
  #endSession(): void {
    this.#token = null;
    this.#user = null;
    this.#publish();
  }

  #publish(): void {
    const signedIn = this.#token !== null;
    if (signedIn === this.#state.signedIn && this.#user === this.#state.user) return;
    this.#state = { signedIn, user: this.#user };
    this.dispatchEvent(new Event('change'));
  }
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

export const session = new Session();
