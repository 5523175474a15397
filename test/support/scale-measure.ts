/**
 * Measurements over a scale store (test/support/scale-store.ts) through a real spawned server on
 * 127.0.0.1: the latency of every API call the dashboard makes (ui/src/lib/api.ts, with the
 * parameters its pages send), and the collector's memory under a sustained ingest load.
 * Measurements only: nothing here asserts on a time.
 */
import { readFileSync } from "node:fs";
import type { SeamtraceEvent } from "@seamtrace/sdk";
import { DAY, generateRun } from "./scale-data.js";
import { SCALE_PASSWORD, SCALE_USERS, type ScaleStore } from "./scale-store.js";
import { spawnServer, type SpawnedServer } from "./server.js";

export interface RouteCall {
  /** The route as the table names it, e.g. "GET /v1/runs?workflow". */
  name: string;
  method: "GET" | "POST";
  path: string;
  /** Fewer repetitions (and warm-ups) than the others, e.g. for a check that reads a whole span. */
  reps?: number;
  warm?: number;
}

export interface RouteTiming {
  name: string;
  path: string;
  status: number;
  n: number;
  p50: number;
  p95: number;
  /** The last answer, for functional checks. */
  body: unknown;
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** Signs in as the admin through the login route; returns the session cookie. */
export async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: SCALE_USERS.admin, password: SCALE_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return cookie;
}

async function call(url: string, cookie: string, c: RouteCall): Promise<{ status: number; ms: number; body: unknown }> {
  const t0 = performance.now();
  const headers = { cookie, accept: "application/json" };
  const res = await fetch(url + c.path, { method: c.method, headers });
  const status = res.status;
  const text = await res.text();
  const ms = performance.now() - t0;
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // kept as text
  }
  return { status, ms, body };
}

/**
 * The same routes against several servers (the stores being compared), interleaved: for each
 * route, `warm` untimed requests to each, then `reps` rounds of one timed request to each, the
 * order alternating by round. So a change in the machine's load (shared, here) falls on every
 * store alike instead of on whichever was measured second. One request at a time.
 */
export async function timeRoutesInterleaved(
  targets: Array<{ url: string; cookie: string; calls: RouteCall[] }>,
  opts: { reps: number; warm: number },
): Promise<RouteTiming[][]> {
  const out: RouteTiming[][] = targets.map(() => []);
  const n = targets[0]!.calls.length;
  for (let k = 0; k < n; k++) {
    const reps = targets[0]!.calls[k]!.reps ?? opts.reps;
    const last: Array<{ status: number; ms: number; body: unknown } | undefined> = targets.map(() => undefined);
    const times: number[][] = targets.map(() => []);
    for (const [t, target] of targets.entries()) {
      for (let i = 0; i < (target.calls[k]!.warm ?? opts.warm); i++) last[t] = await call(target.url, target.cookie, target.calls[k]!);
    }
    for (let i = 0; i < reps; i++) {
      const order = targets.map((_, t) => t);
      if (i % 2) order.reverse();
      for (const t of order) {
        const r = await call(targets[t]!.url, targets[t]!.cookie, targets[t]!.calls[k]!);
        last[t] = r;
        times[t]!.push(r.ms);
      }
    }
    for (const [t, target] of targets.entries()) {
      const c = target.calls[k]!;
      const ms = times[t]!.sort((a, b) => a - b);
      out[t]!.push({ name: c.name, path: c.path, status: last[t]!.status, n: ms.length, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), body: last[t]!.body });
    }
  }
  return out;
}

/** `reps` timed requests per route after `warm` untimed ones, one at a time. */
export async function timeRoutes(url: string, cookie: string, calls: RouteCall[], opts: { reps: number; warm: number }): Promise<RouteTiming[]> {
  const out: RouteTiming[] = [];
  for (const c of calls) {
    const reps = c.reps ?? opts.reps;
    let last: { status: number; ms: number; body: unknown } | undefined;
    for (let i = 0; i < (c.warm ?? opts.warm); i++) last = await call(url, cookie, c);
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      last = await call(url, cookie, c);
      ms.push(last.ms);
      if (last.status !== 200) break;
    }
    ms.sort((a, b) => a - b);
    out.push({ name: c.name, path: c.path, status: last!.status, n: ms.length, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), body: last!.body });
  }
  return out;
}

