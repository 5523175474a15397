/**
 * The stored baseline of a golden set: the summary of an accepted run and, for every case, its
 * outcome and confidence at every step (case-records.ts), so a later run is compared case by
 * case. JSON, with one line per case so a baseline update reads as a diff of the cases that
 * changed. Format documented in docs/golden.md ("The baseline file").
 */
import { readFile } from "node:fs/promises";
import type { CaseRecord } from "./case-records.js";
import type { GoldenSummary } from "./summary.js";

/** Written into every baseline; a file without it (or with another) was written by an older executor. */
export const BASELINE_FORMAT = 2;

export interface Baseline {
  format: typeof BASELINE_FORMAT;
  set: string;
  /** The golden set version (goldenSetVersion) the baseline was measured on. */
  setVersion: string;
  workflow?: string;
  /** The workflow version measured. */
  version?: string;
  createdAt: string;
  /** Runs per case. */
  trials: number;
  summary: GoldenSummary;
  /** By case id. */
  cases: Record<string, CaseRecord>;
}

export type BaselineFile =
  | { state: "ok"; baseline: Baseline }
  /** Written by an executor that stored only the summary: it cannot be compared case by case. */
  | { state: "outdated"; setVersion?: string; version?: string }
  | { state: "unreadable"; message: string };

/** Serialises a baseline: fields pretty-printed, each case on a line of its own. */
export function serializeBaseline(b: Baseline): string {
  const { cases, ...head } = b;
  const headJson = JSON.stringify(head, null, 2);
  const lines = Object.entries(cases).map(([id, c]) => `    ${JSON.stringify(id)}: ${JSON.stringify(c)}`);
  return `${headJson.slice(0, -2)},\n  "cases": {\n${lines.join(",\n")}\n  }\n}\n`;
}

/** Reads a baseline file, telling an old or broken one apart from a valid one. */
export async function readBaseline(path: string): Promise<BaselineFile> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    return { state: "unreadable", message: `baseline ${path} is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const b = value as Partial<Baseline> | null;
  if (typeof b !== "object" || b === null || typeof b.setVersion !== "string" || typeof b.summary !== "object" || b.summary === null) {
    return { state: "unreadable", message: `baseline ${path} is not a golden baseline (no setVersion or summary)` };
  }
  if (b.format !== BASELINE_FORMAT || typeof b.cases !== "object" || b.cases === null) {
    return { state: "outdated", setVersion: b.setVersion, ...(typeof b.version === "string" && { version: b.version }) };
  }
  if (!(Number.isInteger(b.trials) && b.trials! >= 1))
    return { state: "unreadable", message: `baseline ${path}: "trials" must be a whole number of at least 1` };
  for (const [id, c] of Object.entries(b.cases)) {
    if (typeof c !== "object" || c === null || typeof c.steps !== "object" || c.steps === null || !Number.isInteger(c.trials)) {
      return { state: "unreadable", message: `baseline ${path}: case ${JSON.stringify(id)} has no per-step record` };
    }
  }
  return { state: "ok", baseline: b as Baseline };
}
