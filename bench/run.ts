/**
 * `npm run bench`: every benchmark, each against a baseline run alongside in this process run.
 * Figures go to stdout and to bench/results/latest.json; copy them to the README's table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { benchIngest } from "./ingest.js";
import { benchJobs } from "./jobs.js";
import { benchSdkOverhead } from "./sdk-overhead.js";

const only = process.argv[2];
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
if (!only || only === "sdk") results.sdkOverhead = await benchSdkOverhead();
if (!only || only === "ingest") results.ingest = await benchIngest();
if (!only || only === "jobs") results.jobs = await benchJobs({ full: process.argv.includes("--full") });
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/latest.json", import.meta.url), JSON.stringify(results, null, 2) + "\n");
