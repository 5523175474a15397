import { formatDuration } from "./format.js";

/** What `/healthz` says of the projection: events acknowledged but not yet in runs and steps. */
export interface ProjectionLag {
  lag: number;
  ageMs: number;
}

/**
 * Below this age a lag is the projector's normal batching and nobody needs telling; past it, the
 * runs, the queue and these figures are visibly behind what the SDKs have sent.
 */
export const LAG_NOTICE_MS = 10_000;

/** The banner text for a lag worth mentioning, or null. */
export function lagNotice(p: ProjectionLag | undefined | null): string | null {
  if (!p || p.lag <= 0 || p.ageMs < LAG_NOTICE_MS) return null;
  const events = p.lag === 1 ? "1 event" : `${p.lag.toLocaleString("en-US")} events`;
  return `Catching up: ${events} received but not yet shown, the oldest ${formatDuration(p.ageMs)} ago. Runs, the queue and these figures are behind until it clears.`;
}

/** Reads the projection lag; any failure reads as "unknown" (no banner), never as an error page. */
export async function loadProjectionLag(fetchImpl: typeof fetch = fetch): Promise<ProjectionLag | null> {
  try {
    const res = await fetchImpl("/healthz", { headers: { accept: "application/json" } });
    if (!res.ok) return null;
    const body = (await res.json()) as { projection?: Partial<ProjectionLag> };
    const p = body.projection;
    return typeof p?.lag === "number" && typeof p.ageMs === "number" ? { lag: p.lag, ageMs: p.ageMs } : null;
  } catch {
    return null;
  }
}