const q = (o: Record<string, string | number>) => "?" + new URLSearchParams(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]))).toString();

/**
 * The dashboard's calls, with the parameters its pages send (ui/src/pages/*, ui/src/lib/overview.ts).
 * Ids (a run, an escalation, a cursor) are taken from the store's own answers first. The
 * Overview's are named "(overview…)": its run counts over whole UTC days (one request for the
 * week, one per day for the sparkline), the queue's count, and the analytics over the analytics
 * pages' window (7 days to the end of the current hour, ui/src/lib/windows.ts).
 */
export async function dashboardCalls(url: string, cookie: string, now = Date.now()): Promise<RouteCall[]> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const to = Math.ceil(now / DAY) * DAY;
  const weekAgo = to - 7 * DAY;
  const hourEnd = Math.ceil((now + 1) / 3_600_000) * 3_600_000;
  const week = { from: iso(hourEnd - 7 * DAY), to: iso(hourEnd) };
  const get = async (path: string) => (await call(url, cookie, { name: path, method: "GET", path })).body as Record<string, unknown>;
  const runs = (await get("/v1/runs?limit=50")) as { items: Array<{ id: string }>; nextCursor: string | null };
  const queue = (await get("/v1/escalations?limit=100")) as { items: Array<{ id: string }> };
  const runId = runs.items[Math.min(7, runs.items.length - 1)]?.id ?? "none";
  const escalationId = queue.items[Math.min(7, queue.items.length - 1)]?.id ?? "none";
  return [
    { name: "GET /v1/auth/me", method: "GET", path: "/v1/auth/me" },
    { name: "GET /v1/workflows (30 days, runs page)", method: "GET", path: `/v1/workflows${q({ from: iso(now - 30 * DAY) })}` },
    { name: "GET /v1/workflows (overview, 7 days)", method: "GET", path: `/v1/workflows${q({ from: iso(weekAgo), to: iso(to) })}` },
    { name: "GET /v1/workflows (overview, one day of 7)", method: "GET", path: `/v1/workflows${q({ from: iso(to - DAY), to: iso(to) })}` },
    { name: "GET /v1/runs (limit 50)", method: "GET", path: `/v1/runs${q({ limit: 50 })}` },
    { name: "GET /v1/runs (page 2)", method: "GET", path: `/v1/runs${q({ limit: 50, cursor: runs.nextCursor ?? "" })}` },
    { name: "GET /v1/runs?workflow (limit 50)", method: "GET", path: `/v1/runs${q({ workflow: "invoices", limit: 50 })}` },
    { name: "GET /v1/runs?status=failed", method: "GET", path: `/v1/runs${q({ status: "failed", limit: 50 })}` },
    { name: "GET /v1/runs/:id", method: "GET", path: `/v1/runs/${runId}` },
    { name: "GET /v1/audit?runId (run page)", method: "GET", path: `/v1/audit${q({ runId, limit: 200 })}` },
    { name: "GET /v1/escalations (queue, 100)", method: "GET", path: `/v1/escalations${q({ limit: 100 })}` },
    { name: "GET /v1/escalations/count (overview)", method: "GET", path: `/v1/escalations/count${q({ workflow: "claims", status: "active" })}` },
    { name: "GET /v1/escalations?order=riskiest", method: "GET", path: `/v1/escalations${q({ order: "riskiest", limit: 100 })}` },
    { name: "GET /v1/escalations/:id", method: "GET", path: `/v1/escalations/${escalationId}` },
    { name: "GET /v1/audit (limit 100)", method: "GET", path: `/v1/audit${q({ limit: 100 })}` },
    {
      name: "GET /v1/analytics/escalations (overview, 7 days)",
      method: "GET",
      path: `/v1/analytics/escalations${q({ workflow: "claims", ...week, interval: "day" })}`,
    },
    {
      name: "GET /v1/analytics/calibration (overview, 7 days)",
      method: "GET",
      path: `/v1/analytics/calibration${q({ workflow: "claims", ...week, interval: "day" })}`,
    },
    {
      name: "GET /v1/analytics/calibration (step)",
      method: "GET",
      path: `/v1/analytics/calibration${q({ workflow: "claims", version: "4", step: "classify", interval: "day" })}`,
    },
    { name: "GET /v1/analytics/series", method: "GET", path: "/v1/analytics/series" },
    { name: "GET /v1/alerts (overview, firing, 7 days)", method: "GET", path: `/v1/alerts${q({ status: "firing", ...week })}` },
    { name: "GET /v1/golden/results (overview, 10)", method: "GET", path: `/v1/golden/results${q({ workflow: "claims", limit: 10 })}` },
    { name: "GET /v1/jobs/runs (overview, rollup, 20)", method: "GET", path: `/v1/jobs/runs${q({ job: "rollup", limit: 20 })}` },
    { name: "GET /v1/jobs (overview)", method: "GET", path: "/v1/jobs" },
    { name: "GET /healthz (overview, projection lag)", method: "GET", path: "/healthz" },
    { name: "GET /v1/alerts (all)", method: "GET", path: `/v1/alerts${q({ status: "all" })}` },
    { name: "GET /v1/policies", method: "GET", path: "/v1/policies" },
    { name: "GET /v1/policies/history", method: "GET", path: `/v1/policies/history${q({ limit: 50 })}` },
    { name: "GET /v1/thresholds/changes", method: "GET", path: "/v1/thresholds/changes" },
    // The Audit page's last verification. Starting one and following it: verificationWalk.
    { name: "GET /v1/audit/verifications (latest)", method: "GET", path: `/v1/audit/verifications${q({ limit: 1 })}` },
  ];
}

