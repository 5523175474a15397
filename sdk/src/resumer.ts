import { abortable, errorSummary } from "./http-post.js";
import { httpError } from "./notices.js";
import { unrefTimer } from "./timers.js";
import type { RequestFn } from "./transport-types.js";
import type { JudgeItem, JudgeVerdict, ResumeClaimResponse, ResumeRenewResponse, RunState } from "./types.js";

/** A resolved review whose run nobody has resumed yet (`GET /v1/resumable`). */
export interface ResolvedReview {
  runId: string;
  escalationId: string;
  workflow: string;
  version: string;
  step: string;
  decision: "accept" | "correct" | "reject";
  resolvedAt: string;
}

/**
 * The server calls durable resume needs. Every call is bounded in time and answers `undefined`
 * (or "unreachable") instead of throwing: telemetry never throws into user code.
 */
export class Resumer {
  constructor(
    private readonly endpoint: string,
    private readonly apiKey: string,
    private readonly request: RequestFn,
    private readonly report: (err: unknown) => void,
    private readonly timeoutMs = 10_000,
  ) {}

  /** The run's state; null when the server has no such run; undefined when it could not be asked. */
  async state(runId: string): Promise<RunState | null | undefined> {
    return this.checked(await this.call<RunState>("GET", `/v1/runs/${encodeURIComponent(runId)}/state`));
  }

  async stateByKey(workflow: string, key: string): Promise<RunState | null | undefined> {
    return this.checked(await this.call<RunState>("GET", `/v1/run-state?workflow=${encodeURIComponent(workflow)}&key=${encodeURIComponent(key)}`));
  }

  /** An answer that is not a run state (a proxy's page, an older server) is no answer at all. */
  private checked(state: RunState | null | undefined): RunState | null | undefined {
    if (!state) return state;
    if (typeof state.run?.id === "string" && Array.isArray(state.steps)) return state;
    this.report(new Error("the server's run state has an unexpected shape"));
    return undefined;
  }

  /**
   * Claims the resume (one worker at a time): its epoch and lease when this caller won it, false
   * when another worker holds it. An older server grants neither (epoch 0, `leaseMs` 0: nothing
   * to renew).
   */
  async claim(runId: string, escalationId: string): Promise<{ epoch: number; leaseMs: number } | false | undefined> {
    const res = await this.call<Partial<ResumeClaimResponse>>("POST", `/v1/runs/${encodeURIComponent(runId)}/resume`, { escalationId }, true);
    if (res === undefined) return undefined;
    if (res === null || res.claimed !== true) return false;
    const count = (n: unknown) => (typeof n === "number" && n > 0 ? Math.floor(n) : 0);
    return { epoch: count(res.epoch), leaseMs: count(res.leaseMs) };
  }

  /** Renews the claim won with `epoch`: false when the server refuses (it lapsed, or another worker took the run). */
  async renew(runId: string, escalationId: string, epoch: number): Promise<boolean | undefined> {
    const res = await this.call<ResumeRenewResponse>("POST", `/v1/runs/${encodeURIComponent(runId)}/resume/renew`, { escalationId, epoch }, true);
    return res === undefined ? undefined : res !== null && res.renewed === true;
  }

  async resolved(after: string | null): Promise<{ items: ResolvedReview[]; nextCursor: string | null } | undefined> {
    const res = await this.call<{ items: ResolvedReview[]; nextCursor: string | null }>(
      "GET",
      `/v1/resumable${after ? `?after=${encodeURIComponent(after)}` : ""}`,
    );
    if (res && !Array.isArray(res.items)) {
      this.report(new Error("the server's list of resolved reviews has an unexpected shape"));
      return undefined;
    }
    return res ?? undefined;
  }

  /** Escalations waiting on judge `name`, oldest first. */
  async judgeItems(name: string): Promise<JudgeItem[] | undefined> {
    const res = await this.call<{ items: JudgeItem[] }>("GET", `/v1/review/judge-items?judge=${encodeURIComponent(name)}`);
    return Array.isArray(res?.items) ? res.items : undefined;
  }

  /** Sends a judge's verdict; a 409 (answered already, or handed to people meanwhile) is no error. */
  async judgement(escalationId: string, body: JudgeVerdict & { judge: string }): Promise<void> {
    await this.call("POST", `/v1/escalations/${encodeURIComponent(escalationId)}/judgement`, body, true);
  }

  /** 2xx → parsed body; 404 (or 409 when `conflictIsNull`) → null; anything else → undefined. */
  private async call<T>(method: "GET" | "POST", path: string, body?: unknown, conflictIsNull = false): Promise<T | null | undefined> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error("request timed out")), this.timeoutMs);
    unrefTimer(timer);
    try {
      const headers: Record<string, string> = { Authorization: `Bearer ${this.apiKey}` };
      const init: Parameters<RequestFn>[1] = { method, headers, signal: controller.signal };
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      // Raced against the signal: an injected request function may ignore it.
      const res = await abortable(new Promise<Awaited<ReturnType<RequestFn>>>((ok) => ok(this.request(this.endpoint + path, init))), controller.signal);
      const text = await abortable(
        Promise.resolve().then(() => res.text()),
        controller.signal,
      );
      if (res.status >= 200 && res.status < 300) return JSON.parse(text) as T;
      if (res.status === 404 || (conflictIsNull && res.status === 409)) return null;
      const detail = errorSummary(text);
      this.report(httpError(`${method} ${path} answered ${res.status}`, res.status, detail || `: ${text.slice(0, 200)}`));
      return undefined;
    } catch (err) {
      this.report(err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
