/**
 * `golden run` throughput: 500 cases × 5 steps with trivial models, through the real
 * executor (`goldenRun`: the set read and validated from JSONL, every case run through the
 * instrumented workflow on a captured client, every step compared, summary and calibration),
 * against the same five functions run plainly — no Seamtrace, the same bounded parallelism, each
 * output compared with the expected one by canonical JSON — in the same process, rounds
 * alternated. The ratio says what the executor costs over the work itself.
 */
import { canonicalJson, goldenRun, serializeGoldenSet, type GoldenCase, type GoldenWorkflowModule } from "@seamtrace/golden";
import type { Seamtrace } from "@seamtrace/sdk";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alternate, fmt, median } from "./stats.js";

const CASES = 500;
const ROUNDS = 6;
const CONCURRENCY = 8;

// Five trivial models: each reads its parent's value and answers at once.
const models = {
  parse: (n: number) => ({ value: { n, text: `case ${n}` }, confidence: 0.95 }),
  score: (p: { n: number }) => ({ value: (p.n * 7) % 100, confidence: 0.9 }),
  label: (p: { n: number }) => ({ value: p.n % 2 === 0 ? "even" : "odd", confidence: 0.9 }),
  combine: (s: number, l: string) => ({ value: { s, l }, confidence: 0.92 }),
  decide: (c: { s: number }) => ({ value: c.s > 50 ? "review" : "accept", confidence: 0.97 }),
};

function expectedFor(n: number): Record<string, unknown> {
  const p = models.parse(n).value;
  const s = models.score(p).value;
  const l = models.label(p).value;
  const c = models.combine(s, l).value;
  return { parse: p, score: s, label: l, combine: c, decide: models.decide(c).value };
}

const workflowModule: GoldenWorkflowModule = {
  createGoldenWorkflow(st: Seamtrace) {
    const wf = st.workflow("bench", { version: "1", policy: { minConfidence: 0.5, onLow: "escalate" } });
    return {
      run: (input) =>
        wf.run({ input }, async (run) => {
          const p = await run.step("parse", { input }, () => models.parse(input as number));
          const [s, l] = await Promise.all([
            run.step("score", { from: [p] }, () => models.score(p.value)),
            run.step("label", { from: [p] }, () => models.label(p.value)),
          ]);
          const c = await run.step("combine", { from: [s, l] }, () => models.combine(s.value, l.value));
          return (await run.step("decide", { from: [c] }, () => models.decide(c.value))).value;
        }),
    };
  },
};

/** The same workflow without Seamtrace, its outputs compared as the executor compares them (exact, canonical JSON). */
async function plain(cases: GoldenCase[]): Promise<number> {
  let correct = 0;
  let next = 0;
  // CONCURRENCY workers pulling cases in turn: the executor's bounded parallelism, without p-limit.
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const n = c.input as number;
      const p = (await models.parse(n)).value;
      const [s, l] = await Promise.all([(async () => models.score(p).value)(), (async () => models.label(p).value)()]);
      const cb = (await models.combine(s, l)).value;
      const d = (await models.decide(cb)).value;
      const got: Record<string, unknown> = { parse: p, score: s, label: l, combine: cb, decide: d };
      for (const [step, want] of Object.entries(c.expected)) if (canonicalJson(got[step]) === canonicalJson(want)) correct++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (correct !== cases.length * 5) throw new Error(`the plain workflow should be all correct, got ${correct}`);
  return correct;
}

export async function benchGolden(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), "bench-golden-"));
  const cases: GoldenCase[] = Array.from({ length: CASES }, (_, i) => ({ id: `c${i}`, input: i, expected: expectedFor(i) }));
  const set = join(dir, "bench.jsonl");
  await writeFile(set, serializeGoldenSet(cases));
  try {
    const timed = (f: () => Promise<unknown>) => async () => {
      const t0 = process.hrtime.bigint();
      await f();
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    let lastAccuracy = 0;
    const golden = timed(async () => {
      const report = await goldenRun({ set, workflow: workflowModule, concurrency: CONCURRENCY, baseline: join(dir, "none.baseline.json") });
      lastAccuracy = report.summary.endToEndAccuracy ?? 0;
    });
    const baseline = timed(() => plain(cases));
    await alternate(2, golden, baseline); // warm-up
    const { a, b } = await alternate(ROUNDS, golden, baseline);
    if (lastAccuracy !== 1) throw new Error(`the bench workflow should be all correct, got ${lastAccuracy}`);
    const goldenMs = median(a);
    const plainMs = median(b);
    console.log(`golden run (${CASES} cases × 5 steps, trivial models, concurrency ${CONCURRENCY}, ${ROUNDS} rounds, median)`);
    console.log(`  seamtrace golden run        ${fmt(goldenMs, 1)} ms   ${fmt((CASES / goldenMs) * 1000)} cases/s`);
    console.log(`  plain, without Seamtrace    ${fmt(plainMs, 1)} ms   ${fmt((CASES / plainMs) * 1000)} cases/s`);
    console.log(
      `  ratio golden/plain          ${fmt(goldenMs / plainMs, 1)}× the time   (${fmt(((goldenMs - plainMs) / CASES) * 1000, 0)} µs per case of executor overhead)`,
    );
    return {
      cases: CASES,
      goldenMs,
      goldenCasesPerSec: (CASES / goldenMs) * 1000,
      plainMs,
      plainCasesPerSec: (CASES / plainMs) * 1000,
      ratio: goldenMs / plainMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
