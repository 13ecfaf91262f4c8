// Coordination between tabs of this app in one browser, which share one refresh cookie.
//
// - A Web Lock serializes refreshes across tabs: two tabs must never send the same
//   refresh cookie at once, or the second would be seen as a replayed (stolen) token.
// - A counter of refreshes (a number, never a token) lives in IndexedDB and is read and
//   written only while holding the lock. A tab that finds it changed while it waited
//   knows another tab has just refreshed. (A localStorage counter is not consistent
//   across tabs for this; IndexedDB read inside the lock is.)
// - Tokens, logout and login travel between tabs over a BroadcastChannel: memory only.
// - The lock is waited for at most a bound. A tab frozen mid-refresh keeps its lock for
//   as long as it is frozen (a closed tab's lock is released by the browser); the other
//   tabs then refresh without it. Should the frozen tab's refresh still reach the backend,
//   it arrived before their rotation and is answered "superseded", not taken for a theft.

const LOCK_NAME = "auth-refresh";
const CHANNEL_NAME = "auth";
const DB_NAME = "auth-refresh";
const STORE = "counters";
const KEY = "refreshes";
const DB_OPEN_TIMEOUT_MS = 2000;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openCounterDb() {
  if (!("indexedDB" in window)) return Promise.resolve(null);
  const opening = new Promise((resolve) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
    request.onblocked = () => resolve(null);
  });
  // Without a counter the tabs still refresh correctly, only possibly once more.
  const giveUp = new Promise((resolve) => setTimeout(() => resolve(null), DB_OPEN_TIMEOUT_MS));
  return Promise.race([opening, giveUp]);
}

export class TabSync extends EventTarget {
  #channel = null;
  #db = null;

  constructor() {
    super();
    if ("BroadcastChannel" in window) {
      this.#channel = new BroadcastChannel(CHANNEL_NAME);
      this.#channel.addEventListener("message", (e) => {
        this.dispatchEvent(new CustomEvent("message", { detail: e.data }));
      });
    }
  }

  post(message) {
    this.#channel?.postMessage(message);
  }

  // The next message that matches, or null after `ms`.
  nextMessage(matches, ms) {
    return new Promise((resolve) => {
      const finish = (value) => {
        clearTimeout(timer);
        this.removeEventListener("message", onMessage);
        resolve(value);
      };
      const onMessage = (e) => matches(e.detail) && finish(e.detail);
      const timer = setTimeout(() => finish(null), ms);
      this.addEventListener("message", onMessage);
    });
  }

  // Runs `task(turn)` while holding the cross-tab refresh lock, or without it once
  // `waitMs` passed (0: no bound; `turn.locked` tells). `turn.count` is the refresh
  // counter read inside the lock, `turn.countBefore` the one read before waiting for it,
  // and `turn.commit()` records one more refresh and returns the new count.
  async withRefreshLock(task, waitMs = 0) {
    const countBefore = await this.#readCount();
    if (!navigator.locks) return task(this.#turn(countBefore, countBefore, false));
    const run = async (locked) => task(this.#turn(countBefore, await this.#readCount(), locked));
    const bounded = waitMs > 0 ? { signal: AbortSignal.timeout(waitMs) } : {};
    try {
      return await navigator.locks.request(LOCK_NAME, bounded, () => run(true));
    } catch (err) {
      if (err?.name !== "TimeoutError") throw err;
      return run(false);
    }
  }

  #turn(countBefore, count, locked) {
    return { countBefore, count, locked,
             commit: () => this.#writeCount(count === null ? null : count + 1) };
  }

  async #database() {
    this.#db ??= openCounterDb();
    return this.#db;
  }

  async #readCount() {
    try {
      const db = await this.#database();
      if (!db) return null;
      const value = await promised(db.transaction(STORE).objectStore(STORE).get(KEY));
      return Number.isInteger(value) ? value : 0;
    } catch {
      return null;
    }
  }

  async #writeCount(value) {
    if (value === null) return null;
    try {
      const db = await this.#database();
      if (!db) return null;
      const tx = db.transaction(STORE, "readwrite");
      tx.objectStore(STORE).put(value, KEY);
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
      return value;
    } catch {
      return null;
    }
  }
}
