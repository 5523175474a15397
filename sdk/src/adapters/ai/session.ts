/**
 * One execution of a generation inside a Seamtrace run: the model wrapper that records each model
 * call as a step and gates the tool calls it asks for, and the tool wrappers that answer the AI
 * SDK's `needsApproval` from those gates and record each tool's result.
 */
import type { ToolSet, wrapLanguageModel } from "ai";
import type { Run, StepHandle, StepOptions } from "../../run.js";
import type { ConfidenceSource, FeatureValue } from "../../types.js";
import { logprobConfidence, logprobSource } from "../shared/confidence.js";

/** A language model the AI SDK calls (specification v3, or v2). */
export type LanguageModel = Parameters<typeof wrapLanguageModel>[0]["model"];
type CallOptions = Parameters<LanguageModel["doGenerate"]>[0];
type GenerateResult = Awaited<ReturnType<LanguageModel["doGenerate"]>>;

/** A tool call as the model asked for it. */
export interface ToolCallRequest {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

/** What a model call produced, for a scorer. */
export interface ModelCallFacts {
  text: string;
  toolCalls: ToolCallRequest[];
  /** Token log-probabilities the provider returned, if any. */
  logprobConfidence: number | undefined;
  modelId: string;
  provider: string;
  /** The raw result of the model call. */
  result: GenerateResult;
}

/** What a scorer of tool calls sees. */
export interface ToolCallFacts extends ToolCallRequest {
  /** The confidence of the model call that asked for it, if it had one. */
  modelConfidence: number | undefined;
}

export interface AIStepOptions {
  /** Step name of model calls. Default `"model"`. Tool calls are steps named after the tool; their results `<tool>.result`. */
  modelStep?: string;
  /**
   * Confidence of a model call. Default: from the token log-probabilities, when the provider
   * returns them (reported with source `logprob`, as is a scorer's value equal to
   * `logprobConfidence`); else unscored.
   */
  scoreModel?: (call: ModelCallFacts) => number | undefined | Promise<number | undefined>;
  /** Confidence of a tool call. Default: the confidence of the model call that asked for it. */
  scoreTool?: (call: ToolCallFacts) => number | undefined | Promise<number | undefined>;
}

/** The model step's value: what a reviewer reads and may correct. */
export interface ModelOutput {
  text: string;
  toolCalls?: ToolCallRequest[];
}

type Approval = "pass" | "wait" | "approved";

export class AISession {
  readonly modelStep: string;
  /** The latest model step, parent of the tool calls it asked for and of the next model call. */
  lastModel: StepHandle<unknown> | undefined;
  /** Own confidence of `lastModel` when it had one. */
  lastModelConfidence: number | undefined;
  /** Where `lastModelConfidence` came from, when known: tool calls that inherit it inherit this too. */
  lastModelSource: ConfidenceSource | undefined;
  /** Tool results since the last model call: the next model call's inputs. */
  results: StepHandle<unknown>[] = [];
  /** The approval answer for each tool call, and its gated step. */
  readonly calls = new Map<string, { approval: Approval; handle?: StepHandle<unknown> | undefined }>();
  private promptSeen = 0;

  constructor(
    readonly run: Run,
    readonly options: AIStepOptions,
  ) {
    this.modelStep = options.modelStep ?? "model";
  }

  /** A model whose calls are steps of this run. */
  wrapModel<M extends LanguageModel>(model: M): M {
    // Delegation rather than a copy or a prototype: provider classes may keep private state
    // that only the model object itself can read.
    const wrapped = {
      specificationVersion: model.specificationVersion,
      provider: model.provider,
      modelId: model.modelId,
      get supportedUrls() {
        return model.supportedUrls;
      },
      doGenerate: (params: CallOptions) => this.generate(model, params),
      doStream: (params: CallOptions) => model.doStream(params as never),
    };
    return wrapped as unknown as M;
  }

  /** Tools whose approval comes from this run's gates, and whose results are steps. */
  wrapTools<T extends ToolSet>(tools: T): T {
    const out: Record<string, unknown> = {};
    for (const [name, tool] of Object.entries(tools)) {
      const execute = tool.execute;
      out[name] = {
        ...tool,
        needsApproval: (input: unknown, opts: { toolCallId: string }) => this.needsApproval(name, input, opts.toolCallId),
        ...(execute
          ? { execute: (input: unknown, opts: { toolCallId: string }) => this.execute(name, input, opts, execute as (i: unknown, o: unknown) => unknown) }
          : {}),
      };
    }
    return out as T;
  }

