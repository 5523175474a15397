/**
 * `@seamtrace/sdk/otel` — gates, escalation and resume for code that already traces itself
 * with OpenTelemetry. A separate entry point: apps that do not use it pay nothing for it, and
 * `@opentelemetry/api` (an optional peer dependency) is only needed here.
 *
 * `withTracer(workflow, tracer)` runs a Seamtrace workflow inside OpenTelemetry spans: a span for
 * the run and one per step, active while the step's code runs, so the model and HTTP calls your
 * instrumentations already trace nest under the step that made them. Gates, escalation and
 * durable resume are the workflow's own (`Workflow.run`, `run.step`): served policies, the run
 * stopping at a failed gate, replay of recorded steps. The spans say what happened
 * (`seamtrace.confidence`, `seamtrace.gate.outcome`, `seamtrace.escalation.id`, …) for your tracing
 * backend; Seamtrace itself gets the steps through the SDK's transport, as always.
 *
 * If your exporter also sends these traces to Seamtrace's `POST /v1/traces`, the spans made here
 * are marked `seamtrace.reported` and not recorded twice: the attributes you set on a step's span
 * show as that step's metadata, and spans started inside a step (an LLM call) join that step's
 * run as its children. {@link seamtraceSpanProcessor} stamps those spans with their run and step
 * as they start, so they are filed right even when the step's own span is not exported.
 * @example
 * import { trace } from "@opentelemetry/api";
 * import { withTracer } from "@seamtrace/sdk/otel";
 * const claims = withTracer(st.workflow("claims", { policy: { minConfidence: 0.8 } }), trace.getTracer("claims"));
 * const result = await claims.run({ input: email, key: email.id }, async (run) => {
 *   const fields = await run.step("extract", { input: email }, async (ctx, span) => {
 *     const r = await llm.extract(email); // auto-instrumented: its span is a child of "extract"
 *     span.setAttribute("gen_ai.request.model", r.model);
 *     return { value: r.fields, confidence: r.p };
 *   });
 *   return fields.value;
 * });
 * // result.status: "completed" | "escalated" | "failed" | "duplicate", as with Workflow.run
 */
