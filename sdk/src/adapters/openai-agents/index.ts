/**
 * `@seamtrace/sdk/openai-agents` — Seamtrace gates for the OpenAI Agents SDK (`@openai/agents`),
 * through its own `needsApproval`, interruptions and serialised `RunState`. A separate entry
 * point; `@openai/agents` is an optional peer dependency, needed only here.
 *
 * Register `processor` as a trace processor: the agent, model (`generation`/`response`),
 * function and handoff spans of runs made inside `run()` become steps, with lineage. Tools passed
 * through `tools()` get their approval from the Seamtrace policy: each call is a step named after
 * the tool, and when its gate fails (or another call's), `needsApproval` answers yes and the
 * agent run stops with interruptions, as it does for a person's approval; the run is `escalated`
 * with the serialised state to keep. The run's final output is a step too (`output`), gated
 * before it is handed back. `resume()` applies the review to that serialised state — `accept`
 * approves the call, `correct` rewrites its arguments then approves it, `reject` rejects it and
 * fails the run — and calls your function with the state, which continues the agent run.
 * @example
 * import { Agent, run, setTraceProcessors } from "@openai/agents";
 * import { withOpenAIAgents } from "@seamtrace/sdk/openai-agents";
 * const support = withOpenAIAgents(st.workflow("support", { steps: { refund: { minConfidence: 0.8 } } }));
 * setTraceProcessors([support.processor]);
 * const agent = new Agent({ name: "support", instructions, tools: support.tools([refund, lookupOrder]) });
 * const first = await support.run({ key: ticket.id }, () => run(agent, ticket.text));
 * if (first.status === "escalated") await store.save(first.runId, first.state);
 * // once a reviewer has decided:
 * const next = await support.resume(runId, { agent, state: await store.load(runId) }, (state) => run(agent, state));
 */
import { getCurrentTrace, RunState, withTrace, type Agent, type Tool, type TracingProcessor } from "@openai/agents";
import type { RunOptions, RunResult, Workflow } from "../../client.js";
import type { StepHandle } from "../../run.js";
import { sameJson } from "../shared/confidence.js";
import { endedRun } from "../shared/finished.js";
import { walkRecorded, type Walked } from "../shared/resume-walk.js";
import { AgentsSession, type AgentsStepOptions, type SpanLike } from "./session.js";
import { parse } from "./spans.js";

export type { AgentsStepOptions, ToolCallFacts } from "./session.js";
export type { ModelCall } from "./spans.js";

/** What the adapter reads of an agent run's result (`run()` / `Runner.run()` without streaming). */
export interface AgentRun {
  finalOutput?: unknown;
  interruptions?: unknown[];
  state: { toString(): string };
}

/** The run's outcome; `state` is the agent run's serialised `RunState`, to keep while `escalated`. */
export interface AgentsRunResult<R> extends RunResult<unknown> {
  state?: string;
  /** The agent run's own result, when it ran. While `escalated`, its output is not yet reviewed. */
  result?: R;
}

export interface OpenAIAgentsWorkflow {
  readonly workflow: Workflow;
  /** The trace processor that records the spans of runs made inside `run()`/`resume()`. */
  readonly processor: TracingProcessor;
  /**
   * The tools with their approval answered by the Seamtrace policy (their own `needsApproval`
   * is replaced).
   * @example
   * new Agent({ name: "support", tools: support.tools([refund]) });
   */
  // biome-ignore lint/suspicious/noExplicitAny: tools of any parameter shape
  tools<T extends Tool<any>>(tools: T[]): T[];
  /**
   * Runs an agent run (made by `fn`) as a new Seamtrace run.
   * @example
   * const r = await support.run({ key: "t-1" }, () => run(agent, "refund order 42"));
   */
  run<R extends AgentRun>(options: Omit<RunOptions, "runId" | "replay" | "wait">, fn: () => Promise<R>): Promise<AgentsRunResult<R>>;
  /**
   * Applies the review to the run's serialised state and continues it with `fn`.
   * `escalated` (nothing run) while the review is open; `duplicate` when another worker resumed it.
   * @example
   * const r = await support.resume(runId, { agent, state: saved }, (state) => run(agent, state));
   */
  resume<R extends AgentRun>(
    runId: string,
    // biome-ignore lint/suspicious/noExplicitAny: any agent, whatever its context and output types
    saved: { agent: Agent<any, any>; state: string },
    // biome-ignore lint/suspicious/noExplicitAny: the run state of any agent
    fn: (state: RunState<any, any>) => Promise<R>,
  ): Promise<AgentsRunResult<R>>;
}

