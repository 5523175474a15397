/// <reference types="node" />
/**
 * `@seamtrace/sdk/spool`: a disk spool for the transport's buffer, so events survive a crash of
 * the process that made them. Node only, and a separate entry point, so the core SDK
 * that ships to browsers and edge runtimes carries none of it.
 *
 * On disk: a folder of segment files (`<number>.jsonl`, one event's wire JSON per line) and a
 * `lock` file naming the process that owns the folder (`<pid>:<random token>`; taking it over
 * from a dead process needs hard links, which local filesystems have). Events are appended to
 * the newest segment when they are buffered; the transport settles events oldest first, so a
 * segment is deleted as soon as all its events are settled. A new process reads the segments it finds, skipping a
 * torn last line (a crash in the middle of a write), and never appends to them: it starts a new
 * segment, so a torn line can never be glued to a good one. Past the transport's memory bound
 * the spool is the buffer: events are only on disk, and `read` hands them back as memory frees. Replay is at least once (a segment
 * partly settled before the crash is sent again whole); event ids are UUIDv7 and the collector
 * answers a repeated id `duplicate` without storing it twice.
 *
 * Durability: each event is written with one `write(2)` before it counts as buffered, which
 * puts it in the kernel's page cache — enough to survive the process being killed at any point.
 * `fdatasync` runs every `syncIntervalMs` (default 1 s) while there are unsynced writes, and on
 * every segment change, so a power loss or kernel crash loses at most that window; flushing the
 * disk on every event would put milliseconds on the step's hot path. `syncIntervalMs: 0` syncs
 * on every write, for those who want that trade.
 */
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { EventSpool } from "./transport-types.js";

export type { EventSpool } from "./transport-types.js";

export interface FileSpoolOptions {
  /** The spool folder, created if missing. One process per folder: a live owner makes the constructor throw. */
  dir: string;
  /** Bytes on disk, all segments together. Past it new events are dropped (`spool_full`). Default 64 MiB. */
  maxBytes?: number;
  /** Events per segment file. Default 1,000. */
  segmentEvents?: number;
  /** How often unsynced writes are flushed to the device; 0 flushes every write. Default 1000. */
  syncIntervalMs?: number;
  /** Errors of the background sync (the host never sees a throw from a timer). */
  onError?: (err: unknown) => void;
}

interface Segment {
  path: string;
  /** Events in it (valid lines). */
  count: number;
  /** Of which settled. */
  settled: number;
  bytes: number;
}

const SEGMENT = /^(\d{12})\.jsonl$/;

type Stored = { json: string; id: string | undefined };

/** The events in a segment file: every whole line that is a JSON object. */
function lines(path: string): Stored[] {
  const events: Stored[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // the torn tail of a write a crash interrupted
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) continue;
    const id = (parsed as { id?: unknown }).id;
    events.push({ json: line, id: typeof id === "string" ? id : undefined });
  }
  return events;
}

/**
 * A disk spool in one folder. Pass it to the client: `new Seamtrace({ spool: new FileSpool({ dir }) })`.
 * @example
 * import { Seamtrace } from "@seamtrace/sdk";
 * import { FileSpool } from "@seamtrace/sdk/spool";
 * const st = new Seamtrace({ apiKey: process.env.SEAMTRACE_API_KEY, spool: new FileSpool({ dir: "./.seamtrace-spool" }) });
 * @throws at construction only — when the folder cannot be created or read, or another live
 * process owns it — so a misconfigured spool shows at startup rather than as silent drops.
 * Afterwards a failing write drops that event (`spool_error`, reported to `onError` of the
 * client) and never throws into the host.
 */
export class FileSpool implements EventSpool {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentEvents: number;
  private readonly syncIntervalMs: number;
  /** Oldest first; the last one is `active` once this process has written. */
  private readonly segments: Segment[] = [];
  private active: { segment: Segment; fd: number } | undefined;
  private next = 0;
  private bytes = 0;
  private dirty = false;
  private dirDirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private recovered = false;
  private closed = false;
  private readonly lockPath: string;
  /** What this process wrote in `lock`. */
  private readonly lockText: string;
  private readonly onError: ((err: unknown) => void) | undefined;

