/**
 * Seam checks: for every handoff — an edge of the recorded lineage from an upstream
 * step to the downstream step that consumed its output — the upstream's recorded output is
 * validated against the downstream step's input contract for that upstream. A step's own
 * output schema is enforced by the SDK at run time; what it does not check is whether what one
 * step produces is what the next one needs, and that is where workflows break quietly.
 *
 * The recorded outputs come from a golden run (captured events) or from a server's runs; this
 * file only sees `RecordedStep`s, so both sources share one check.
 */
import type { StandardSchemaV1, StepEvent } from "@seamtrace/sdk";
import Table from "cli-table3";
import { preview } from "./comparators.js";

/**
 * A workflow module's input contracts, `downstream step → upstream step → Standard Schema`.
 * @example
 * export const seams = { route: { reserve: z.number().nonnegative() } };
 */
export type SeamContracts = Record<string, Record<string, StandardSchemaV1>>;

/** One recorded step, whatever the source. */
export interface RecordedStep {
  runId: string;
  stepId: string;
  step: string;
  status: "completed" | "failed";
  /** Parent step ids (lineage). */
  parents: readonly string[];
  output?: unknown;
}

/** A seam issue as the validator reported it. */
export interface SeamIssue {
  path?: Array<string | number>;
  message: string;
}

export interface SeamViolation {
  runId: string;
  /** The upstream step's id (the output that broke the contract). */
  stepId: string;
  /** A short preview of the output. */
  value: string;
  issues: SeamIssue[];
}

/** The report for one handoff `upstream → downstream`. */
export interface HandoffReport {
  upstream: string;
  downstream: string;
  /** `checked`: a contract exists and the handoff was seen; `no-contract`: seen, nothing to check against; `not-observed`: declared but never seen in the recorded runs. */
  state: "checked" | "no-contract" | "not-observed";
  /** Handoffs observed (upstream output consumed by the downstream step). */
  observed: number;
  /** Handoffs validated. */
  checked: number;
  violations: number;
  /** The first few violations. */
  examples: SeamViolation[];
}

export interface SeamReport {
  runs: number;
  handoffs: HandoffReport[];
  /** Total violations over all handoffs. */
  violations: number;
}

/** Violations kept per handoff as examples. */
export const SEAM_EXAMPLES = 3;
/** Issues kept per example. */
const MAX_ISSUES = 5;

/** Checks an imported module's `seams` export has the documented shape. */
export function asSeamContracts(value: unknown, source: string): SeamContracts {
  if (value === undefined) return {};
  const bad = () => new TypeError(`${source}: "seams" must map downstream step names to { upstreamStep: Standard Schema validator }`);
  if (typeof value !== "object" || value === null) throw bad();
  for (const byUpstream of Object.values(value)) {
    if (typeof byUpstream !== "object" || byUpstream === null) throw bad();
    for (const schema of Object.values(byUpstream)) {
      if (typeof (schema as Partial<StandardSchemaV1> | null)?.["~standard"]?.validate !== "function") throw bad();
    }
  }
  return value as SeamContracts;
}

/** A step event as a recorded step. */
export function recordedFromEvent(e: StepEvent): RecordedStep {
  const r: RecordedStep = { runId: e.runId, stepId: e.stepId, step: e.step, status: e.type === "step.failed" ? "failed" : "completed", parents: e.parents };
  if (e.type === "step.completed") r.output = e.output;
  return r;
}

/**
 * Checks every handoff of the given runs (each an array of its recorded steps) against the
 * contracts. Handoffs are reported in the order first seen, then declared-but-unseen ones.
 */
export async function checkSeams(runs: AsyncIterable<RecordedStep[]> | Iterable<RecordedStep[]>, contracts: SeamContracts): Promise<SeamReport> {
  const handoffs = new Map<string, HandoffReport>();
  let runCount = 0;
  for await (const steps of runs) {
    runCount++;
    const byId = new Map(steps.map((s) => [s.stepId, s]));
    for (const down of steps) {
      for (const parentId of down.parents) {
        const up = byId.get(parentId);
        if (up?.status !== "completed") continue; // a failed step hands nothing on
        const key = `${up.step}\u0000${down.step}`;
        const schema = Object.hasOwn(contracts, down.step) && Object.hasOwn(contracts[down.step]!, up.step) ? contracts[down.step]![up.step] : undefined;
        let h = handoffs.get(key);
        if (!h)
          handoffs.set(
            key,
            (h = { upstream: up.step, downstream: down.step, state: schema ? "checked" : "no-contract", observed: 0, checked: 0, violations: 0, examples: [] }),
          );
        h.observed++;
        if (!schema) continue;
        h.checked++;
        const issues = await validate(schema, up.output);
        if (!issues) continue;
        h.violations++;
        if (h.examples.length < SEAM_EXAMPLES)
          h.examples.push({ runId: up.runId, stepId: up.stepId, value: preview(up.output), issues: issues.slice(0, MAX_ISSUES) });
      }
    }
  }
  for (const [downstream, byUpstream] of Object.entries(contracts)) {
    for (const upstream of Object.keys(byUpstream)) {
      const key = `${upstream}\u0000${downstream}`;
      if (!handoffs.has(key)) handoffs.set(key, { upstream, downstream, state: "not-observed", observed: 0, checked: 0, violations: 0, examples: [] });
    }
  }
  const list = [...handoffs.values()];
  return { runs: runCount, handoffs: list, violations: list.reduce((n, h) => n + h.violations, 0) };
}

/** Standard Schema validation: undefined when the value conforms. A throwing validator is a violation. */
async function validate(schema: StandardSchemaV1, value: unknown): Promise<SeamIssue[] | undefined> {
  let result: StandardSchemaV1.Result<unknown>;
  try {
    result = await schema["~standard"].validate(value);
  } catch (err) {
    return [{ message: `validator threw: ${err instanceof Error ? err.message : String(err)}` }];
  }
  if (result.issues === undefined) return undefined;
  const issues = result.issues.map((i) => {
    const out: SeamIssue = { message: String(i.message) };
    if (i.path?.length)
      out.path = i.path.map((seg) => {
        const k = typeof seg === "object" && seg !== null ? seg.key : seg;
        return typeof k === "number" ? k : String(k);
      });
    return out;
  });
  return issues.length > 0 ? issues : [{ message: "invalid" }];
}

/** The report as a terminal table, violations listed under it. */
export function formatSeamTable(report: SeamReport): string {
  const table = new Table({ head: ["handoff", "state", "observed", "checked", "violations"], style: { head: [], border: [] } });
  for (const h of report.handoffs) table.push([`${h.upstream} → ${h.downstream}`, h.state, h.observed, h.checked, h.violations]);
  const lines = [table.toString()];
  for (const h of report.handoffs) {
    for (const v of h.examples) {
      const issues = v.issues.map((i) => `${i.path?.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
      lines.push(`✗ ${h.upstream} → ${h.downstream}  run ${v.runId} step ${v.stepId}: ${issues}  value ${v.value}`);
    }
  }
  lines.push(
    `${report.runs} runs, ${report.handoffs.filter((h) => h.state === "checked").length} handoffs checked, ${report.violations} violation${report.violations === 1 ? "" : "s"}`,
  );
  return lines.join("\n");
}
