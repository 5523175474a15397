/**
 * `@seamtrace/sdk/langgraph` — Seamtrace gates for LangGraph.js graphs, through LangGraph's own
 * `interrupt()` and `Command({ resume })` and the graph's checkpointer. A separate entry point;
 * `@langchain/langgraph` is an optional peer dependency, needed only here.
 *
 * Wrap the node functions you want judged with `node()`: each run of such a node is a step named
 * after the node, its update the output, its input the state it got, its parents the latest
 * steps of the nodes with an edge into it. Its confidence comes from your scorer, or from the
 * log-probabilities of the chat model messages in its update (then reported with source
 * `logprob`, as is a scorer's value equal to `logprobConfidence`). `invoke()` runs the graph as a
 * Seamtrace run; when a node fails its gate it raises `interrupt()` with the escalation packet,
 * LangGraph saves the thread in its checkpointer, and the result is `escalated`. `resume()`
 * reads the pending interrupt from the thread, waits for nothing (an open review answers
 * `escalated`), and resumes the thread with `Command({ resume })` carrying the decision: the
 * interrupted node returns its own update (accept) or the reviewer's (correct) without running
 * its function again, or fails the graph run (reject).
 * @example
 * import { StateGraph, MemorySaver } from "@langchain/langgraph";
 * import { withLangGraph } from "@seamtrace/sdk/langgraph";
 * const gates = withLangGraph(st.workflow("triage", { policy: { minConfidence: 0.7 } }));
 * const graph = new StateGraph(State)
 *   .addNode("classify", gates.node(classify, { score: ({ update }) => update.p }))
 *   .addNode("reply", gates.node(reply))
 *   .addEdge(START, "classify").addEdge("classify", "reply").addEdge("reply", END)
 *   .compile({ checkpointer: new MemorySaver() });
 * const config = { configurable: { thread_id: ticket.id } };
 * const first = await gates.invoke(graph, { ticket }, config);
 * // first.status === "escalated": the thread waits; first.escalation.id is in the review queue
 * const next = await gates.resume(graph, config); // after the review: "completed", next.output is the final state
 */
import { Command, type LangGraphRunnableConfig } from "@langchain/langgraph";
import type { RunOptions, RunResult, Workflow } from "../../client.js";
import { endedRun } from "../shared/finished.js";
import { walkRecorded } from "../shared/resume-walk.js";
import { GraphSession, SESSION_KEY, gatedNode, type NodeScorer } from "./node.js";
import { isPacket, type EscalationPacket, type ReviewAnswer } from "./packet.js";

export type { NodeFacts, NodeScorer } from "./node.js";
export type { EscalationPacket, ReviewAnswer } from "./packet.js";

/** The parts of a compiled graph the adapter uses. */
export interface GatedGraph<I, O> {
  invoke(input: I | Command, config?: LangGraphRunnableConfig): Promise<O>;
  getState(
    config: LangGraphRunnableConfig,
  ): Promise<{ tasks: ReadonlyArray<{ id: string; name: string; interrupts: ReadonlyArray<{ id?: string; value?: unknown }> }> }>;
  getGraphAsync(config?: LangGraphRunnableConfig): Promise<{ edges: ReadonlyArray<{ source: string; target: string }> }>;
}

/** The run's outcome; `output` is the graph's final state. While `escalated`, `state` is what it returned. */
export interface GraphRunResult<O> extends RunResult<O> {
  /** What `graph.invoke` returned, including `__interrupt__` while paused. */
  state?: O;
}

export interface LangGraphWorkflow {
  readonly workflow: Workflow;
  /**
   * A node function whose runs are steps. `score` gives its confidence (over the adapter's).
   * @example
   * builder.addNode("classify", gates.node(classify, { score: ({ update }) => update.confidence }));
   */
  node<S, U>(
    fn: (state: S, config: LangGraphRunnableConfig) => U | Promise<U>,
    options?: { score?: NodeScorer },
  ): (state: S, config: LangGraphRunnableConfig) => Promise<U>;
  /**
   * Runs the graph on a thread as a new Seamtrace run. The thread's checkpointer keeps it when
   * a node escalates.
   * @example
   * const r = await gates.invoke(graph, { ticket }, { configurable: { thread_id: "t-1" } });
   */
  invoke<I, O>(
    graph: GatedGraph<I, O>,
    input: I,
    config: LangGraphRunnableConfig,
    options?: Omit<RunOptions, "runId" | "replay" | "wait">,
  ): Promise<GraphRunResult<O>>;
  /**
   * Resumes the thread's paused Seamtrace run once its review is in, through the checkpointer.
   * `escalated` while the review is open; `duplicate` when another worker resumed it.
   * @example
   * const r = await gates.resume(graph, { configurable: { thread_id: "t-1" } });
   */
  resume<I, O>(graph: GatedGraph<I, O>, config: LangGraphRunnableConfig): Promise<GraphRunResult<O>>;
}