const META_KEY = "seamtrace_run";

/**
 * Seamtrace steps, gates and review for the OpenAI Agents SDK runs of one workflow.
 * @example
 * const support = withOpenAIAgents(st.workflow("support"), { scoreTool: (c) => (c.input.amount > 100 ? 0.5 : 0.95) });
 */
export function withOpenAIAgents(workflow: Workflow, options: AgentsStepOptions = {}): OpenAIAgentsWorkflow {
  const sessions = new Map<string, AgentsSession>();
  // A step the spans could not be recorded as is told, never thrown into the agent run.
  const report = (err: unknown) => workflow.client.report(err);
  const sessionOf = (metadata: Record<string, unknown> | undefined) => {
    const id = metadata?.[META_KEY];
    return typeof id === "string" ? sessions.get(id) : undefined;
  };
  const outputStep = options.outputStep ?? "output";

  const processor: TracingProcessor = {
    onTraceStart: async () => {},
    onTraceEnd: async () => {},
    onSpanStart: async (span) => sessionOf((span as unknown as SpanLike).traceMetadata)?.onSpanStart(span as unknown as SpanLike),
    onSpanEnd: async (span) => sessionOf((span as unknown as SpanLike).traceMetadata)?.onSpanEnd(span as unknown as SpanLike),
    shutdown: async () => {},
    forceFlush: async () => {},
  };

  /** Runs `go` in a trace that names the Seamtrace run, then judges the agent run's outcome. */
  async function drive<R extends AgentRun>(session: AgentsSession, go: () => Promise<R>, box: { result?: R; state?: string }): Promise<unknown> {
    const run = session.run;
    sessions.set(run.id, session);
    try {
      const result = await withTrace(
        workflow.name,
        () => {
          // With tracing off (OPENAI_AGENTS_DISABLE_TRACING, or NODE_ENV=test) the trace carries
          // no metadata, the tools could not find this run and would run ungated: refuse.
          if (getCurrentTrace()?.metadata?.[META_KEY] !== run.id)
            throw new Error("OpenAI Agents tracing is disabled; the Seamtrace adapter needs it (setTracingDisabled(false))");
          return go();
        },
        { metadata: { [META_KEY]: run.id } },
      );
      await session.settled();
      box.result = result;
      box.state = result.state.toString();
      if (run.stopped) return undefined;
      if (result.interruptions && result.interruptions.length > 0) throw new Error("the agent run stopped for approvals Seamtrace did not ask for");
      return gateOutput(session, result.finalOutput);
    } finally {
      sessions.delete(run.id);
    }
  }

  async function gateOutput(session: AgentsSession, output: unknown): Promise<unknown> {
    const from = session.lastModel ? [session.lastModel, ...session.results] : session.agent ? [session.agent] : [];
    const handle = await session.run.step<unknown>(outputStep, { from }, async () => {
      const confidence = options.scoreOutput ? await options.scoreOutput(output) : session.lastModelConfidence;
      const source = session.inherited(confidence);
      return { value: output, confidence, ...(source ? { confidenceSource: source } : {}) };
    });
    return handle.value;
  }

  return {
    workflow,
    processor,
    tools(tools) {
      return tools.map((t) => {
        if ((t as { type?: string }).type !== "function") return t;
        const name = (t as { name: string }).name;
        const needsApproval = async (_ctx: unknown, input: unknown, callId?: string) => {
          const session = sessionOf(getCurrentTrace()?.metadata as Record<string, unknown> | undefined);
          // Outside a Seamtrace run the tool needs no approval from it.
          return session ? session.needsApproval(name, input, callId) : false;
        };
        return { ...t, needsApproval };
      });
    },
    async run(runOptions, fn) {
      const box: { result?: Awaited<ReturnType<typeof fn>>; state?: string } = {};
      const r = await workflow.run({ ...runOptions, replay: false }, (run) => drive(new AgentsSession(run, options, report), fn, box));
      return { ...r, ...box };
    },
    async resume(runId, saved, fn) {
      const box: { result?: Awaited<ReturnType<typeof fn>>; state?: string } = {};
      const ended = await endedRun<unknown>(workflow, runId);
      if (ended) return ended;
      const r = await workflow.resume(runId, async (run) => {
        const session = new AgentsSession(run, options, report);
        const walked = await walkRecorded(run);
        const review = walked.review;
        const reviewedRecord = review ? walked.records.get(review.stepId) : undefined;
        const json = JSON.parse(saved.state) as unknown;
        if (reviewedRecord?.name === outputStep) {
          // The agent run had ended; the reviewed output is the run's (a reject failed it).
          box.state = saved.state;
          return run.stopped ? undefined : walked.reviewed?.value;
        }
        const state = await RunState.fromString(saved.agent, saved.state);
        const pending = state.getInterruptions().filter((i) => i.rawItem.type === "function_call");
        if (run.stopped) {
          for (const item of pending) state.reject(item, review?.reason ? { message: review.reason } : undefined);
          box.state = state.toString();
          return undefined;
        }
        const matched = matchCalls(
          walked,
          pending.map((i) => ({ name: i.name ?? "", input: parse(i.arguments) })),
        );
        seed(session, walked);
        const corrections = new Map<string, unknown>();
        const approve: typeof pending = [];
        for (const [k, item] of pending.entries()) {
          const callId = (item.rawItem as { callId?: string }).callId;
          let handle = matched[k];
          if (!handle) {
            handle = await session.gateCall(item.name ?? "", parse(item.arguments), callId);
            if (!handle) {
              box.state = saved.state; // nothing applied: the decisions so far stay with Seamtrace
              return undefined;
            }
          }
          if (callId !== undefined && !sameJson(handle.value, parse(item.arguments))) corrections.set(callId, handle.value);
          if (callId !== undefined) session.calls.set(callId, { handle, approval: "approved" });
          if (matched[k]) session.gated.push({ name: item.name ?? "", input: handle.value, handle, used: false });
          approve.push(item);
        }
        // A correction rewrites the call's arguments in the serialised state, everywhere the call
        // appears, so the tool runs, and the model sees, the reviewer's call.
        const resumed = corrections.size === 0 ? state : await RunState.fromString(saved.agent, JSON.stringify(withArguments(json, corrections)));
        const items =
          corrections.size === 0
            ? approve
            : resumed
                .getInterruptions()
                .filter((i) => approve.some((a) => (a.rawItem as { callId?: string }).callId === (i.rawItem as { callId?: string }).callId));
        for (const item of items) resumed.approve(item);
        return drive(session, () => fn(resumed), box);
      });
      return { ...r, ...box };
    },
  };
}

