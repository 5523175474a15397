/**
 * `@seamtrace/sdk/ai` — Seamtrace gates for the Vercel AI SDK (`ai`, v6), through the AI SDK's
 * own tool approval. A separate entry point: it imports `ai` for types only, and apps that do not
 * use it pay nothing for it.
 *
 * Inside `run()`, every model call is a step (named `model`: its text and tool calls, confidence
 * from the token log-probabilities when the provider returns them or from your scorer, the
 * model and token usage as features), every tool call the model asks for is a step named after
 * the tool (its input, under that step's policy), and every tool result a step `<tool>.result`.
 * All tool calls of a response are gated as soon as it arrives; when one fails its gate (or the
 * model step itself does), the tools wrapped by `ai.tools()` answer `needsApproval` with yes,
 * `generateText` returns `tool-approval-request` parts, and the run is `escalated` with the
 * conversation to keep. `resume()` takes that conversation when the review is in: it answers
 * the approval requests from the decision (`accept` approves, `correct` approves the reviewer's
 * input, `reject` fails the run and denies the calls) and calls your function again, which
 * continues the generation. A final answer that fails its gate escalates the same way; its
 * review is the run's output.
 * @example
 * import { generateText, stepCountIs } from "ai";
 * import { withAISDK } from "@seamtrace/sdk/ai";
 * const support = withAISDK(st.workflow("support", { steps: { refund: { minConfidence: 0.8 } } }));
 * const generate = (ai: AIContext) => generateText({ model: ai.model(myModel), tools: ai.tools({ refund }), messages: ai.messages, stopWhen: stepCountIs(5) });
 * const first = await support.run({ messages: [{ role: "user", content: "refund order 42" }] }, generate);
 * if (first.status === "escalated") await store.save(first.runId, first.messages);
 * // once a reviewer has decided:
 * const next = await support.resume(runId, { messages: await store.load(runId) }, generate);
 * next.status; // "completed" (next.output is the final text), or "escalated" again, or "failed"
 */
import type { ModelMessage, ToolApprovalResponse, ToolSet } from "ai";
import type { RunResult, Workflow } from "../../client.js";
import type { StepHandle } from "../../run.js";
import { endedRun } from "../shared/finished.js";
import { walkRecorded, type RecordedStep, type Walked } from "../shared/resume-walk.js";
import { approvalMessage, pendingApprovals, withFinalText, withToolInputs, type PendingApproval } from "./messages.js";
import { AISession, type AIStepOptions, type LanguageModel, type ModelOutput } from "./session.js";

export type { AIStepOptions, LanguageModel, ModelCallFacts, ModelOutput, ToolCallFacts, ToolCallRequest } from "./session.js";

/** What your generation function gets: wrappers for its model and tools, and the conversation. */
export interface AIContext {
  /** The model, its calls recorded as steps. Wrap every model the generation calls. */
  model<M extends LanguageModel>(model: M): M;
  /** The tools, their approval answered by the run's gates and their results recorded. */
  tools<T extends ToolSet>(tools: T): T;
  /** The conversation to send: yours on `run()`, yours with the approval answers on `resume()`. */
  messages: ModelMessage[];
}

/** What `generateText` (or an agent built on it) returns, as far as the adapter reads it. */
export interface Generation {
  text: string;
  response: { messages: ModelMessage[] };
}

export type GenerateFn<R extends Generation> = (ai: AIContext) => Promise<R>;

/** The run's outcome, with the conversation as it now stands (keep it to resume). */
export interface AIRunResult<R> extends RunResult<string> {
  /** The messages sent plus the generation's response messages (approval requests included). */
  messages: ModelMessage[];
  /** The generation's own result, when it ran. While `escalated`, its text is not yet reviewed. */
  result?: R;
}

export interface AIRunOptions {
  /** The conversation to start from; recorded as the run's input. */
  messages: ModelMessage[];
  /** Your key for this run (a message id); recorded. `run()` always starts a new run. */
  key?: string;
  runId?: string;
}

export interface AISDKWorkflow {
  readonly workflow: Workflow;
  /**
   * Runs a generation as a new Seamtrace run.
   * @example
   * const r = await support.run({ messages }, (ai) => generateText({ model: ai.model(m), tools: ai.tools(t), messages: ai.messages }));
   */
  run<R extends Generation>(options: AIRunOptions, fn: GenerateFn<R>): Promise<AIRunResult<R>>;
  /**
   * Continues an escalated run once its review is in, from the conversation `run()` returned.
   * Answers `escalated` (nothing called) while the review is open, `duplicate` when another
   * worker already resumed it.
   * @example
   * const r = await support.resume(runId, { messages: saved }, generate);
   */
  resume<R extends Generation>(runId: string, options: { messages: ModelMessage[] }, fn: GenerateFn<R>): Promise<AIRunResult<R>>;
}

/**
 * Seamtrace steps, gates and review for AI SDK generations of one workflow.
 * @example
 * const support = withAISDK(st.workflow("support", { policy: { minConfidence: 0.7 } }), { scoreTool: (c) => c.modelConfidence });
 */
