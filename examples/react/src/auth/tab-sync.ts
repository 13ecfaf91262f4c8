import type { User } from '../api/client';

/** What tabs of this app tell each other. The token travels in memory, never through storage. */
export type TabMessage =
  | { type: 'token'; token: string; expiresIn: number }
  | { type: 'login'; token: string; expiresIn: number; user: User | null }
  | { type: 'logout' };

const CHANNEL = 'react-example-auth';
const LOCK = 'react-example-refresh';

/**
 * Keeps the tabs of one browser to one refresh at a time: a Web Lock serialises refreshes,
 * a counter in IndexedDB tells a tab that another one refreshed while it waited, and a
 * BroadcastChannel carries the new token (and logins and logouts) to the others.
 */
export class TabSync {
  readonly #channel = new BroadcastChannel(CHANNEL);

  onMessage(listener: (message: TabMessage) => void): void {
    this.#channel.addEventListener('message', (event: MessageEvent<TabMessage>) =>
      listener(event.data),
    );
  }

  post(message: TabMessage): void {
    this.#channel.postMessage(message);
  }

  /**
   * Runs `work` while no other tab of this browser is refreshing, or without the lock once
   * `waitMs` passed: a tab frozen mid-refresh keeps it (a closed tab's is released), and its
   * late refresh, if ever sent on, gets "superseded".
   */
  async exclusive<T>(work: () => Promise<T>, waitMs: number): Promise<T> {
    try {
      return await navigator.locks.request(LOCK, { signal: AbortSignal.timeout(waitMs) }, work);
    } catch (err) {
      if ((err as Error)?.name !== 'TimeoutError') throw err;
      return await work();
    }
  }

  /** Refreshes done by all tabs so far; `count(true)` adds this tab's. */
  async count(bump = false): Promise<number> {
    const db = await openCounter();
    try {
      return await new Promise<number>((resolve, reject) => {
        const tx = db.transaction('counter', 'readwrite');
        const store = tx.objectStore('counter');
        const get = store.get('refreshes');
        get.onsuccess = () => {
          const value = ((get.result as number | undefined) ?? 0) + (bump ? 1 : 0);
          if (bump) store.put(value, 'refreshes');
          tx.oncomplete = () => resolve(value);
        };
        tx.onerror = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  /** Resolves when another tab announces a token, or after `waitMs`. */
  nextToken(waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#channel.removeEventListener('message', onMessage);
        clearTimeout(timer);
        resolve();
      };
      const onMessage = (event: MessageEvent<TabMessage>) => {
        if (event.data?.type === 'token') done();
      };
      const timer = setTimeout(done, waitMs);
      this.#channel.addEventListener('message', onMessage);
    });
  }
}

function openCounter(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(CHANNEL, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('counter');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}
