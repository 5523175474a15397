/**
 * Server policies for the gates: fetched from `GET /v1/policies` in the
 * background with `If-None-Match`, cached, and merged field by field over the policy in code.
 * The policy in code is what applies when the server has none or has never been reached; a
 * refresh that fails keeps the last policies the server did send. Nothing here throws into the
 * host, and its timers never keep a process alive.
 */
import { defaultRequest, errorSummary } from "./http-post.js";
import { httpError } from "./notices.js";
import { unrefTimer } from "./timers.js";
import { clamp, MAX_TIMER_MS } from "./transport-options.js";
import type { RequestFn, TransportResponse } from "./transport-types.js";
import type { PoliciesResponse, PolicyRule } from "./types.js";

/** Where one field of a resolved policy came from, strongest first. */
export type PolicyOrigin = "server-step" | "server-workflow" | "code-step" | "code";

/** The policy in force for one step, with where each of its fields came from (for explanations). */
export interface ResolvedPolicy extends PolicyRule {
  /** `server` when every field that is set came from the server, `code` when none did. */
  source: "server" | "code" | "mixed";
  /** The origin of each field that is set. */
  from: { [K in keyof PolicyRule]?: PolicyOrigin };
}

export interface PolicyClientOptions {
  /** Collector base URL; policies come from `${endpoint}/v1/policies`. */
  endpoint: string;
  /** Project API key, sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /**
   * Default `globalThis.fetch`. Called as `request(url, { method: "GET", headers, signal })`,
   * without a body. A throw or rejection counts as the server being unreachable.
   */
  request?: RequestFn;
  /** Time between refreshes. Default 30,000; at least 1,000. */
  refreshMs?: number;
  /** A refresh taking longer is abandoned (the cache stays). Default 10,000. */
  requestTimeoutMs?: number;
  /** Diagnostics: failed refreshes. Its own throws are ignored. */
  onError?: (err: unknown) => void;
}

const FIELDS = ["minConfidence", "minCumulative", "onLow", "spotCheckRate", "spotCheckNearRate", "requireConfidence"] as const;
const ORIGINS: readonly PolicyOrigin[] = ["server-step", "server-workflow", "code-step", "code"];

/** workflow → step ("" for the workflow-wide policy) → the fields the server set. */
type PolicyCache = Map<string, Map<string, PolicyRule>>;

/**
 * Keeps the project's server policies current and answers, for any step, the policy in force.
 * Precedence, field by field: server step policy, server workflow policy, step policy in code,
 * workflow policy in code. `Seamtrace` makes one (as `st.policies`) when it has an API key.
 * @example
 * const policies = new PolicyClient({ endpoint: "http://localhost:7077", apiKey: process.env.SEAMTRACE_API_KEY! });
 * policies.start();
 * await policies.ready(2000); // optional: short scripts wait for the first answer
 * const rule = policies.ruleFor("claims", "extract", { minConfidence: 0.8, onLow: "escalate" });
 * // rule.minConfidence from the server if it sets one, else 0.8; rule.from.minConfidence says which
 */
export class PolicyClient {
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly request: RequestFn;
  private readonly refreshMs: number;
  private readonly timeoutMs: number;
  private readonly onError: ((err: unknown) => void) | undefined;

  private cache: PolicyCache = new Map();
  /** `${workflow}\n${version}\n${step}` → [x, y] of the server's recalibration map. */
  private maps = new Map<string, [number[], number[]]>();
  private etag: string | undefined;
  /** True once the server has answered with its policies (a 200), ever. */
  private loaded = false;
  private state: "idle" | "running" | "stopped" = "idle";
  private timer: ReturnType<typeof setTimeout> | undefined;
  private controller: AbortController | undefined;
  private inflight: Promise<boolean> | undefined;
  private settleFirst!: () => void;
  /** Settles when the first fetch ends, whatever its outcome, or at `stop()`. */
  private readonly first = new Promise<void>((resolve) => (this.settleFirst = resolve));

  constructor(options: PolicyClientOptions) {
    this.url = `${String(options.endpoint).replace(/\/+$/, "")}/v1/policies`;
    this.headers = { Authorization: `Bearer ${options.apiKey}`, Accept: "application/json" };
    this.request = options.request ?? defaultRequest;
    this.refreshMs = clamp(options.refreshMs, 30_000, 1000, MAX_TIMER_MS);
    this.timeoutMs = clamp(options.requestTimeoutMs, 10_000, 1, MAX_TIMER_MS);
    this.onError = options.onError;
  }

  /** Fetches now, then every `refreshMs`. Idempotent; does nothing after `stop()`. */
  start(): void {
    if (this.state !== "idle") return;
    this.state = "running";
    void this.tick();
  }

  /** Stops refreshing and abandons a fetch in flight; the cached policies stay in use. Idempotent. */
  stop(): void {
    if (this.state === "stopped") return;
    this.state = "stopped";
    clearTimeout(this.timer);
    this.controller?.abort(new Error("policy client stopped"));
    this.settleFirst();
  }