export function withAISDK(workflow: Workflow, options: AIStepOptions = {}): AISDKWorkflow {
  const context = (s: AISession, messages: ModelMessage[]): AIContext => ({
    model: (m) => s.wrapModel(m),
    tools: (t) => s.wrapTools(t),
    messages,
  });
  return {
    workflow,
    async run<R extends Generation>(opts: AIRunOptions, fn: GenerateFn<R>): Promise<AIRunResult<R>> {
      let messages = [...opts.messages];
      let result: R | undefined;
      const r = await workflow.run<string>({ input: opts.messages, key: opts.key, runId: opts.runId, replay: false }, async (run) => {
        const s = new AISession(run, options);
        const generated = await fn(context(s, messages));
        result = generated;
        messages = [...messages, ...generated.response.messages];
        return generated.text;
      });
      return { ...r, messages, ...(result !== undefined ? { result } : {}) };
    },
    async resume<R extends Generation>(runId: string, opts: { messages: ModelMessage[] }, fn: GenerateFn<R>): Promise<AIRunResult<R>> {
      let messages = [...opts.messages];
      let result: R | undefined;
      const ended = await endedRun<string>(workflow, runId);
      if (ended) return { ...ended, messages };
      const r = await workflow.resume<string>(runId, async (run) => {
        const s = new AISession(run, options);
        const walked = await walkRecorded(run);
        const pending = pendingApprovals(messages);
        if (run.stopped) {
          // Rejected: the run has failed, and no call waiting on it may run.
          messages = [...messages, approvalMessage(pending.map((p) => deny(p, walked.review?.reason ?? "rejected by a reviewer")))];
          return undefined as unknown as string;
        }
        const answer = await answerApprovals(s, walked, pending);
        if (answer === "stopped") return undefined as unknown as string;
        if (answer.final !== undefined) {
          // A reviewed final answer: the generation had ended; the review is its output.
          messages = withFinalText(messages, answer.final);
          return answer.final;
        }
        messages = [...withToolInputs(messages, answer.inputs), approvalMessage(answer.responses)];
        const generated = await fn(context(s, messages));
        result = generated;
        messages = [...messages, ...generated.response.messages];
        return generated.text;
      });
      return { ...r, messages, ...(result !== undefined ? { result } : {}) };
    },
  };
}

function deny(p: PendingApproval, reason: string): ToolApprovalResponse {
  return { type: "tool-approval-response", approvalId: p.approvalId, approved: false, reason };
}

type Answer = "stopped" | { final?: string; inputs: Map<string, unknown>; responses: ToolApprovalResponse[] };

/**
 * The answers to the conversation's pending approvals from the recorded run: each call's gated
 * step (its reviewed value when it is the one reviewed), or a gate applied now to a call the run
 * stopped before reaching.
 */
async function answerApprovals(s: AISession, walked: Walked, pending: PendingApproval[]): Promise<Answer> {
  const run = s.run;
  const records = [...walked.records.values()];
  const model = [...records].reverse().find((r) => r.name === s.modelStep && walked.handles.has(r.stepId));
  const inputs = new Map<string, unknown>();
  if (!model) {
    if (pending.length > 0) throw new Error("the conversation's pending tool calls do not belong to this run");
    return { inputs, responses: [] };
  }
  const modelHandle = walked.handles.get(model.stepId)!;
  s.lastModel = modelHandle;
  s.lastModelConfidence = modelHandle.source === "human" ? 1 : (model.confidence ?? undefined);
  // The recorded state keeps no source; without a scorer a model's confidence can only have
  // come from its log-probabilities. A reviewer's value has no model source.
  s.lastModelSource = modelHandle.source !== "human" && model.confidence !== null && !s.options.scoreModel ? "logprob" : undefined;
  s.results = records
    .filter((r) => r.name.endsWith(".result") && walked.handles.has(r.stepId) && isAfter(records, r, model))
    .map((r) => walked.handles.get(r.stepId)!);
  const asked = ((model.output as ModelOutput | null)?.toolCalls ?? []).map((c) => c.toolCallId);
  const ours = pending.filter((p) => asked.includes(p.toolCallId));
  if (ours.length === 0) {
    if (pending.length > 0) throw new Error("the conversation's pending tool calls do not belong to this run");
    const reviewed = walked.reviewed === modelHandle ? (modelHandle.value as ModelOutput | null) : null;
    return reviewed ? { final: reviewed.text, inputs, responses: [] } : { inputs, responses: [] };
  }
  // A corrected model step corrects the calls it asked for.
  if (walked.reviewed === modelHandle) for (const c of (modelHandle.value as ModelOutput).toolCalls ?? []) inputs.set(c.toolCallId, c.input);
  const gated = gatedCalls(records, model.stepId, s.modelStep, walked.handles);
  const responses: ToolApprovalResponse[] = [];
  for (const p of ours) {
    let handle: StepHandle<unknown> | undefined = gated.get(p.toolName)?.shift();
    const input = inputs.has(p.toolCallId) ? inputs.get(p.toolCallId) : p.input;
    if (!handle) {
      handle = await s.gateCall({ toolCallId: p.toolCallId, toolName: p.toolName, input });
      if (!handle) return "stopped";
    }
    if (handle === walked.reviewed || inputs.has(p.toolCallId)) inputs.set(p.toolCallId, handle.value);
    s.calls.set(p.toolCallId, { approval: "approved", handle });
    responses.push({ type: "tool-approval-response", approvalId: p.approvalId, approved: true });
  }
  return run.stopped ? "stopped" : { inputs, responses };
}

/** The walked tool-call steps a model step asked for, per tool, in the order they were gated. */
function gatedCalls(records: RecordedStep[], modelId: string, modelStep: string, handles: Map<string, StepHandle<unknown>>) {
  const byTool = new Map<string, StepHandle<unknown>[]>();
  const children = records.filter((r) => r.parents.includes(modelId) && r.name !== modelStep && handles.has(r.stepId)).sort((a, b) => a.call - b.call);
  for (const r of children) {
    const list = byTool.get(r.name) ?? [];
    list.push(handles.get(r.stepId)!);
    byTool.set(r.name, list);
  }
  return byTool;
}

function isAfter<T>(list: T[], a: T, b: T): boolean {
  return list.indexOf(a) > list.indexOf(b);
}
