/**
 * One agent run inside a Seamtrace run. The tracing processor turns the run's spans into steps
 * (agents, model calls, tool results, handoffs); the tool wrapper answers `needsApproval` from
 * the gate of the tool call's step. Spans arrive without being awaited, so every step is
 * recorded through one queue, in the order the spans came.
 */
import type { Run, StepHandle, StepOptions } from "../../run.js";
import type { ConfidenceSource, FeatureValue } from "../../types.js";
import { logprobSource, sameJson } from "../shared/confidence.js";
import { modelCallOf, parse, type ModelCall } from "./spans.js";

export interface ToolCallFacts {
  toolName: string;
  callId: string | undefined;
  input: unknown;
  /** The confidence of the model call that asked for it, if it had one. */
  modelConfidence: number | undefined;
}

export interface AgentsStepOptions {
  /** Step name of model calls. Default `"model"`. */
  modelStep?: string;
  /** Step name of the run's final output. Default `"output"`. */
  outputStep?: string;
  /**
   * Confidence of a model call. Default: its log-probabilities, when the model reports them
   * (reported with source `logprob`, as is a scorer's value equal to `logprobConfidence`).
   */
  scoreModel?: (call: ModelCall) => number | undefined | Promise<number | undefined>;
  /** Confidence of a tool call. Default: the confidence of the model call that asked for it. */
  scoreTool?: (call: ToolCallFacts) => number | undefined | Promise<number | undefined>;
  /** Confidence of the final output. Default: the confidence of the model call that gave it. */
  scoreOutput?: (output: unknown) => number | undefined | Promise<number | undefined>;
}

/** The span fields the processor reads (structurally a `Span` of @openai/agents). */
export interface SpanLike {
  spanData: Record<string, unknown> & { type: string };
  traceMetadata?: Record<string, unknown> | undefined;
  startedAt?: string | null;
  error?: { message: string } | null;
}