import { context, createContextKey, SpanStatusCode, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { RunOptions, RunResult, Workflow } from "./client.js";
import type { Run, StepContext, StepHandle, StepOptions, StepResult } from "./run.js";

/** A step function under a tracer: the usual context, plus the step's span to annotate. */
export type TracedStepFn<V> = (ctx: StepContext, span: Span) => StepResult<V> | Promise<StepResult<V>>;

/** What {@link seamtraceSpanProcessor} stamps on spans started inside a run. */
interface RunRef {
  runId: string;
  workflow: string;
  version: string;
  /** Empty between steps. */
  stepId: string;
}

const RUN_KEY = createContextKey("seamtrace.run");

/** A workflow whose runs and steps are OpenTelemetry spans. */
export interface TracedWorkflow {
  readonly workflow: Workflow;
  /** `Workflow.run` inside a run span; `fn` gets a {@link TracedRun}. */
  run<T>(options: RunOptions, fn: (run: TracedRun) => Promise<T> | T): Promise<RunResult<T>>;
  /** `Workflow.resume` inside a run span. */
  resume<T>(runId: string, fn: (run: TracedRun) => Promise<T> | T, options?: Omit<RunOptions, "runId" | "replay">): Promise<RunResult<T>>;
}

/**
 * Wraps a workflow so its runs and steps are spans of `tracer`.
 * @example
 * const claims = withTracer(st.workflow("claims"), trace.getTracer("claims"));
 */
export function withTracer(workflow: Workflow, tracer: Tracer): TracedWorkflow {
  const traced = <T>(fn: (run: TracedRun) => Promise<T> | T, go: (inner: (run: Run) => Promise<T> | T) => Promise<RunResult<T>>) =>
    tracer.startActiveSpan(
      workflow.name,
      { attributes: { "seamtrace.reported": true, "seamtrace.workflow": workflow.name, "seamtrace.workflow.version": workflow.version } },
      async (span): Promise<RunResult<T>> => {
        const outer = context.active();
        try {
          const result = await go((run) => {
            span.setAttribute("seamtrace.run.id", run.id);
            const ref: RunRef = { runId: run.id, workflow: workflow.name, version: workflow.version, stepId: "" };
            const runCtx = trace.setSpan(outer, span).setValue(RUN_KEY, ref);
            return context.with(runCtx, () => fn(new TracedRun(run, tracer, runCtx, ref)));
          });
          span.setAttribute("seamtrace.run.status", result.status);
          if (result.escalation) {
            span.setAttribute("seamtrace.escalation.id", result.escalation.id);
            span.setAttribute("seamtrace.escalation.step", result.escalation.step);
          }
          if (result.failure) span.setStatus({ code: SpanStatusCode.ERROR, message: result.failure.error.message });
          return result;
        } catch (err) {
          // Workflow.run does not reject for a step's failure; anything here is unexpected.
          span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
          throw err;
        } finally {
          span.end();
        }
      },
    );
  return {
    workflow,
    run: (options, fn) => traced(fn, (inner) => workflow.run(options, inner)),
    resume: (runId, fn, options) => traced(fn, (inner) => workflow.resume(runId, inner, options)),
  };
}

/** A run whose steps are spans. Same rules as `Run`: gates at every handoff, replay on resume. */
export class TracedRun {
  /** @internal */
  constructor(
    /** The underlying run, for anything not wrapped here. */
    readonly run: Run,
    private readonly tracer: Tracer,
    private readonly runCtx: Context,
    private readonly ref: RunRef,
  ) {}

  get id(): string {
    return this.run.id;
  }

  /** The run's input: as given, or as recorded when the run is resumed. */
  get input(): unknown {
    return this.run.input;
  }

  /**
   * `run.step()` in a span named after the step, active while `fn` runs. A step replayed from
   * its recorded output (resume) calls no code and makes no span.
   * @example
   * const kind = await run.step("classify", { from: [fields] }, async (_ctx, span) => ({ value: await classify(fields.value), confidence: 0.8 }));
   */
  step<V>(name: string, fn: TracedStepFn<V>): Promise<StepHandle<V>>;
  step<V>(name: string, options: StepOptions, fn: TracedStepFn<V>): Promise<StepHandle<V>>;
  step<V>(name: string, a: StepOptions | TracedStepFn<V>, b?: TracedStepFn<V>): Promise<StepHandle<V>> {
    const options = typeof a === "function" ? {} : a;
    const fn = (typeof a === "function" ? a : b) as TracedStepFn<V>;
    // Parallel steps each start from the context they were called in; without a context manager
    // (or outside the run's callback) that is the run's own.
    const active = context.active();
    const parent = trace.getSpan(active) ? active : this.runCtx;
    let span: Span | undefined;
    let stepId = "";
    // What the step's code answered: an escalated step's handle never comes back, its confidence does.
    let answered: number | undefined;
    const promise = this.run.step<V>(name, options, (ctx) => {
      if (!span) {
        stepId = ctx.stepId;
        span = this.tracer.startSpan(
          name,
          {
            attributes: {
              "seamtrace.reported": true,
              "seamtrace.run.id": this.ref.runId,
              "seamtrace.workflow": this.ref.workflow,
              "seamtrace.workflow.version": this.ref.version,
              "seamtrace.step": name,
              "seamtrace.step.id": stepId,
            },
          },
          parent,
        );
      } else span.addEvent("seamtrace.retry", { "seamtrace.attempt": ctx.attempt });
      const stepCtx = trace.setSpan(parent, span).setValue(RUN_KEY, { ...this.ref, stepId });
      const s = span;
      return context.with(stepCtx, async () => {
        const result = await fn(ctx, s);
        answered = typeof result?.confidence === "number" ? result.confidence : undefined;
        return result;
      });
    });
    return promise.then(
      (handle) => {
        if (span) {
          span.setAttributes({
            "seamtrace.cumulative": handle.cumulative,
            "seamtrace.source": handle.source,
            "seamtrace.gate.outcome": handle.flagged ? "flag" : "pass",
          });
          // An unscored step has no confidence attribute at all: neither a 1 nor a 0 it never gave.
          if (handle.confidence !== undefined) span.setAttribute("seamtrace.confidence", handle.confidence);
          if (handle.stale) span.setAttribute("seamtrace.stale", true);
          span.end();
        }
        return handle;
      },
      (err: unknown) => {
        if (span) {
          const escalation = this.run.escalation;
          if (escalation && escalation.stepId === stepId) {
            // Stopped at its gate: not an error of the code, a decision the run waits on.
            span.setAttributes({ "seamtrace.gate.outcome": "escalate", "seamtrace.gate.kinds": escalation.kinds, "seamtrace.escalation.id": escalation.id });
            if (answered !== undefined) span.setAttribute("seamtrace.confidence", answered);
          } else if (this.run.failure?.stepId === stepId) {
            const e = this.run.failure.error;
            span.recordException({ name: e.name, message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}) });
            span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
          }
          span.end();
        }
        throw err;
      },
    );
  }
}

/**
 * A span processor (structurally `SpanProcessor` from @opentelemetry/sdk-trace-base) that stamps
 * every span started inside a traced run with the run (`seamtrace.run.id`, `seamtrace.workflow`)
 * and the step it belongs to (`seamtrace.parent.step.id`). Seamtrace's `POST /v1/traces` uses
 * them to file those spans under the step, in the run the SDK reported.
 * @example
 * new NodeTracerProvider({ spanProcessors: [seamtraceSpanProcessor(), new BatchSpanProcessor(exporter)] });
 */
export function seamtraceSpanProcessor() {
  return {
    onStart(span: Span, parentContext: Context): void {
      const ref = parentContext.getValue(RUN_KEY) as RunRef | undefined;
      if (!ref) return;
      span.setAttributes({
        "seamtrace.run.id": ref.runId,
        "seamtrace.workflow": ref.workflow,
        "seamtrace.workflow.version": ref.version,
        "seamtrace.parent.step.id": ref.stepId,
      });
    },
    onEnd(): void {},
    forceFlush: (): Promise<void> => Promise.resolve(),
    shutdown: (): Promise<void> => Promise.resolve(),
  };
}
