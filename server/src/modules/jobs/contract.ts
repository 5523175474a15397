import { z } from "zod";
import { JOB_NAMES } from "./names.js";
import type { JobRunView } from "./store.js";

/** Wire contracts of the jobs API (`routes/jobs.ts`). */

export const DEFAULT_RUNS_LIMIT = 50;
export const MAX_RUNS_LIMIT = 200;
/** The run history answers at most this far back: it grows by a few hundred rows a day. */
export const MAX_RUNS_WINDOW_MS = 90 * 86_400_000;

export const jobParam = z.object({ name: z.enum(JOB_NAMES, { error: `expected one of ${JOB_NAMES.join(", ")}` }) });

export const runQuery = z.object({
  /** `false` answers 202 at once with the run id; default waits for the end (scripts, tests). */
  wait: z.enum(["true", "false"]).default("true"),
});

export interface RunsCursor {
  startedAt: number;
  id: string;
}

export function encodeRunsCursor(c: RunsCursor): string {
  return Buffer.from(JSON.stringify([c.startedAt, c.id])).toString("base64url");
}

function decodeRunsCursor(raw: string): RunsCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (!Array.isArray(v) || v.length !== 2 || !Number.isSafeInteger(v[0]) || typeof v[1] !== "string" || v[1].length > 64) return null;
    return { startedAt: v[0] as number, id: v[1] };
  } catch {
    return null;
  }
}

export const runsQuery = z.object({
  job: z.enum(JOB_NAMES).optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_RUNS_LIMIT))
    .default(DEFAULT_RUNS_LIMIT),
  cursor: z
    .string()
    .max(512)
    .transform((s, ctx) => {
      const c = decodeRunsCursor(s);
      if (!c) {
        ctx.addIssue({ code: "custom", message: "not a cursor returned by this API" });
        return z.NEVER;
      }
      return c;
    })
    .optional(),
});

export interface JobRunsResponse {
  items: JobRunView[];
  nextCursor: string | null;
}

export interface JobListResponse {
  items: Array<{ name: string; schedule: string | null; available: boolean }>;
}
