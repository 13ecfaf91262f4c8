// Coordination between tabs of this app in one browser, which share one refresh cookie.
//
// - A Web Lock serializes refreshes across tabs: two tabs must never send the same
//   refresh cookie at once, or the second would be seen as a replayed (stolen) token.
// - A counter of refreshes (a number, never a token) lives in IndexedDB and is read and
//   written only while holding the lock. A tab that finds it changed while it waited
//   knows another tab has just refreshed. (A localStorage counter is not consistent
//   across tabs for this; IndexedDB read inside the lock is.)
// - Tokens, logout and login travel between tabs over a BroadcastChannel: memory only.

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

  // Runs `task(turn)` while holding the cross-tab refresh lock. `turn.count` is the
  // refresh counter read inside the lock, `turn.countBefore` the one read before waiting
  // for it, and `turn.commit()` records one more refresh and returns the new count.
  async withRefreshLock(task) {
    const countBefore = await this.#readCount();
    if (!navigator.locks) return task(this.#turn(countBefore, countBefore));
    return navigator.locks.request(LOCK_NAME, async () => {
      const count = await this.#readCount();
      return task(this.#turn(countBefore, count));
    });
  }

  #turn(countBefore, count) {
    return { countBefore, count, commit: () => this.#writeCount(count === null ? null : count + 1) };
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
