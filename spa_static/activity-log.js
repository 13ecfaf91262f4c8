// The activity log: what the app does on the wire and why, newest at the bottom, so a
// person watching a headed test run can follow the token flow. It never holds a token.

function kindOfStatus(status) {
  if (status === 0) return "error";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  return status >= 400 ? "error" : "response";
}

function clockTime(ms) {
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export class ActivityLog extends EventTarget {
  #limit;
  #entries = [];

  constructor(limit = 500) {
    super();
    this.#limit = Math.max(1, limit);
  }

  // kind: a request outcome ("response", "unauthorized", "forbidden", "error"), "refresh",
  // "retry", "cross-tab", "session" or "note"; it picks the colour of the line.
  add(kind, text) {
    const entry = { time: Date.now(), kind, text };
    this.#entries.push(entry);
    if (this.#entries.length > this.#limit) this.#entries.shift();
    this.dispatchEvent(new CustomEvent("entry", { detail: entry }));
  }

  clear() {
    this.#entries = [];
    this.dispatchEvent(new Event("clear"));
  }

  // Renders into a list element and keeps it in step; only `textContent` is used.
  attach(list) {
    const append = (entry) => {
      const item = document.createElement("li");
      item.className = `activity activity-${entry.kind}`;
      item.dataset.testid = "activity-entry";
      item.dataset.kind = entry.kind;
      const time = document.createElement("time");
      time.textContent = clockTime(entry.time);
      const text = document.createElement("span");
      text.textContent = entry.text;
      item.append(time, text);
      const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
      list.append(item);
      while (list.childElementCount > this.#limit) list.firstElementChild.remove();
      if (atBottom) list.scrollTop = list.scrollHeight;
    };
    list.replaceChildren();
    this.#entries.forEach(append);
    this.addEventListener("entry", (e) => append(e.detail));
    this.addEventListener("clear", () => list.replaceChildren());
  }
}

// The innermost interceptor: it sees every request as it goes on the wire, retries and
// refreshes included, and logs method, path and status.
export class ActivityLogInterceptor {
  #log;

  constructor(log) {
    this.#log = log;
  }

  async intercept(req, next) {
    const url = new URL(req.url);
    const label = `${req.method} ${url.origin === window.location.origin ? "" : url.origin}${url.pathname}`;
    const started = performance.now();
    const res = await next(req);
    const ms = Math.round(performance.now() - started);
    const outcome = res.status === 0 ? `failed (${res.error})` : String(res.status);
    this.#log.add(kindOfStatus(res.status), `${label} → ${outcome} in ${ms} ms`);
    return res;
  }
}