  /**
   * Resolves once the first fetch has ended (starting the client if it was idle), or after
   * `timeoutMs` (default 5000): true once the server has sent its policy list (an empty list
   * counts: the code policies then apply because the server has none), false while the code
   * policies apply because it has not. Never rejects. While awaited it keeps the process alive,
   * at most `timeoutMs`.
   */
  ready(timeoutMs = 5000): Promise<boolean> {
    this.start();
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.loaded), clamp(timeoutMs, 5000, 0, MAX_TIMER_MS));
      void this.first.then(() => {
        clearTimeout(timer);
        resolve(this.loaded);
      });
    });
  }

  /**
   * Fetches the policies now (joining a fetch already in flight). Resolves true when the server
   * answered 200 or 304, false otherwise. Never rejects.
   */
  refresh(): Promise<boolean> {
    return (this.inflight ??= this.fetchOnce().finally(() => (this.inflight = undefined)));
  }

  /**
   * The policy in force for `step` of `workflow`, field by field: the server's step policy, then
   * the server's workflow policy, then `codeStep`, then `code` (the workflow's policy in code).
   * Synchronous and cheap: the step hot path calls it. Never throws.
   */
  ruleFor(workflow: string, step: string, code?: PolicyRule, codeStep?: PolicyRule): ResolvedPolicy {
    const steps = this.cache.get(workflow);
    const layers = [steps?.get(step), steps?.get(""), codeStep, code];
    const rule: ResolvedPolicy = { source: "code", from: {} };
    let server = false;
    let fromCode = false;
    for (const field of FIELDS) {
      for (let i = 0; i < 4; i++) {
        const value = (layers[i] as Record<string, unknown> | null | undefined)?.[field];
        if (value === undefined || value === null) continue;
        (rule as unknown as Record<string, unknown>)[field] = value;
        rule.from[field] = ORIGINS[i]!;
        if (i < 2) server = true;
        else fromCode = true;
        break;
      }
    }
    rule.source = server ? (fromCode ? "mixed" : "server") : "code";
    return rule;
  }

  /**
   * The calibrated value of `confidence` under the server's recalibration map for this step of
   * this workflow version (linear between the map's points, flat beyond them), or undefined
   * when there is none. Synchronous; never throws.
   */
  calibrate(workflow: string, version: string, step: string, confidence: number): number | undefined {
    const m = this.maps.get(`${workflow}\n${version}\n${step}`);
    if (!m) return undefined;
    const [x, y] = m;
    let i = 0;
    while (i < x.length && x[i]! <= confidence) i++;
    if (i === 0) return y[0];
    if (i === x.length) return y[i - 1];
    return y[i - 1]! + ((confidence - x[i - 1]!) / (x[i]! - x[i - 1]!)) * (y[i]! - y[i - 1]!);
  }

  private async tick(): Promise<void> {
    await this.refresh();
    if (this.state !== "running") return;
    // Scheduled after the answer, not on an interval: a slow server never sees overlapping polls.
    this.timer = setTimeout(() => void this.tick(), this.refreshMs);
    unrefTimer(this.timer);
  }

  private async fetchOnce(): Promise<boolean> {
    const controller = (this.controller = new AbortController());
    const signal = controller.signal;
    const timer = setTimeout(() => controller.abort(new Error(`policy request timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    unrefTimer(timer);
    try {
      const headers = { ...this.headers };
      if (this.etag !== undefined) headers["If-None-Match"] = this.etag;
      // RequestFn is typed for the transport's POSTs; a fetch-compatible function takes a GET.
      const init: Parameters<RequestFn>[1] = { method: "GET", headers, signal };
      const res = await abortable(new Promise<TransportResponse>((ok) => ok(this.request(this.url, init))), signal);
      if (res.status === 304 && this.etag !== undefined) return true;
      const text = await abortable(
        Promise.resolve().then(() => res.text()),
        signal,
      );
      if (res.status !== 200) throw httpError(`GET /v1/policies answered ${String(res.status)}`, res.status, errorSummary(String(text)));
      const [cache, maps] = parsePolicies(text);
      const etag = res.headers.get("etag");
      this.cache = cache;
      this.maps = maps;
      this.etag = etag ?? undefined;
      this.loaded = true;
      return true;
    } catch (err) {
      // Abandoned by stop(): not a failure worth reporting.
      if (this.state !== "stopped") this.report(err);
      return false;
    } finally {
      clearTimeout(timer);
      this.controller = undefined;
      this.settleFirst();
    }
  }

  private report(err: unknown): void {
    try {
      this.onError?.(err);
    } catch {
      // A diagnostics hook must not break the host either.
    }
  }
}

/**
 * The server's answer as a cache. Throws when the answer is not a policy list at all (the last
 * good cache then stays); a single malformed policy, or field, is skipped.
 */
function parsePolicies(text: string): [PolicyCache, Map<string, [number[], number[]]>] {
  const body = JSON.parse(text) as PoliciesResponse;
  const list = body.policies;
  if (!Array.isArray(list)) throw new TypeError("the policies answer has no `policies` list");
  const cache: PolicyCache = new Map();
  for (const p of list as unknown[]) {
    const policy = p as Record<string, unknown> | null;
    if (typeof policy?.workflow !== "string" || (policy.step !== null && typeof policy.step !== "string")) continue;
    const rule: Record<string, unknown> = {};
    for (const field of FIELDS) {
      const v = policy[field];
      const ok =
        field === "onLow"
          ? v === "escalate" || v === "flag"
          : field === "requireConfidence"
            ? typeof v === "boolean"
            : typeof v === "number" && v >= 0 && v <= 1;
      if (ok) rule[field] = v;
    }
    let steps = cache.get(policy.workflow);
    if (!steps) cache.set(policy.workflow, (steps = new Map()));
    steps.set(policy.step ?? "", rule);
  }
  const maps = new Map<string, [number[], number[]]>();
  for (const m of Array.isArray(body.calibrations) ? body.calibrations : []) {
    // A malformed map is skipped: the raw confidence then applies, as if there were none.
    const ok = (a: unknown): a is number[] => Array.isArray(a) && a.every((v) => typeof v === "number" && v >= 0 && v <= 1);
    if (ok(m?.x) && ok(m.y) && m.x.length > 0 && m.x.length === m.y.length) maps.set(`${m.workflow}\n${m.version}\n${m.step}`, [m.x, m.y]);
  }
  return [cache, maps];
}

/** `promise`, or a rejection as soon as `signal` aborts: an injected request may ignore the signal. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