/**
 * Seamtrace steps, gates and review for the LangGraph graphs of one workflow.
 * @example
 * const gates = withLangGraph(st.workflow("triage"), { score: ({ update }) => update.confidence });
 */
export function withLangGraph(workflow: Workflow, options: { score?: NodeScorer } = {}): LangGraphWorkflow {
  const edgesOf = async (graph: GatedGraph<unknown, unknown>, config: LangGraphRunnableConfig) => {
    const sources = new Map<string, string[]>();
    for (const e of (await graph.getGraphAsync(config)).edges) {
      const list = sources.get(e.target) ?? [];
      if (!list.includes(e.source)) list.push(e.source);
      sources.set(e.target, list);
    }
    return sources;
  };
  const withSession = (config: LangGraphRunnableConfig, session: GraphSession): LangGraphRunnableConfig => ({
    ...config,
    configurable: { ...config.configurable, [SESSION_KEY]: session },
  });

  return {
    workflow,
    node: (fn, nodeOptions = {}) => gatedNode(fn, nodeOptions.score),
    async invoke(graph, input, config, runOptions = {}) {
      const sources = await edgesOf(graph as GatedGraph<unknown, unknown>, config);
      let state: Awaited<ReturnType<typeof graph.invoke>> | undefined;
      const r = await workflow.run({ ...runOptions, input: runOptions.input ?? input, replay: false }, async (run) => {
        const session = new GraphSession(run, workflow.name, sources, options.score);
        state = await graph.invoke(input, withSession(config, session));
        return state;
      });
      return { ...r, ...(state !== undefined ? { state } : {}) };
    },
    async resume(graph, config) {
      const snapshot = await graph.getState(config);
      const ours = snapshot.tasks.flatMap((task) =>
        task.interrupts.filter((i) => isPacket(i.value)).map((i) => ({ task, id: i.id, packet: i.value as EscalationPacket })),
      );
      const runId = ours[0]?.packet.runId;
      if (runId === undefined) {
        return { status: "failed", runId: "", failure: { error: { name: "NothingToResume", message: "the thread has no pending Seamtrace interrupt" } } };
      }
      const ended = await endedRun<Awaited<ReturnType<typeof graph.invoke>>>(workflow, runId);
      if (ended) return ended;
      const sources = await edgesOf(graph as GatedGraph<unknown, unknown>, config);
      let state: Awaited<ReturnType<typeof graph.invoke>> | undefined;
      const r = await workflow.resume(runId, async (run) => {
        const session = new GraphSession(run, workflow.name, sources, options.score);
        // Every recorded step but the ones LangGraph runs again: those re-enter their own calls.
        const walked = await walkRecorded(run, { deferReviewed: true });
        for (const [stepId, handle] of walked.handles) {
          const name = walked.records.get(stepId)!.name;
          session.latest.set(name, { handle, superstep: -1 });
        }
        const review = walked.review;
        const resume: Record<string, ReviewAnswer> = {};
        for (const { task, id, packet } of ours) {
          if (packet.runId !== runId || id === undefined) continue;
          const record = packet.stepId !== undefined ? walked.records.get(packet.stepId) : undefined;
          session.resuming.set(`${task.name}:${task.id}`, { packet, record });
          resume[id] =
            review && packet.stepId === review.stepId
              ? {
                  seamtrace: "review",
                  decision: review.decision ?? undefined,
                  output: review.decision === "accept" ? packet.output : review.output,
                  reason: review.reason,
                }
              : { seamtrace: "go" };
        }
        state = await graph.invoke(new Command({ resume }), withSession(config, session));
        return state;
      });
      return { ...r, ...(state !== undefined ? { state } : {}) };
    },
  };
}