export interface VerificationWalk {
  /** The request that started it (answered at once, 202: the walk runs in the background). */
  startMs: number;
  /** Statuses of the start and join requests: 202 while it runs. */
  statuses: number[];
  /** Requests that joined it while it ran (the same verification back). */
  joinMs: number[];
  /** The Audit page's polls of it while it ran. */
  pollMs: number[];
  /** From its start to its end, as the server recorded them. */
  walkMs: number;
  entries: number;
  entriesPerSecond: number;
  status: string;
  report: { ok: boolean; entries: number } | null;
}

/**
 * What the Audit page's Verify button does: start a verification, then poll it until it ends,
 * with a few requests joining it early on (another user pressing the button). The walk over the
 * chain is linear by design; what is timed per request is what a user waits for.
 */
export async function verificationWalk(url: string, cookie: string, pollEveryMs = 100): Promise<VerificationWalk> {
  type View = { id: string; status: string; checked: number; startedAt: string; finishedAt: string | null; report: VerificationWalk["report"] };
  const t0 = performance.now();
  const start = await call(url, cookie, { name: "start", method: "POST", path: "/v1/audit/verifications" });
  if (start.status !== 202 && start.status !== 200) throw new Error(`starting a verification answered ${start.status}`);
  const ids = new Set([(start.body as View).id]);
  const statuses = [start.status];
  const joinMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const j = await call(url, cookie, { name: "join", method: "POST", path: "/v1/audit/verifications" });
    joinMs.push(j.ms);
    statuses.push(j.status);
    // A short chain may be done already, and the request then starts a new walk: follow it too.
    ids.add((j.body as View).id);
  }
  const pollMs: number[] = [];
  let last: View | undefined;
  for (const id of ids) {
    for (;;) {
      const r = await call(url, cookie, { name: "poll", method: "GET", path: `/v1/audit/verifications/${id}` });
      const v = r.body as View;
      if (r.status !== 200) throw new Error(`polling a verification answered ${r.status}`);
      if (v.status !== "running") {
        if (id === (start.body as View).id) last = v;
        break;
      }
      pollMs.push(r.ms);
      await new Promise((res) => setTimeout(res, pollEveryMs));
    }
  }
  // As the server timed it (the polls see the end up to pollEveryMs late).
  const walkMs = last?.finishedAt ? Date.parse(last.finishedAt) - Date.parse(last.startedAt) : performance.now() - t0;
  const entries = last?.checked ?? 0;
  return {
    startMs: start.ms,
    statuses,
    joinMs,
    pollMs,
    walkMs,
    entries,
    entriesPerSecond: entries / (walkMs / 1000),
    status: last?.status ?? "unknown",
    report: last?.report ?? null,
  };
}

