import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import type { KeyObject } from "node:crypto";
import type { Config } from "../../app/config.js";
import { checkpointSignatureValid, type SignedCheckpoint } from "./chain.js";

/**
 * Checkpoints kept outside the database, read back for a verification: the JSONL file the
 * checkpoint job appends to (SEAMTRACE_AUDIT_CHECKPOINT_FILE), and the checkpoints a webhook
 * receiver collected, served back at a URL (SEAMTRACE_AUDIT_ANCHOR_URL). They catch what the
 * database alone cannot: a tail cut together with its checkpoints, a checkpoint deleted to hide
 * a rewrite, a whole chain removed.
 *
 * A line is a checkpoint as the file holds it, or a webhook delivery body
 * (`{ "event": "audit.checkpoint", "data": { … } }`, with the time as an ISO string): a receiver
 * may store the bodies it is sent as they are and serve them back.
 */
export interface AnchorSource {
  kind: "file" | "url";
  location: string;
  /** Bearer token for a URL. */
  token?: string;
}

export interface ExternalCheckpoints {
  sources: string[];
  /** Per chain, one checkpoint per seq, in seq order. */
  byProject: Map<string, SignedCheckpoint[]>;
}

export class AnchorReadError extends Error {
  override readonly name = "AnchorReadError";
}

/** One line of a source as a checkpoint, or null for a line about something else (another webhook event). */
export function parseAnchorLine(line: string, where: string): SignedCheckpoint | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new AnchorReadError(`${where}: not a JSON line: ${line.slice(0, 80)}`);
  }
  let c = value as Record<string, unknown> | null;
  if (c && typeof c === "object" && "event" in c) {
    if (c.event !== "audit.checkpoint") return null;
    c = c.data as Record<string, unknown> | null;
  }
  const time = typeof c?.time === "string" ? Date.parse(c.time) : c?.time;
  const strings = ["projectId", "headHash", "prevSignature", "keyId", "signature"] as const;
  if (!c || typeof c !== "object" || !strings.every((k) => typeof c![k] === "string") || !Number.isSafeInteger(c.seq) || !Number.isSafeInteger(time)) {
    throw new AnchorReadError(`${where}: not a checkpoint: ${line.slice(0, 80)}`);
  }
  if (c.rootHash !== undefined && typeof c.rootHash !== "string") throw new AnchorReadError(`${where}: not a checkpoint: ${line.slice(0, 80)}`);
  const out: SignedCheckpoint = {
    projectId: c.projectId as string,
    seq: c.seq as number,
    headHash: c.headHash as string,
    time: time as number,
    prevSignature: c.prevSignature as string,
    keyId: c.keyId as string,
    signature: c.signature as string,
  };
  if (typeof c.rootHash === "string") out.rootHash = c.rootHash;
  return out;
}

async function* lines(source: AnchorSource, signal?: AbortSignal): AsyncGenerator<string> {
  if (source.kind === "file") {
    const input = createReadStream(source.location);
    const reader = createInterface({ input, crlfDelay: Infinity });
    try {
      for await (const line of reader) yield line;
    } catch (err) {
      // Not written yet (no checkpoint exported so far): nothing to read, and the report says 0.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new AnchorReadError(`${source.location}: ${(err as Error).message}`);
    } finally {
      reader.close();
      input.destroy();
    }
    return;
  }
  let res: Response;
  try {
    res = await fetch(source.location, {
      headers: source.token ? { authorization: `Bearer ${source.token}` } : {},
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(60_000)]) : AbortSignal.timeout(60_000),
    });
  } catch (err) {
    throw new AnchorReadError(`${source.location}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new AnchorReadError(`${source.location}: HTTP ${res.status}`);
  const reader = createInterface({ input: Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), crlfDelay: Infinity });
  for await (const line of reader) yield line;
}

/**
 * Reads every source line by line, keeping the checkpoints of `projects` (all when null), one per
 * (chain, seq): a line repeated (the file repeats one after a crash) counts once, and where two
 * lines disagree the one the key signed is kept. Memory: the kept checkpoints, ~400 bytes each.
 */
export async function readExternalCheckpoints(
  sources: readonly AnchorSource[],
  publicKey: KeyObject,
  projects: ReadonlySet<string> | null,
  signal?: AbortSignal,
): Promise<ExternalCheckpoints> {
  const seen = new Map<string, Map<number, SignedCheckpoint>>();
  for (const source of sources) {
    let n = 0;
    for await (const line of lines(source, signal)) {
      n++;
      if (line.trim() === "") continue;
      const c = parseAnchorLine(line, `${source.location} line ${n}`);
      if (!c || (projects && !projects.has(c.projectId))) continue;
      let chain = seen.get(c.projectId);
      if (!chain) seen.set(c.projectId, (chain = new Map()));
      const held = chain.get(c.seq);
      if (!held || (!checkpointSignatureValid(held, publicKey) && checkpointSignatureValid(c, publicKey))) chain.set(c.seq, c);
    }
  }
  const byProject = new Map<string, SignedCheckpoint[]>();
  for (const [projectId, chain] of seen)
    byProject.set(
      projectId,
      [...chain.values()].sort((a, b) => a.seq - b.seq),
    );
  return { sources: sources.map((s) => s.location), byProject };
}

/** The copies outside the database the configuration names: the checkpoint file, a receiver's URL. */
export function configuredAnchors(audit: Config["audit"]): AnchorSource[] {
  const sources: AnchorSource[] = [];
  if (audit.checkpointFile) sources.push({ kind: "file", location: audit.checkpointFile });
  if (audit.anchorUrl) sources.push({ kind: "url", location: audit.anchorUrl, ...(audit.anchorToken ? { token: audit.anchorToken } : {}) });
  return sources;
}
