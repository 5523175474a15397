/**
 * The result of a golden run as a Seamtrace server takes it (`POST /v1/golden/results`), and
 * the request that sends it. The server validates this shape; fields are only ever added.
 */
import { basename } from "node:path";
import type { CaseChange, GoldenComparison, Regression } from "./compare.js";
import type { GoldenRunReport } from "./golden-run.js";
import type { GoldenSummary } from "./summary.js";

/** Case changes sent at most; the rest are counted in `changesOmitted` (the body stays well under the server's 1 MiB). */
export const MAX_SENT_CHANGES = 1000;
/** A change's reason is cut to this many characters when sent. */
export const MAX_SENT_REASON = 300;

/** The comparison as sent: its case changes capped. */
export interface SentComparison extends GoldenComparison {
  /** Changes left out past MAX_SENT_CHANGES (newly failing ones are kept first). */
  changesOmitted?: number;
}

/** `POST /v1/golden/results` body. */
export interface GoldenResultPayload {
  /** The result's id when its runs were sent (they name it); the server makes one otherwise. */
  id?: string;
  /** The set's name: its file name without `.jsonl`. */
  set: string;
  setVersion: string;
  workflow: string;
  version: string;
  startedAt: string;
  finishedAt: string;
  summary: GoldenSummary;
  regressions: Regression[];
  /** The workflow version of the baseline it was compared with; null when none was. */
  baselineVersion?: string | null;
  /** The case-by-case comparison with the baseline, when there was one. */
  comparison?: SentComparison;
}

/** The result as the server takes it; null when the run named no workflow or version. */
export function goldenResultPayload(setFile: string, report: GoldenRunReport, startedAt: Date, finishedAt: Date): GoldenResultPayload | null {
  if (report.workflow === undefined || report.version === undefined) return null;
  const body: GoldenResultPayload = {
    set: basename(setFile, ".jsonl"),
    setVersion: report.setVersion,
    workflow: report.workflow,
    version: report.version,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    summary: report.summary,
    regressions: report.regressions,
    baselineVersion: report.baseline.state === "compared" ? (report.baseline.version ?? null) : null,
  };
  if (report.runsSent) body.id = report.runsSent.result;
  if (report.comparison) {
    const { changes, ...rest } = report.comparison;
    const kept: CaseChange[] = changes
      .slice(0, MAX_SENT_CHANGES)
      .map((c) => (c.reason !== undefined && c.reason.length > MAX_SENT_REASON ? { ...c, reason: `${c.reason.slice(0, MAX_SENT_REASON - 1)}…` } : c));
    body.comparison = { ...rest, changes: kept };
    if (changes.length > kept.length) body.comparison.changesOmitted = changes.length - kept.length;
  }
  return body;
}

/** How long a send may take: a CI step must not hang on a dead server. */
const SEND_TIMEOUT_MS = 30_000;

/**
 * Posts a result; the error names what the server said, or why it could not be reached.
 * @example
 * const body = goldenResultPayload("golden/sets/claims.jsonl", report, startedAt, new Date());
 * if (body) console.log((await sendGoldenResult("http://127.0.0.1:7077", process.env.SEAMTRACE_API_KEY!, body)).id);
 */
export async function sendGoldenResult(server: string, apiKey: string, body: GoldenResultPayload): Promise<{ id: string }> {
  const url = new URL("v1/golden/results", server.endsWith("/") ? server : `${server}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
    throw new Error(`${url.origin} could not be reached (${err instanceof Error ? err.message : String(err)}${cause})`);
  }
  const text = await res.text();
  if (res.status !== 201) {
    let message = text.slice(0, 300);
    try {
      const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      if (e) message = `${e.code}: ${e.message}`;
    } catch {
      // Not our JSON error envelope (a proxy's page): show its start.
    }
    throw new Error(`${url.href} answered ${res.status} (${message})`);
  }
  return JSON.parse(text) as { id: string };
}
