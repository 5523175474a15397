/**
 * A graph node as a Seamtrace step. The wrapper runs the node, records its update as a step
 * (lineage from the graph's edges, confidence from the scorer or the chat model's
 * log-probabilities), and when the gate fails raises LangGraph's `interrupt()` with the
 * escalation packet. On resume LangGraph runs the interrupted node again; the wrapper then does
 * not call the node's function (its side effects happened once), but returns the reviewed
 * update from the resume value.
 */
import { interrupt } from "@langchain/langgraph";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Run, StepHandle } from "../../run.js";
import type { ConfidenceSource, FeatureValue } from "../../types.js";
import { collectLogprobs, logprobSource, meanTokenProbability } from "../shared/confidence.js";
import type { RecordedStep } from "../shared/resume-walk.js";
import type { EscalationPacket, ReviewAnswer } from "./packet.js";

/** What a node scorer sees. */
export interface NodeFacts<S = unknown, U = unknown> {
  node: string;
  state: S;
  update: U;
  /** From the log-probabilities of the chat model messages in the update, if any. */
  logprobConfidence: number | undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: a scorer may serve nodes of any state and update type
export type NodeScorer = (facts: NodeFacts<any, any>) => number | undefined | Promise<number | undefined>;

/** A resumed task's pending Seamtrace interrupt and what answers it. */
export interface Resuming {
  packet: EscalationPacket;
  /** The recorded step to re-enter (its call), when the node ran before. */
  record?: RecordedStep | undefined;
}

/** One graph invocation inside a Seamtrace run, shared by its nodes through the config. */
export class GraphSession {
  /** Per node, its latest step and the superstep it ran in: parents of the nodes its edges feed. */
  readonly latest = new Map<string, { handle: StepHandle<unknown>; superstep: number }>();
  /** Pending Seamtrace interrupts being resumed, by the task's checkpoint namespace. */
  readonly resuming = new Map<string, Resuming>();

  constructor(
    readonly run: Run,
    readonly workflow: string,
    /** Sources of the edges into each node (conditional ones included). */
    readonly sources: ReadonlyMap<string, readonly string[]>,
    readonly score: NodeScorer | undefined,
  ) {}

