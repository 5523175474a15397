/**
 * `seamtrace chaos`: seeded faults injected into a workflow's steps, each accounted for from the
 * recorded events (the runs live in @seamtrace/golden; this file parses flags, prints, and maps
 * the outcome to exit codes: 0 every fault accounted for, 1 a fault leaked, hung or unexplained,
 * 2 usage).
 */
import {
  chaosRun,
  FAULT_KINDS,
  formatChaosTable,
  GoldenSetError,
  loadWorkflowModule,
  parseGoldenSet,
  type ChaosReport,
  type FaultKind,
} from "@seamtrace/golden";
import { Option, type Command } from "commander";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { GoldenCliKit } from "./golden.js";

interface ChaosFlags {
  workflow: string;
  seed: string;
  runs: string;
  set?: string;
  rate: string;
  faults?: string;
  concurrency: string;
  hangMs: string;
  json?: boolean;
}

export function registerChaosCommand(program: Command, kit: GoldenCliKit): void {
  program
    .command("chaos")
    .description(
      "Inject seeded faults (low confidence, malformed outputs, thrown errors, hangs) at random steps and prove each was stopped, escalated or failed gracefully, with no faulty value reaching a later step unflagged; exit 1 otherwise",
    )
    .requiredOption("--workflow <module>", "JS module exporting createGoldenWorkflow(st), and sampleInputs(count, seed) unless --set is given")
    .requiredOption("--seed <n>", "seed: the same seed injects the same faults")
    .option("--runs <k>", "runs to make", "50")
    .option("--set <file>", "take the inputs from this golden set (cycled) instead of the module's sampleInputs")
    .option("--rate <p>", "chance that a step call is faulted (at most one fault per run)", "0.3")
    .option("--faults <kinds>", `comma-separated kinds to inject (default all: ${FAULT_KINDS.join(",")})`)
    .option("--concurrency <n>", "runs at once", "8")
    .option("--hang-ms <ms>", "how long an injected hang may last in a step without a timeout before it counts as hung", "2000")
    .addOption(new Option("--json", "machine-readable output"))
    .action(async (opts: ChaosFlags) => {
      const seed = Number(opts.seed);
      const runs = Number(opts.runs);
      const rate = Number(opts.rate);
      const concurrency = Number(opts.concurrency);
      const hangMs = Number(opts.hangMs);
      if (!Number.isSafeInteger(seed)) throw kit.usage("--seed: a whole number");
      if (!Number.isInteger(runs) || runs < 1 || runs > 100_000) throw kit.usage("--runs: a whole number from 1 to 100000");
      if (!(rate > 0 && rate <= 1)) throw kit.usage("--rate: a number above 0 and at most 1");
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw kit.usage("--concurrency: a whole number from 1 to 256");
      if (!Number.isInteger(hangMs) || hangMs < 1) throw kit.usage("--hang-ms: a positive whole number");
      let kinds: FaultKind[] | undefined;
      if (opts.faults !== undefined) {
        kinds = opts.faults.split(",").map((k) => k.trim()) as FaultKind[];
        const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
        if (unknown.length > 0 || kinds.length === 0) throw kit.usage(`--faults: unknown kind ${unknown.join(", ")} (known: ${FAULT_KINDS.join(", ")})`);
      }
      if (!existsSync(opts.workflow)) throw kit.usage(`--workflow: ${opts.workflow} not found`);
      let mod: Awaited<ReturnType<typeof loadWorkflowModule>>;
      try {
        mod = await loadWorkflowModule(opts.workflow);
      } catch (err) {
        if (err instanceof TypeError) throw kit.usage(err.message);
        throw err;
      }
      let inputs: unknown[];
      if (opts.set !== undefined) {
        if (!existsSync(opts.set)) throw kit.usage(`golden set ${opts.set} not found`);
        try {
          inputs = parseGoldenSet(await readFile(opts.set, "utf8"), { name: basename(opts.set) }).cases.map((c) => c.input);
        } catch (err) {
          if (err instanceof GoldenSetError) throw kit.usage(err.message);
          throw err;
        }
      } else if (typeof mod.sampleInputs === "function") {
        inputs = await mod.sampleInputs(runs, seed);
      } else {
        throw kit.usage(`${opts.workflow} exports no sampleInputs(count, seed): pass --set <golden set> for the inputs`);
      }
      if (inputs.length === 0) throw kit.usage("no inputs to run");
      const report: ChaosReport = await chaosRun(mod, { seed, runs, rate, inputs, concurrency, hangMs, ...(kinds && { kinds }) });
      kit.print(!!opts.json, report, () => formatChaosTable(report));
      if (report.failed) {
        const bad = report.faults.filter((f) => !f.accounted);
        const named = bad.slice(0, 5).map((f) => `run ${f.run} ${f.kind} at "${f.step}": ${f.outcome}${f.reached ? ` (reached ${f.reached.join(", ")})` : ""}`);
        throw kit.failure(`${bad.length} fault${bad.length === 1 ? "" : "s"} not accounted for: ${named.join("; ")}${bad.length > 5 ? "; …" : ""}`);
      }
    });
}
