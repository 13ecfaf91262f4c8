// What the tabs of this app share, without ever putting a token in storage:
//
// - a BroadcastChannel: a new access token, a sign-in and a sign-out reach every other tab
//   at once (the token travels from memory to memory);
// - a Web Lock around each renewal, so that tabs whose tokens expire together renew once;
// - a renewal counter in IndexedDB (a number, no token), read before waiting for the lock
//   and again once it is held: if it moved, another tab renewed meanwhile and its token is
//   on the channel, so this tab takes that one instead of rotating the session again.

const LOCK = "tasks-session-renewal";
const DB = "tasks-session";
const STORE = "renewals";

function openDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

export class TabSync {
  #channel = new BroadcastChannel("tasks-session");

  post(message) {
    this.#channel.postMessage(message);
  }

  /** Calls `handler(message)` for every message another tab posts. */
  listen(handler) {
    this.#channel.addEventListener("message", (event) => handler(event.data));
  }

  /** Resolves once a message of `type` arrives, or after `waitMs`, whichever is first. */
  next(type, waitMs) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#channel.removeEventListener("message", onMessage);
        resolve();
      };
      const onMessage = (event) => { if (event.data?.type === type) done(); };
      const timer = setTimeout(done, waitMs);
      this.#channel.addEventListener("message", onMessage);
    });
  }

  /** How many renewals the tabs have made so far; with `bump`, one more is counted. */
  async renewals({ bump = false } = {}) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, "readwrite");
        const store = tx.objectStore(STORE);
        let count = 0;
        const read = store.get("count");
        read.onsuccess = () => {
          count = (read.result ?? 0) + (bump ? 1 : 0);
          if (bump) store.put(count, "count");
        };
        // Resolved once committed: a tab that takes the lock next reads the new count.
        tx.oncomplete = () => resolve(count);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  /**
   * Runs `task` holding the renewal lock. A tab that was frozen while it held the lock keeps
   * it (a closed tab's lock is released): after `waitMs` this tab stops waiting and runs
   * `task` without it. The timer is the page's, like the renewal's own timeout.
   */
  async exclusive(task, waitMs) {
    const give = new AbortController();
    const timer = setTimeout(() => give.abort(), waitMs);
    let granted = false;
    try {
      return await navigator.locks.request(LOCK, { signal: give.signal }, () => {
        granted = true;
        clearTimeout(timer);
        return task();
      });
    } catch (err) {
      if (granted || err?.name !== "AbortError") throw err;
      return task();
    } finally {
      clearTimeout(timer);
    }
  }
}