  parents(node: string, superstep: number): StepHandle<unknown>[] {
    const from: StepHandle<unknown>[] = [];
    for (const source of this.sources.get(node) ?? []) {
      const l = this.latest.get(source);
      if (l && l.superstep < superstep) from.push(l.handle);
    }
    return from;
  }
}

export const SESSION_KEY = "__seamtrace";

type NodeFn<S, U> = (state: S, config: LangGraphRunnableConfig) => U | Promise<U>;

/**
 * Wraps a node function. Outside a Seamtrace invocation (`invoke`/`resume` of the adapter) the
 * node runs as is.
 */
export function gatedNode<S, U>(fn: NodeFn<S, U>, score?: NodeScorer): (state: S, config: LangGraphRunnableConfig) => Promise<U> {
  return async (state: S, config: LangGraphRunnableConfig): Promise<U> => {
    const session = config.configurable?.[SESSION_KEY] as GraphSession | undefined;
    if (!session) return fn(state, config);
    const run = session.run;
    const meta = (config.metadata ?? {}) as Record<string, unknown>;
    const node = String(meta.langgraph_node);
    const superstep = typeof meta.langgraph_step === "number" ? meta.langgraph_step : 0;
    const ns = String(meta.langgraph_checkpoint_ns ?? config.configurable?.checkpoint_ns ?? "");
    const resuming = session.resuming.get(ns);
    let index = 0;
    if (resuming) {
      // LangGraph matches resume values to interrupt() calls by their order within the task:
      // call it as often as before, the last call answering this resume.
      let answer: ReviewAnswer | undefined;
      for (let i = 0; i <= resuming.packet.index; i++) answer = interrupt<EscalationPacket, ReviewAnswer>(resuming.packet);
      index = resuming.packet.index + 1;
      if (answer?.seamtrace === "review" && resuming.record) {
        const r = resuming.record;
        // The reviewed step: the core hands back the reviewer's value (or fails the run on
        // reject) without calling anything; the node's own function does not run again.
        // The usage features of the call that made the update stay with the step.
        const features = featuresOf(resuming.packet.output);
        const handle = await run.step(node, { call: r.call, from: session.parents(node, superstep), input: state, ...(features ? { features } : {}) }, () => {
          throw new Error(`step "${node}" has no review to resume from`);
        });
        session.latest.set(node, { handle, superstep });
        return answer.output as U;
      }
      if (resuming.packet.seamtrace === "waiting" && "output" in resuming.packet) {
        // It ran, but another step had stopped the run before its update was judged (or it
        // failed its gate then): judged now, on the update it made, under the same call.
        const { confidence, confidenceSource } = resuming.packet;
        return gate(session, node, superstep, state, resuming.packet.output as U, { confidence, confidenceSource }, index, resuming.record?.call);
      }
    }
    if (run.stopped) {
      // Another step stopped the run: no more user code runs until the review is in.
      interrupt<EscalationPacket, ReviewAnswer>(waiting(session, node, index, undefined));
    }
    const startedAt = run.now();
    const update = await fn(state, config);
    const lp = logprobsOf(update);
    const confidence = score
      ? await score({ node, state, update, logprobConfidence: lp })
      : session.score
        ? await session.score({ node, state, update, logprobConfidence: lp })
        : lp;
    return gate(session, node, superstep, state, update, { confidence, confidenceSource: logprobSource(confidence, lp) }, index, undefined, startedAt);
  };
}

async function gate<S, U>(
  session: GraphSession,
  node: string,
  superstep: number,
  state: S,
  update: U,
  scored: Scored,
  index: number,
  call?: number,
  startedAt?: number,
): Promise<U> {
  const run = session.run;
  let stepId = "";
  try {
    const handle = await run.step(
      node,
      {
        from: session.parents(node, superstep),
        input: state,
        features: featuresOf(update),
        ...(call !== undefined ? { call } : {}),
        ...(startedAt !== undefined ? { startedAt } : {}),
      },
      (ctx) => {
        stepId = ctx.stepId;
        return { value: update, ...scored };
      },
    );
    session.latest.set(node, { handle, superstep });
    return update;
  } catch (err) {
    if (err !== run.stopped) throw err;
    const esc = run.escalation;
    if (esc && esc.stepId === stepId) {
      const packet: EscalationPacket = {
        seamtrace: "escalated",
        runId: run.id,
        workflow: session.workflow,
        step: node,
        stepId,
        escalationId: esc.id,
        kinds: esc.kinds,
        output: update,
        index,
      };
      Object.assign(packet, defined(scored));
      throw interruptWith(packet);
    }
    if (run.stopped?.reason === "failed") throw err;
    // The update is kept in the packet, so the node's function need not run again on resume.
    throw interruptWith(waiting(session, node, index, { ...(stepId !== "" ? { stepId } : {}), output: update, ...defined(scored) }));
  }
}

/** A node's confidence and where it came from; both travel in the packet, for judging on resume. */
interface Scored {
  confidence: number | undefined;
  confidenceSource: ConfidenceSource | undefined;
}

/** The fields of `scored` that are set: a checkpoint keeps no undefined keys. */
function defined(scored: Scored): Partial<Pick<EscalationPacket, "confidence" | "confidenceSource">> {
  return {
    ...(scored.confidence !== undefined ? { confidence: scored.confidence } : {}),
    ...(scored.confidenceSource !== undefined ? { confidenceSource: scored.confidenceSource } : {}),
  };
}

function waiting(
  session: GraphSession,
  node: string,
  index: number,
  ran?: { stepId?: string; output: unknown; confidence?: number; confidenceSource?: ConfidenceSource },
): EscalationPacket {
  const run = session.run;
  const packet: EscalationPacket = { seamtrace: "waiting", runId: run.id, workflow: session.workflow, step: node, index, ...ran };
  if (run.escalation) packet.escalationId = run.escalation.id;
  return packet;
}

/** `interrupt()` throws LangGraph's GraphInterrupt the first time it is called for a value. */
function interruptWith(packet: EscalationPacket): unknown {
  try {
    interrupt<EscalationPacket, ReviewAnswer>(packet);
  } catch (signal) {
    return signal;
  }
  // A resume value was already there for this index: nothing to pause on.
  return new Error("a Seamtrace interrupt was answered before it was raised");
}

interface MessageLike {
  response_metadata?: Record<string, unknown>;
  usage_metadata?: { input_tokens?: number; output_tokens?: number };
}

/** Chat model messages in a node's update (`{ messages: [...] }` or one message). */
function messagesOf(update: unknown): MessageLike[] {
  if (update === null || typeof update !== "object") return [];
  const m = (update as { messages?: unknown }).messages;
  const list = Array.isArray(m) ? m : m !== undefined ? [m] : [];
  return list.filter((x): x is MessageLike => x !== null && typeof x === "object" && "response_metadata" in x);
}

/** exp(mean log-probability) over the tokens of the update's chat model messages. */
function logprobsOf(update: unknown): number | undefined {
  const found: number[] = [];
  for (const m of messagesOf(update)) {
    const lp = m.response_metadata?.logprobs as { content?: unknown } | unknown[] | undefined;
    collectLogprobs(Array.isArray(lp) ? lp : (lp as { content?: unknown } | undefined)?.content, found);
  }
  return meanTokenProbability(found);
}

/** Model and token usage of the update's chat model messages, as drift features. */
function featuresOf(update: unknown): Record<string, FeatureValue> | undefined {
  let f: Record<string, FeatureValue> | undefined;
  for (const m of messagesOf(update)) {
    const model = m.response_metadata?.model_name ?? m.response_metadata?.model;
    if (typeof model === "string") (f ??= {}).model = model;
    const u = m.usage_metadata;
    if (typeof u?.input_tokens === "number") (f ??= {}).inputTokens = ((f.inputTokens as number | undefined) ?? 0) + u.input_tokens;
    if (typeof u?.output_tokens === "number") (f ??= {}).outputTokens = ((f.outputTokens as number | undefined) ?? 0) + u.output_tokens;
  }
  return f;
}