export class AgentsSession {
  lastModel: StepHandle<unknown> | undefined;
  lastModelConfidence: number | undefined;
  /** Where `lastModelConfidence` came from, when known: steps that inherit it inherit this too. */
  lastModelSource: ConfidenceSource | undefined;
  /** Tool results and handoffs since the last model call: the next one's inputs. */
  results: StepHandle<unknown>[] = [];
  agent: StepHandle<unknown> | undefined;
  /** The agent a resumed run was paused in: its first span continues that agent's step. */
  resumedAgent: string | undefined;
  /** Gated tool calls, for their results (function spans carry name and input, no call id). */
  readonly gated: Array<{ name: string; input: unknown; handle: StepHandle<unknown>; used: boolean }> = [];
  readonly calls = new Map<string, { handle?: StepHandle<unknown> | undefined; approval: "pass" | "wait" | "approved" }>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly run: Run,
    readonly options: AgentsStepOptions,
    private readonly report: (err: unknown) => void,
  ) {}

  get modelStep(): string {
    return this.options.modelStep ?? "model";
  }

  /** Runs `op` after everything queued before it; a run that has stopped records nothing more. */
  enqueue<T>(op: () => Promise<T>): Promise<T | undefined> {
    const next = this.queue.then(op).catch((err: unknown) => {
      if (err !== this.run.stopped) this.report(err);
      return undefined;
    });
    this.queue = next;
    return next;
  }

  private async step(name: string, opts: StepOptions, value: unknown, confidence?: number): Promise<StepHandle<unknown>> {
    return this.run.step<unknown>(name, opts, () => ({ value, confidence }));
  }

  onSpanStart(span: SpanLike): void {
    const d = span.spanData;
    if (d.type !== "agent") return;
    if (this.resumedAgent !== undefined) {
      const same = this.resumedAgent === d.name;
      this.resumedAgent = undefined;
      if (same) return;
    }
    void this.enqueue(async () => {
      // An agent taking over: after a handoff, its parent is the handoff.
      const from = this.results.length > 0 ? [...this.results] : this.agent ? [this.agent] : [];
      this.agent = await this.step(
        String(d.name),
        { from, source: "direct", startedAt: startOf(span, this.run) },
        { agent: d.name, tools: d.tools ?? [], handoffs: d.handoffs ?? [] },
      );
      this.lastModel = undefined;
      this.results = [];
    });
  }

  onSpanEnd(span: SpanLike): void {
    const d = span.spanData;
    if (d.type === "generation" || d.type === "response") void this.enqueue(() => this.recordModel(span));
    else if (d.type === "function") void this.enqueue(() => this.recordResult(span));
    else if (d.type === "handoff") {
      void this.enqueue(async () => {
        const from = this.lastModel ? [this.lastModel] : this.agent ? [this.agent] : [];
        this.results = [await this.step("handoff", { from, source: "direct", startedAt: startOf(span, this.run) }, { from: d.from_agent, to: d.to_agent })];
      });
    }
  }

  private async recordModel(span: SpanLike): Promise<void> {
    const call = modelCallOf(span.spanData);
    if (!call) return;
    const from = [...(this.lastModel ? [this.lastModel] : this.agent ? [this.agent] : []), ...this.results];
    const features: Record<string, FeatureValue> = {};
    if (call.model !== undefined) features.model = call.model;
    if (call.inputTokens !== undefined) features.inputTokens = call.inputTokens;
    if (call.outputTokens !== undefined) features.outputTokens = call.outputTokens;
    const value = call.toolCalls.length > 0 ? { text: call.text, toolCalls: call.toolCalls } : { text: call.text };
    let own: number | undefined;
    let source: ConfidenceSource | undefined;
    this.lastModel = await this.run.step<unknown>(this.modelStep, { from, features, startedAt: startOf(span, this.run) }, async () => {
      own = this.options.scoreModel ? await this.options.scoreModel(call) : call.logprobConfidence;
      source = logprobSource(own, call.logprobConfidence);
      return { value, confidence: own, ...(source ? { confidenceSource: source } : {}) };
    });
    this.lastModelConfidence = own;
    this.lastModelSource = source;
    this.results = [];
  }

  private async recordResult(span: SpanLike): Promise<void> {
    const d = span.spanData;
    const name = String(d.name);
    const input = parse(d.input);
    const match = this.gated.find((g) => !g.used && g.name === name && sameJson(g.input, input));
    if (match) match.used = true;
    const from = match ? [match.handle] : this.lastModel ? [this.lastModel] : [];
    const value = span.error ? { error: span.error.message } : parse(d.output);
    this.results.push(await this.step(`${name}.result`, { input, from, source: "direct", startedAt: startOf(span, this.run) }, value));
  }

  /**
   * The tool call's step and gate. Waits for the spans before it (the model call that asked for
   * it is its parent), then for the sibling calls of the same response to be gated too: when one
   * of them escalates, every call of the response waits, so none runs beside a call under review.
   */
  async needsApproval(toolName: string, input: unknown, callId: string | undefined): Promise<boolean> {
    const known = callId !== undefined ? this.calls.get(callId) : undefined;
    if (known) return known.approval !== "pass";
    const handle = await this.enqueue(() => this.gateCall(toolName, input, callId));
    // The runner asks about all calls of a response in the same turn of the event loop: after a
    // macrotask, every sibling has been gated.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const waits = handle === undefined || this.run.stopped !== undefined;
    if (callId !== undefined) this.calls.set(callId, { handle, approval: waits ? "wait" : "pass" });
    return waits;
  }

  /** Records a tool call as a step under its gate; undefined when the run stopped on it (or before). */
  async gateCall(toolName: string, input: unknown, callId: string | undefined): Promise<StepHandle<unknown> | undefined> {
    const from = this.lastModel ? [this.lastModel] : this.agent ? [this.agent] : [];
    try {
      const handle = await this.run.step<unknown>(toolName, { from }, async () => {
        const modelConfidence = this.lastModelConfidence;
        const confidence = this.options.scoreTool ? await this.options.scoreTool({ toolName, callId, input, modelConfidence }) : modelConfidence;
        const source = this.inherited(confidence);
        return { value: input, confidence, ...(source ? { confidenceSource: source } : {}) };
      });
      this.gated.push({ name: toolName, input, handle, used: false });
      return handle;
    } catch (err) {
      if (err !== this.run.stopped) throw err;
      return undefined;
    }
  }

  /** The model's source for a confidence that is the model's own, handed on to a tool call or the output. */
  inherited(confidence: number | undefined): ConfidenceSource | undefined {
    return confidence !== undefined && confidence === this.lastModelConfidence ? this.lastModelSource : undefined;
  }

  /** Waits for every queued step. */
  settled(): Promise<unknown> {
    return this.queue;
  }
}

function startOf(span: SpanLike, run: Run): number {
  const t = span.startedAt ? Date.parse(span.startedAt) : NaN;
  return Number.isNaN(t) ? run.now() : t;
}