  private async generate(model: LanguageModel, params: CallOptions): Promise<GenerateResult> {
    // A stopped run calls no more user code; the AI SDK only gets here once every tool call of
    // the last response was answered, so this is a run stopped by something else (a failure).
    if (this.run.stopped) throw this.run.stopped;
    const startedAt = this.run.now();
    // Called outside the step: a failed call is the AI SDK's to retry, not a failed run.
    const result = await model.doGenerate(params);
    const run = this.run;
    const content = result.content as Array<{
      type: string;
      text?: string;
      toolCallId?: string;
      toolName?: string;
      input?: unknown;
      providerExecuted?: boolean;
    }>;
    const text = content
      .filter((p) => p.type === "text")
      .map((p) => p.text ?? "")
      .join("");
    const toolCalls: ToolCallRequest[] = content
      .filter((p) => p.type === "tool-call" && !p.providerExecuted)
      .map((p) => ({ toolCallId: p.toolCallId!, toolName: p.toolName!, input: parseInput(p.input) }));
    const prompt = params.prompt as unknown[];
    const input = prompt.slice(this.promptSeen);
    this.promptSeen = prompt.length;
    const value: ModelOutput = toolCalls.length > 0 ? { text, toolCalls } : { text };
    const from = this.lastModel ? [this.lastModel, ...this.results] : [...this.results];
    let own: number | undefined;
    let source: ConfidenceSource | undefined;
    try {
      const handle = await run.step<unknown>(this.modelStep, { input, from, features: features(model, result), startedAt }, async () => {
        const lp = logprobConfidence(result.providerMetadata);
        own = this.options.scoreModel
          ? await this.options.scoreModel({ text, toolCalls, logprobConfidence: lp, modelId: model.modelId, provider: model.provider, result })
          : lp;
        source = logprobSource(own, lp);
        return { value, confidence: own, ...(source ? { confidenceSource: source } : {}) };
      });
      this.lastModel = handle;
      this.lastModelConfidence = own;
      this.lastModelSource = source;
      this.results = [];
      // Every tool call of the response is gated before the AI SDK asks about any of them, so
      // that when one escalates, all of them wait: none runs beside a call under review.
      for (const call of toolCalls) await this.gateCall(call);
    } catch (err) {
      if (err !== run.stopped) throw err;
    }
    if (run.stopped) for (const call of toolCalls) if (!this.calls.has(call.toolCallId)) this.calls.set(call.toolCallId, { approval: "wait" });
    return result;
  }

  /** Records a tool call as a step and applies its gate; false when the run stopped on it (or before). */
  async gateCall(call: ToolCallRequest): Promise<StepHandle<unknown> | undefined> {
    const run = this.run;
    const from = this.lastModel ? [this.lastModel] : [];
    try {
      const handle = await run.step<unknown>(call.toolName, { from }, async () => {
        const modelConfidence = this.lastModelConfidence;
        const confidence = this.options.scoreTool ? await this.options.scoreTool({ ...call, modelConfidence }) : modelConfidence;
        // The model's own confidence handed on keeps the model's source.
        const source = confidence !== undefined && confidence === modelConfidence ? this.lastModelSource : undefined;
        return { value: call.input, confidence, ...(source ? { confidenceSource: source } : {}) };
      });
      this.calls.set(call.toolCallId, { approval: "pass", handle });
      return handle;
    } catch (err) {
      if (err !== run.stopped) throw err;
      this.calls.set(call.toolCallId, { approval: "wait" });
      return undefined;
    }
  }

  private async needsApproval(toolName: string, input: unknown, toolCallId: string): Promise<boolean> {
    let seen = this.calls.get(toolCallId);
    // A call the wrapped model did not see (an unwrapped model, a stream): gate it now.
    if (!seen) {
      await this.gateCall({ toolCallId, toolName, input });
      seen = this.calls.get(toolCallId)!;
    }
    // `approved`: the AI SDK asks again before running a call approved in the messages; only a
    // tool that needs approval may be approved, so the answer stays yes.
    return seen.approval !== "pass";
  }

  private async execute(toolName: string, input: unknown, opts: { toolCallId: string }, execute: (input: unknown, opts: unknown) => unknown): Promise<unknown> {
    const call = this.calls.get(opts.toolCallId)?.handle;
    const from = call ? [call] : [];
    const startedAt = this.run.now();
    let output: unknown;
    try {
      output = await execute(input, opts);
    } catch (err) {
      // The AI SDK hands a tool's error to the model, which carries on: recorded as the result.
      await this.recordResult(toolName, { input, from, source: "direct", startedAt }, { error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    await this.recordResult(toolName, { input, from, source: "direct", startedAt }, output);
    return output;
  }

  private async recordResult(toolName: string, opts: StepOptions, value: unknown): Promise<void> {
    try {
      // Read from the tool, not inferred; unscored, so its gate holds whenever its call's did.
      this.results.push(await this.run.step(`${toolName}.result`, opts, () => ({ value })));
    } catch (err) {
      if (err !== this.run.stopped) throw err;
    }
  }
}

/** Tool inputs arrive as JSON text from the provider; the AI SDK parses them the same way. */
function parseInput(input: unknown): unknown {
  if (typeof input !== "string") return input;
  try {
    return input.trim() === "" ? {} : (JSON.parse(input) as unknown);
  } catch {
    return input;
  }
}

/** Model and token usage as drift features (v3 usage has totals per direction; v2 plain numbers). */
function features(model: LanguageModel, result: GenerateResult): Record<string, FeatureValue> {
  const f: Record<string, FeatureValue> = { model: model.modelId, provider: model.provider };
  const usage = result.usage as unknown as Record<string, unknown> | undefined;
  const tokens = (v: unknown) =>
    typeof v === "number" ? v : typeof (v as { total?: unknown } | undefined)?.total === "number" ? (v as { total: number }).total : undefined;
  const inputTokens = tokens(usage?.inputTokens);
  const outputTokens = tokens(usage?.outputTokens);
  if (inputTokens !== undefined) f.inputTokens = inputTokens;
  if (outputTokens !== undefined) f.outputTokens = outputTokens;
  const finish = result.finishReason as unknown;
  const reason = typeof finish === "string" ? finish : (finish as { unified?: string } | undefined)?.unified;
  if (reason !== undefined) f.finishReason = reason;
  return f;
}