/** Starts the collector on a prepared store, jobs off (so nothing but the measured requests runs). */
export function serveStore(store: ScaleStore, env: Record<string, string> = {}): Promise<SpawnedServer> {
  return spawnServer({ dataDir: store.dataDir, env: { SEAMTRACE_JOBS: "off", ...env }, timeoutMs: 120_000 });
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

export interface IngestLoad {
  seconds: number;
  senders: number;
  eventsAccepted: number;
  eventsPerSecond: number;
  rssStartMb: number;
  rssPeakMb: number;
  rssEndMb: number;
  /** RSS growth per million events accepted: the driver's per-row native leak shows here. */
  rssGrowthMbPerMillionEvents: number;
  samples: Array<{ s: number; rssMb: number; events: number }>;
  non2xx: number;
}

/**
 * `senders` SDK-like clients POST batches of 200 events as fast as the collector acknowledges
 * them, for `seconds`, to a collector on a fresh store; its RSS is sampled every second from /proc.
 */
export async function ingestLoad(opts: { seconds: number; senders: number }): Promise<IngestLoad> {
  // A store of its own: the measured stores keep exactly what was generated into them.
  const server = await spawnServer({ env: { SEAMTRACE_JOBS: "off" }, timeoutMs: 120_000 });
  const apiKey = server.apiKey;
  try {
    const pid = server.proc.pid!;
    const t0 = performance.now();
    const stopAt = t0 + opts.seconds * 1000;
    let accepted = 0;
    let non2xx = 0;
    const rssStart = rssKb(pid);
    const samples: IngestLoad["samples"] = [];
    let peak = rssStart;
    const sampler = setInterval(() => {
      const r = rssKb(pid);
      peak = Math.max(peak, r);
      samples.push({ s: Math.round((performance.now() - t0) / 100) / 10, rssMb: Math.round(r / 1024), events: accepted });
    }, 1000);
    const runsTotal = 10_000_000;
    let next = 0;
    const sender = async (k: number) => {
      while (performance.now() < stopAt) {
        const events: SeamtraceEvent[] = [];
        while (events.length < 200) events.push(...generateRun(next++, runsTotal, Date.now() + 30 * DAY - 60_000, 1000 + k).events);
        const res = await fetch(`${server.url}/v1/events`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ events }),
        });
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) accepted += events.length;
        else non2xx++;
      }
    };
    await Promise.all(Array.from({ length: opts.senders }, (_, k) => sender(k)));
    clearInterval(sampler);
    const seconds = (performance.now() - t0) / 1000;
    const rssEnd = rssKb(pid);
    peak = Math.max(peak, rssEnd);
    return {
      seconds,
      senders: opts.senders,
      eventsAccepted: accepted,
      eventsPerSecond: accepted / seconds,
      rssStartMb: rssStart / 1024,
      rssPeakMb: peak / 1024,
      rssEndMb: rssEnd / 1024,
      rssGrowthMbPerMillionEvents: accepted > 0 ? (rssEnd - rssStart) / 1024 / (accepted / 1e6) : NaN,
      samples,
      non2xx,
    };
  } finally {
    await server.dispose();
  }
}
