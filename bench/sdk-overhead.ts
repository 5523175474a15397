/**
 * SDK overhead: the cost of one `run.step()` with a trivial body against an OpenTelemetry JS
 * span carrying the same facts (name, value, confidence) through a BatchSpanProcessor with a
 * no-op exporter, measured in the same process, rounds alternated. Target: ratio ≤ 0.5.
 */
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { Seamtrace, type RequestFn } from "@seamtrace/sdk";
import { alternate, fmt, median } from "./stats.js";

const STEPS_PER_ROUND = 20_000;
const ROUNDS = 10;

// The collector is not part of what is measured: a request that accepts everything at once.
const accept: RequestFn = async (_url, init) => ({
  status: 200,
  headers: { get: () => null },
  text: async () => (init.method === "GET" ? '{"policies":[]}' : '{"results":[]}'),
});

class NoopExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (r: { code: number }) => void): void {
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

export async function benchSdkOverhead(): Promise<Record<string, number>> {
  const st = new Seamtrace({ endpoint: "http://127.0.0.1:1", request: accept, transport: { maxBufferEvents: 1_000_000, gzip: false } });
  const wf = st.workflow("bench", { version: "1" });
  // As deployed: an API key, so every step asks the (empty) server policies and the code policy.
  const keyed = new Seamtrace({ endpoint: "http://127.0.0.1:1", apiKey: "st_bench", request: accept, transport: { maxBufferEvents: 1_000_000, gzip: false } });
  const keyedWf = keyed.workflow("bench", { version: "1", policy: { minConfidence: 0.5 } });
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new NoopExporter(), { maxQueueSize: 1_000_000, maxExportBatchSize: 512 })],
  });
  const tracer = provider.getTracer("bench");
  const body = async () => ({ value: 1, confidence: 0.9 });

  const round = (workflow: typeof wf, client: Seamtrace) => async () => {
    let elapsed = 0;
    await workflow.run({ input: 1 }, async (run) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < STEPS_PER_ROUND; i++) await run.step("s", body);
      elapsed = Number(process.hrtime.bigint() - t0);
    });
    await client.flush();
    return elapsed / STEPS_PER_ROUND;
  };
  const seamtraceRound = round(wf, st);
  const keyedRound = round(keyedWf, keyed);
  const otelRound = async () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < STEPS_PER_ROUND; i++) {
      const span = tracer.startSpan("s");
      const r = await body();
      span.setAttribute("seamtrace.value", r.value);
      span.setAttribute("seamtrace.confidence", r.confidence);
      span.end();
    }
    const elapsed = Number(process.hrtime.bigint() - t0);
    await provider.forceFlush();
    return elapsed / STEPS_PER_ROUND;
  };

  await alternate(2, seamtraceRound, otelRound); // warm-up: JIT both paths
  await alternate(2, keyedRound, otelRound);
  const { a, b } = await alternate(ROUNDS, seamtraceRound, otelRound);
  const { a: k, b: b2 } = await alternate(ROUNDS, keyedRound, otelRound);
  await st.shutdown();
  await keyed.shutdown();
  await provider.shutdown();
  const step = median(a);
  const keyedStep = median(k);
  const span = median([...b, ...b2]);
  console.log(`SDK overhead (${ROUNDS} rounds × ${fmt(STEPS_PER_ROUND)} steps, median)`);
  console.log(`  seamtrace run.step()        ${fmt(step)} ns/step`);
  console.log(`  OpenTelemetry span (batch)  ${fmt(span)} ns/span`);
  console.log(`  with an API key and a policy ${fmt(keyedStep)} ns/step (server policies looked up, gate checked)`);
  console.log(`  ratio step/span             ${fmt(step / span, 2)}; with key and policy ${fmt(keyedStep / span, 2)}   (target ≤ 0.50)`);
  return { stepNs: step, keyedStepNs: keyedStep, spanNs: span, ratio: step / span, keyedRatio: keyedStep / span };
}
