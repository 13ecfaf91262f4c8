// Profile (guarded): the current user from /api/current-user, the job list, a form that
// creates a job, and a burst control that fires N concurrent requests so that their 401s
// can be seen turning into one refresh.

import { apiUrl } from "./config.js";
import { byTestId, fromTemplate, renderFacts, say } from "./dom.js";

const MAX_BURST = 1000;

function failureText(what, res) {
  if (res.status === 0) return `Could not ${what}: ${res.error}.`;
  if (res.status === 401) return `Could not ${what}: the session has ended.`;
  return `Could not ${what} (status ${res.status}${res.body?.message ? `: ${res.body.message}` : ""}).`;
}

function jobItem(job) {
  const item = document.createElement("li");
  item.dataset.testid = "job-item";
  item.dataset.jobId = String(job.id);
  const id = document.createElement("span");
  id.className = "job-id";
  id.textContent = `#${job.id}`;
  const title = document.createElement("span");
  title.className = "job-title";
  title.textContent = job.title;
  item.append(id, title);
  if (job.createdAt > 0) {
    const created = document.createElement("time");
    created.textContent = new Date(job.createdAt * 1000).toLocaleTimeString();
    item.append(created);
  }
  return item;
}

function tally(responses) {
  const counts = new Map();
  for (const res of responses) counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status === 0 ? "failed" : status} × ${n}`).join(", ");
}

export function profileView(http, log) {
  return {
    mount(outlet) {
      const view = fromTemplate("view-profile");
      const error = byTestId(view, "profile-error");
      const user = byTestId(view, "current-user");
      const jobs = byTestId(view, "job-list");
      const empty = view.querySelector('[data-role="jobs-empty"]');
      const jobForm = view.querySelector('[data-role="job-form"]');
      const jobTitle = byTestId(view, "job-title");
      const jobCreate = byTestId(view, "job-create");
      const jobError = byTestId(view, "job-error");
      const burstForm = view.querySelector('[data-role="burst-form"]');
      const burstCount = byTestId(view, "burst-count");
      const burstButton = byTestId(view, "burst-button");
      const burstResult = byTestId(view, "burst-result");
      const alive = () => view.isConnected;

      const showJobs = (list) => {
        jobs.replaceChildren(...list.map(jobItem));
        empty.hidden = list.length > 0;
      };

      async function load() {
        const [me, list] = await Promise.all([http.get(apiUrl("/api/current-user")), http.get(apiUrl("/api/job-list"))]);
        if (!alive()) return;
        if (me.status === 200) {
          const u = me.body ?? {};
          renderFacts(user, [["Name", u.name], ["Username", u.username], ["Email", u.email], ["Role", u.role]]);
        } else {
          user.replaceChildren();
          say(error, failureText("load the current user", me));
        }
        if (list.status === 200) showJobs(list.body?.jobs ?? []);
        else say(error, failureText("load the jobs", list));
      }

      async function createJob() {
        const title = jobTitle.value.trim();
        if (!title) return say(jobError, "Enter a title.");
        say(jobError, "");
        jobCreate.disabled = true;
        const res = await http.post(apiUrl("/api/jobs"), { title });
        if (!alive()) return undefined;
        jobCreate.disabled = false;
        if (res.status !== 201) return say(jobError, failureText("create the job", res));
        jobs.append(jobItem(res.body));
        empty.hidden = true;
        jobTitle.value = "";
        return undefined;
      }

      async function burst() {
        const n = Math.min(MAX_BURST, Math.max(1, Number.parseInt(burstCount.value, 10) || 10));
        burstButton.disabled = true;
        burstResult.dataset.state = "running";
        burstResult.textContent = `${n} requests in flight…`;
        log.add("note", `burst: ${n} concurrent GET /api/job-list`);
        const responses = await Promise.all(Array.from({ length: n }, () => http.get(apiUrl("/api/job-list"))));
        if (!alive()) return;
        const ok = responses.filter((r) => r.status === 200);
        burstButton.disabled = false;
        burstResult.textContent = `${ok.length}/${n} succeeded (${tally(responses)})`;
        Object.assign(burstResult.dataset, { state: "done", ok: String(ok.length), total: String(n) });
        log.add("note", `burst finished: ${ok.length}/${n} succeeded`);
        if (ok.length) showJobs(ok.at(-1).body?.jobs ?? []);
      }

      jobForm.addEventListener("submit", (e) => {
        e.preventDefault();
        createJob();
      });
      burstForm.addEventListener("submit", (e) => {
        e.preventDefault();
        burst();
      });
      outlet.append(view);
      load();
    },
  };
}
