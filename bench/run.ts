/**
 * `npm run bench`: every benchmark, each against a baseline run alongside in this process run.
 * `npm run bench -- <name>` runs one (sdk, ingest, storage, instances, projector, audit, golden, exports, jobs);
 * `--runs=N` and `--rounds=N` shrink the ingest and storage benchmarks for a quick look. Figures go to stdout and to
 * bench/results/latest.json (a run of one benchmark keeps the others' last figures there); copy
 * them to the README's table.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { benchAuditVerify } from "./audit-verify.js";
import { benchExports } from "./exports.js";
import { benchIngest } from "./ingest.js";
import { benchInstances } from "./instances.js";
import { benchProjector } from "./projector.js";
import { benchGolden } from "./golden.js";
import { benchJobs } from "./jobs.js";
import { benchSdkOverhead } from "./sdk-overhead.js";
import { benchStorage } from "./storage.js";

const only = process.argv[2]?.startsWith("--") ? undefined : process.argv[2];
const flag = (name: string) => {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  return v === undefined ? undefined : Number(v);
};
const file = new URL("./results/latest.json", import.meta.url);
const previous = only && existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
const results: Record<string, unknown> = { ...previous, date: new Date().toISOString(), node: process.version };
if (!only || only === "sdk") results.sdkOverhead = await benchSdkOverhead();
if (!only || only === "ingest") results.ingest = await benchIngest({ runs: flag("runs"), rounds: flag("rounds") });
if (!only || only === "instances") results.instances = await benchInstances({ runs: flag("runs"), rounds: flag("rounds") });
if (!only || only === "projector") results.projector = await benchProjector({ rounds: flag("rounds") });
if (!only || only === "storage") results.storage = await benchStorage({ runs: flag("runs") });
if (!only || only === "audit") results.auditVerify = await benchAuditVerify();
if (!only || only === "golden") results.golden = await benchGolden();
if (!only || only === "exports") results.exports = await benchExports();
if (!only || only === "jobs") results.jobs = await benchJobs({ full: process.argv.includes("--full") });
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