  constructor(options: FileSpoolOptions) {
    this.dir = options.dir;
    this.maxBytes = positive(options.maxBytes, 64 * 1024 * 1024);
    this.segmentEvents = positive(options.segmentEvents, 1000);
    this.syncIntervalMs = Math.max(0, options.syncIntervalMs ?? 1000);
    this.onError = options.onError;
    mkdirSync(this.dir, { recursive: true });
    this.lockPath = join(this.dir, "lock");
    this.lockText = `${process.pid}:${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
    this.lock();
    const names = readdirSync(this.dir)
      .filter((name) => SEGMENT.test(name))
      .sort();
    for (const name of names) {
      const path = join(this.dir, name);
      const bytes = statSync(path).size;
      this.segments.push({ path, count: 0, settled: 0, bytes });
      this.bytes += bytes;
      this.next = Number(SEGMENT.exec(name)![1]) + 1;
    }
  }

  /** Bytes the spool holds on disk. */
  get size(): number {
    return this.bytes;
  }

  /** Events stored and not yet settled. */
  get pending(): number {
    let n = 0;
    for (const s of this.segments) n += s.count - s.settled;
    return n;
  }

  recover(): Stored[] {
    if (this.recovered) return [];
    this.recovered = true;
    const events: Stored[] = [];
    for (const segment of [...this.segments]) {
      const found = lines(segment.path);
      segment.count = found.length;
      events.push(...found);
      if (segment.count === 0) this.remove(segment);
    }
    return events;
  }

  /**
   * Reads back events stored past the transport's memory bound: up to `max` unsettled events,
   * oldest first, after the first `skip`. Whole segments are read, off the step's hot path.
   */
  read(skip: number, max: number): Stored[] {
    const out: Stored[] = [];
    for (const segment of this.segments) {
      if (out.length >= max) break;
      const unsettled = segment.count - segment.settled;
      if (skip >= unsettled) {
        skip -= unsettled;
        continue;
      }
      const found = lines(segment.path);
      for (let i = segment.settled + skip; i < found.length && out.length < max; i++) out.push(found[i]!);
      skip = 0;
    }
    return out;
  }

  append(json: string): boolean {
    if (this.closed) return false;
    const line = Buffer.from(json + "\n", "utf8");
    if (this.bytes + line.length > this.maxBytes) return false;
    if (this.active === undefined || this.active.segment.count >= this.segmentEvents) this.roll();
    const { segment, fd } = this.active!;
    // Regular files take the whole buffer in one write; the loop is for the rule, not the case.
    let written = 0;
    while (written < line.length) written += writeSync(fd, line, written);
    segment.count++;
    segment.bytes += line.length;
    this.bytes += line.length;
    this.dirty = true;
    if (this.syncIntervalMs === 0) this.sync();
    else this.timer ??= unref(setTimeout(() => this.backgroundSync(), this.syncIntervalMs));
    return true;
  }

  ack(count: number): void {
    while (count > 0 && this.segments.length > 0) {
      const segment = this.segments[0]!;
      const settled = Math.min(count, segment.count - segment.settled);
      segment.settled += settled;
      count -= settled;
      if (segment.settled < segment.count) break;
      this.remove(segment);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sync();
    if (this.active) closeSync(this.active.fd);
    this.active = undefined;
    // Only its own: a lock it no longer holds is another process's.
    if (readIfExists(this.lockPath) === this.lockText) unlinkQuietly(this.lockPath);
  }

  private backgroundSync(): void {
    try {
      this.sync();
    } catch (err) {
      try {
        this.onError?.(err);
      } catch {
        // a diagnostics hook must not break the host
      }
    }
  }

  /** Flushes unsynced writes, and new or deleted file names, to the device. */
  private sync(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty && this.active) fdatasyncSync(this.active.fd);
    this.dirty = false;
    if (this.dirDirty) {
      const fd = openSync(this.dir, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.dirDirty = false;
    }
  }

  /** Starts a new segment; the old one is flushed first, so segments reach the disk in order. */
  private roll(): void {
    if (this.active) {
      this.sync();
      closeSync(this.active.fd);
    }
    const path = join(this.dir, `${String(this.next++).padStart(12, "0")}.jsonl`);
    const fd = openSync(path, "a");
    const segment: Segment = { path, count: 0, settled: 0, bytes: 0 };
    this.segments.push(segment);
    this.active = { segment, fd };
    this.dirDirty = true;
  }

  private remove(segment: Segment): void {
    if (this.active?.segment === segment) {
      closeSync(this.active.fd);
      this.active = undefined;
      this.dirty = false;
    }
    unlinkSync(segment.path);
    this.segments.splice(this.segments.indexOf(segment), 1);
    this.bytes -= segment.bytes;
    this.dirDirty = true;
  }

  /** Takes the folder, or throws if a live process holds it (a dead owner's lock is taken over). */
  private lock(): void {
    // Written whole first, then linked or renamed into place: nobody ever reads a half-written lock.
    const mine = `${this.lockPath}.${safe(this.lockText)}.tmp`;
    writeFileSync(mine, this.lockText, { flag: "wx" });
    try {
      take(this.lockPath, mine, this.dir);
    } finally {
      unlinkQuietly(mine);
    }
  }
}

/**
 * Makes `path` hold the text of the file `mine`, unless a live process holds it. A free `path` is
 * created with link(2), which fails if it exists, so of processes racing for it exactly one wins.
 * A dead owner's lock is replaced only under a claim: a file named after the lock's text, so
 * there is one claim per lock, taken this same way (a claim whose taker died is taken over in
 * turn). Its holder checks that the lock still holds that text and renames its own over it; no
 * one else can change the lock meanwhile. Deleting a dead owner's lock and creating one instead
 * would race: a second process that read the dead text could delete the first one's new lock.
 */
function take(path: string, mine: string, dir: string): void {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      linkSync(mine, path);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const text = readIfExists(path);
    if (text === undefined) continue; // let go meanwhile
    const owner = Number.parseInt(text, 10);
    // Its own pid is a previous process's (pids are reused, as pid 1 in a container is).
    if (owner > 0 && owner !== process.pid && alive(owner)) throw new Error(`spool folder ${dir} is in use by process ${owner}`);
    const claim = `${path}.${safe(text)}`;
    take(claim, mine, dir); // throws while a live process is taking it over
    try {
      if (readIfExists(path) === text) {
        const next = `${mine}.next`;
        linkSync(mine, next);
        renameSync(next, path);
        return;
      }
    } finally {
      unlinkQuietly(claim);
    }
  }
  throw new Error(`could not lock spool folder ${dir}`);
}

/** A file name part from a lock's text (the same text, the same name). */
function safe(text: string): string {
  return text.slice(0, 64).replace(/[^0-9A-Za-z]/g, "_");
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === "number" && value > 0 ? value : fallback;
}

function unref<T extends ReturnType<typeof setTimeout>>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
