"""Scripts run in the page to look for token values where scripts could reach them."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page

# Everything in the page's storage as text: Web Storage, every IndexedDB record, every
# Cache Storage response, and document.cookie.
_STORAGE_DUMP = """async () => {
  const out = { localStorage: "", sessionStorage: "", indexedDB: "", cacheStorage: "",
                documentCookie: document.cookie };
  const dumpStorage = (s) => JSON.stringify(Object.entries({ ...s }));
  for (const kind of ["localStorage", "sessionStorage"]) {
    try { out[kind] = dumpStorage(window[kind]); } catch (e) { out[kind] = `(${e})`; }
  }
  const records = [];
  try {
    for (const info of await indexedDB.databases()) {
      const db = await new Promise((ok, fail) => {
        const r = indexedDB.open(info.name);
        r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
        r.onupgradeneeded = () => r.transaction.abort();
      });
      for (const name of db.objectStoreNames) {
        const store = db.transaction(name, "readonly").objectStore(name);
        const answer = (q) => new Promise((ok, fail) => {
          q.onsuccess = () => ok(q.result); q.onerror = () => fail(q.error);
        });
        const keys = await answer(store.getAllKeys());
        const values = await answer(store.getAll());
        records.push(JSON.stringify([info.name, name, keys, values]));
      }
      db.close();
    }
  } catch (e) { records.push(`(${e})`); }
  out.indexedDB = records.join("\\n");
  const cached = [];
  try {
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) {
        const res = await cache.match(req);
        const body = res ? await res.text() : "";
        cached.push(`${name} ${req.url} ${JSON.stringify([...req.headers])} ${body}`);
      }
    }
  } catch (e) { cached.push(`(${e})`); }
  out.cacheStorage = cached.join("\\n");
  return out;
}"""

# A bounded breadth-first walk from `window` over own property names (enumerable or
# not), reading values through getters; reports the path of every string holding a
# needle. Private fields and closures are out of reach, which is the point. Web Storage is
# left out: it is S4's (`found_in_storage`), so a token kept there fails S4, not S5 too.
_GLOBALS_WALK = """([needles, maxNodes, maxDepth]) => {
  const hits = [];
  const storages = [];
  try { storages.push(window.localStorage, window.sessionStorage); } catch { /* opaque origin */ }
  const seen = new Set([window, ...storages]);
  const queue = [[window, "window", 0]];
  let nodes = 0;
  const check = (value, path) => {
    if (typeof value === "string" && needles.some((n) => value.includes(n))) hits.push(path);
  };
  while (queue.length && nodes < maxNodes) {
    const [obj, path, depth] = queue.shift();
    nodes += 1;
    let names = [];
    try { names = Object.getOwnPropertyNames(obj); } catch { continue; }
    const extra = [];
    try {
      if (obj instanceof Map) for (const [k, v] of obj) extra.push([String(k), v]);
      if (obj instanceof Set) for (const v of obj) extra.push(["<set>", v]);
    } catch { /* a detached or revoked object */ }
    for (const name of names) {
      let value;
      try { value = obj[name]; } catch { continue; }
      // Getters read on a prototype can hand back rejected promises: keep them quiet.
      if (value instanceof Promise) { value.catch(() => {}); continue; }
      extra.push([name, value]);
    }
    for (const [name, value] of extra) {
      const at = `${path}.${name}`;
      check(value, at);
      if (value && (typeof value === "object" || typeof value === "function") && !seen.has(value)
          && depth < maxDepth && !(value instanceof Node)) {
        seen.add(value);
        queue.push([value, at, depth + 1]);
      }
    }
  }
  return { hits, nodes };
}"""


def storage_dump(page: Page) -> dict[str, str]:
    dump: dict[str, str] = page.evaluate(_STORAGE_DUMP)
    return dump


def found_in_storage(page: Page, values: list[str]) -> list[str]:
    """Where any of `values` occurs in the page's storage, as 'place: value-prefix' lines."""
    return [f"{place} holds {v[:12]}…" for place, text in storage_dump(page).items()
            for v in values if v and v in text]


def found_in_globals(page: Page, values: list[str], max_nodes: int = 50_000,
                     max_depth: int = 4) -> list[str]:
    walk = page.evaluate(_GLOBALS_WALK, [values, max_nodes, max_depth])
    hits: list[str] = walk["hits"]
    return hits


def found_in_document(page: Page, values: list[str]) -> list[str]:
    """Token values in the URL, history state or the DOM (text and attributes)."""
    places = page.evaluate("""() => ({
      url: location.href,
      historyState: JSON.stringify(history.state ?? null),
      dom: document.documentElement.outerHTML,
    })""")
    return [f"{place} holds {v[:12]}…" for place, text in places.items() for v in values
            if v and v in text]


def cookie_value(context: BrowserContext, name: str) -> str | None:
    """The value of cookie `name` in the browser's jar (HttpOnly ones included), if any."""
    values = [c["value"] for c in context.cookies() if c["name"] == name]
    return values[0] if values else None