/** The walked tool-call steps matching each pending call (by tool and original input), in order. */
function matchCalls(walked: Walked, calls: Array<{ name: string; input: unknown }>): Array<StepHandle<unknown> | undefined> {
  const used = new Set<string>();
  return calls.map((c) => {
    for (const [stepId, r] of walked.records) {
      if (used.has(stepId) || r.name !== c.name || !walked.handles.has(stepId) || !sameJson(r.output, c.input)) continue;
      used.add(stepId);
      return walked.handles.get(stepId);
    }
    return undefined;
  });
}

/** The agent and model step the run paused in: parents of what follows on resume. */
function seed(session: AgentsSession, walked: Walked): void {
  for (const [stepId, r] of walked.records) {
    const h = walked.handles.get(stepId);
    if (!h) continue;
    if (r.name === session.modelStep) {
      session.lastModel = h;
      session.lastModelConfidence = h.source === "human" ? 1 : (r.confidence ?? undefined);
    } else if (r.output !== null && typeof r.output === "object" && "agent" in r.output && "handoffs" in r.output) {
      session.agent = h;
      session.resumedAgent = r.name;
    }
  }
}

/** The serialised state with the arguments of some function calls replaced (by call id). */
function withArguments(value: unknown, corrections: ReadonlyMap<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => withArguments(v, corrections));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = withArguments(v, corrections);
  const id = (out.callId ?? out.call_id) as string | undefined;
  if (out.type === "function_call" && id !== undefined && corrections.has(id)) out.arguments = JSON.stringify(corrections.get(id));
  return out;
}
