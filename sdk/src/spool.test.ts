import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { FileSpool } from "./spool.js";
import { Transport, type RequestFn } from "./transport.js";
import type { SeamtraceEvent } from "./types.js";
import { uuidv7 } from "./uuid.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-spool-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function event(n: number): SeamtraceEvent {
  return { id: uuidv7(), type: "run.started", time: new Date().toISOString(), runId: uuidv7(), workflow: "w", version: "1", input: { n } };
}

const segments = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".jsonl"));

/** A collector that answers every item `accepted`, or is unreachable while `down` is true. */
function collector() {
  const received: string[] = [];
  const state = { down: false };
  const request: RequestFn = async (_url, init) => {
    if (state.down) throw new TypeError("fetch failed");
    const events = (JSON.parse(String(init.body)) as { events: Array<{ id: string; type: string }> }).events;
    for (const e of events) if (e.type !== "sdk.dropped") received.push(e.id);
    const body = JSON.stringify({ results: events.map((e) => ({ id: e.id, status: "accepted" })) });
    return { status: 200, headers: { get: () => null }, text: async () => body };
  };
  return { request, received, state };
}

describe("FileSpool", () => {
  it("forgets events as they are settled, oldest first, and deletes emptied segments", () => {
    const dir = tempDir();
    const spool = new FileSpool({ dir, segmentEvents: 3 });
    expect(spool.recover()).toEqual([]);
    for (let i = 0; i < 7; i++) expect(spool.append(JSON.stringify({ id: `e${i}` }))).toBe(true);
    expect(segments(dir)).toHaveLength(3);
    spool.ack(4);
    expect(segments(dir)).toHaveLength(2);
    expect(spool.pending).toBe(3);
    spool.ack(3);
    expect(segments(dir)).toEqual([]);
    expect(spool.size).toBe(0);
    spool.close();
    expect(readdirSync(dir)).toEqual([]); // the lock is released too
  });

  it("gives a new process what the old one left unsettled, in order, and appends to a new segment", () => {
    const dir = tempDir();
    const first = new FileSpool({ dir, segmentEvents: 2 });
    first.recover();
    for (let i = 0; i < 5; i++) first.append(JSON.stringify({ id: `e${i}` }));
    first.ack(3); // e0..e2 delivered; e2 shares a segment with e3, so it comes back too
    // no close(): the process died
    const second = new FileSpool({ dir, segmentEvents: 2 });
    expect(second.recover().map((e) => e.id)).toEqual(["e2", "e3", "e4"]);
    const before = segments(dir);
    second.append(JSON.stringify({ id: "e5" }));
    expect(segments(dir).filter((name) => !before.includes(name))).toHaveLength(1);
    second.ack(4);
    expect(segments(dir)).toEqual([]);
    second.close();
  });

  it("skips a torn last line, and never writes after it", () => {
    const dir = tempDir();
    const first = new FileSpool({ dir });
    first.recover();
    first.append(JSON.stringify({ id: "a" }));
    first.append(JSON.stringify({ id: "b" }));
    const [segment] = segments(dir);
    appendFileSync(join(dir, segment!), '{"id":"c","type":"run.st'); // killed mid-write
    const second = new FileSpool({ dir });
    expect(second.recover().map((e) => e.id)).toEqual(["a", "b"]);
    second.append(JSON.stringify({ id: "d" }));
    // The torn segment is left alone; the new event is whole, in its own file.
    expect(readFileSync(join(dir, segment!), "utf8").endsWith('"type":"run.st')).toBe(true);
    const third = (second.close(), new FileSpool({ dir }));
    expect(third.recover().map((e) => e.id)).toEqual(["a", "b", "d"]);
    // Acks count only the events recovered, so the torn segment is deleted with its last good one.
    third.ack(2);
    expect(segments(dir)).toHaveLength(1);
    third.close();
  });

  it("reads back unsettled events after a skip, across segments, recovered ones with a torn line included", () => {
    const dir = tempDir();
    const first = new FileSpool({ dir, segmentEvents: 3 });
    first.recover();
    for (let i = 0; i < 4; i++) first.append(JSON.stringify({ id: `e${i}` }));
    appendFileSync(join(dir, segments(dir)[1]!), '{"id":"torn'); // e3's segment, killed mid-write
    const second = new FileSpool({ dir, segmentEvents: 3 });
    expect(second.recover()).toHaveLength(4);
    for (let i = 4; i < 9; i++) second.append(JSON.stringify({ id: `e${i}` }));
    const ids = (skip: number, max: number) => second.read(skip, max).map((e) => e.id);
    expect(ids(0, 100)).toEqual(["e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"]);
    expect(ids(2, 3)).toEqual(["e2", "e3", "e4"]);
    second.ack(4); // e0..e3 settled: the first two segments go
    expect(ids(0, 2)).toEqual(["e4", "e5"]);
    second.ack(1);
    expect(ids(1, 10)).toEqual(["e6", "e7", "e8"]);
    expect(ids(4, 10)).toEqual([]);
    second.close();
  });

  it("refuses what would take it past maxBytes, and takes events again once some are settled", () => {
    const dir = tempDir();
    const line = JSON.stringify({ id: "x".repeat(90) }); // 99 bytes + newline
    const spool = new FileSpool({ dir, maxBytes: 250 });
    spool.recover();
    expect(spool.append(line)).toBe(true);
    expect(spool.append(line)).toBe(true);
    expect(spool.append(line)).toBe(false);
    spool.ack(2);
    expect(spool.append(line)).toBe(true);
    spool.close();
  });

  it("reports a failing background sync to onError instead of throwing from a timer", async () => {
    const dir = tempDir();
    const errors: unknown[] = [];
    const spool = new FileSpool({ dir, syncIntervalMs: 5, onError: (e) => errors.push(e) });
    spool.recover();
    spool.append(JSON.stringify({ id: "a" }));
    rmSync(dir, { recursive: true, force: true }); // the folder's fsync now fails
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toHaveLength(1);
  });

  it("will not share its folder with another live process, and takes over a dead one's", async () => {
    const dir = tempDir();
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
    try {
      writeFileSync(join(dir, "lock"), String(other.pid));
      expect(() => new FileSpool({ dir })).toThrow(/in use by process/);
    } finally {
      other.kill("SIGKILL");
      await new Promise((resolve) => other.once("exit", resolve));
    }
    const spool = new FileSpool({ dir }); // its owner is dead now
    expect(readFileSync(join(dir, "lock"), "utf8")).toMatch(new RegExp(`^${process.pid}:`));
    expect(readdirSync(dir)).toEqual(["lock"]); // no claim or temporary file left behind
    spool.close();
  });

  it("takes over a dead owner's lock that another process died while taking over", async () => {
    const dir = tempDir();
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => dead.once("exit", resolve));
    writeFileSync(join(dir, "lock"), `${dead.pid}:owner`);
    // The claim a process takes before replacing that lock, left by one that died holding it.
    writeFileSync(join(dir, `lock.${dead.pid}_owner`), `${dead.pid}:claimant`);
    const spool = new FileSpool({ dir });
    expect(readFileSync(join(dir, "lock"), "utf8")).toMatch(new RegExp(`^${process.pid}:`));
    expect(readdirSync(dir)).toEqual(["lock"]);
    spool.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("lets exactly one of two processes take over a dead owner's lock when they race for it", async () => {
    const spoolModule = fileURLToPath(new URL("./spool.ts", import.meta.url));
    // Each child waits for a folder and a moment (ms since the epoch), spins until then, tries
    // to take the folder, and stays alive holding what it took (so the other sees a live owner).
    const script = `
      const { FileSpool } = await import(${JSON.stringify(spoolModule)});
      const held = [];
      for await (const line of (await import("node:readline")).createInterface({ input: process.stdin })) {
        const { dir, at } = JSON.parse(line);
        while (performance.timeOrigin + performance.now() < at);
        try {
          held.push(new FileSpool({ dir }));
          console.log(JSON.stringify({ took: true }));
        } catch (err) {
          console.log(JSON.stringify({ took: false, error: String(err) }));
        }
      }`;
    const children: ChildProcessWithoutNullStreams[] = [];
    const answers: Array<AsyncIterator<string>> = [];
    try {
      for (let i = 0; i < 2; i++) {
        const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
        child.stderr.pipe(process.stderr);
        children.push(child);
        answers.push(createInterface({ input: child.stdout })[Symbol.asyncIterator]());
      }
      // A pid nobody has any more.
      const dead = spawn(process.execPath, ["-e", ""]);
      await new Promise((resolve) => dead.once("exit", resolve));
      let ready = false;
      for (let round = 0; round < 150; round++) {
        const dir = tempDir();
        writeFileSync(join(dir, "lock"), `${dead.pid}:${round}`);
        // The first round waits for the children to load; later ones start a few ms ahead.
        const at = Date.now() + (ready ? 20 : 3_000);
        for (const child of children) child.stdin.write(JSON.stringify({ dir, at }) + "\n");
        const results = await Promise.all(answers.map(async (a) => JSON.parse((await a.next()).value as string) as { took: boolean; error?: string }));
        ready = true;
        expect(
          results.filter((r) => r.took),
          `round ${round}: ${JSON.stringify(results)}`,
        ).toHaveLength(1);
        const loser = results.find((r) => !r.took)!;
        expect(loser.error).toMatch(/in use by process/);
        const owner = Number.parseInt(readFileSync(join(dir, "lock"), "utf8"), 10);
        expect(children.map((c) => c.pid)).toContain(owner);
      }
    } finally {
      for (const child of children) child.kill("SIGKILL");
    }
  });

  it("survives its process being killed in the middle of writing: every line recovered is whole, and none is missing before it", async () => {
    const dir = tempDir();
    const spoolModule = fileURLToPath(new URL("./spool.ts", import.meta.url));
    // A writer as fast as it can go, with 4 KiB events so a write is likely to be cut through.
    const script = `
      const { FileSpool } = await import(${JSON.stringify(spoolModule)});
      const spool = new FileSpool({ dir: ${JSON.stringify(dir)}, segmentEvents: 1e9, maxBytes: 1e12 });
      spool.recover();
      const pad = "p".repeat(4096);
      for (let n = 0; ; n++) {
        spool.append(JSON.stringify({ id: "e" + n, n, pad }));
        if (n === 2000) process.stdout.write("go\\n");
      }`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout.on("data", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));

    const spool = new FileSpool({ dir });
    const recovered = spool.recover();
    expect(recovered.length).toBeGreaterThan(2000);
    recovered.forEach((e, i) => expect(e.id).toBe(`e${i}`));
    spool.close();
  });
});

describe("Transport with a spool", () => {
  it("stores events before buffering them and removes them once delivered", async () => {
    const dir = tempDir();
    const { request, received } = collector();
    const spool = new FileSpool({ dir });
    const transport = new Transport({ endpoint: "http://collector", request, gzip: false, spool });
    const events = [event(1), event(2), event(3)];
    for (const e of events) transport.enqueue(e);
    // Each event is on disk from the moment enqueue returns.
    expect(spool.pending).toBe(3);
    expect(await transport.flush()).toEqual({ delivered: 3, undelivered: 0 });
    expect(received).toEqual(events.map((e) => e.id));
    expect(spool.pending).toBe(0);
    expect(segments(dir)).toEqual([]);
    await transport.shutdown();
  });

  it("sends what a crashed process left in the spool first, after a restart", async () => {
    const dir = tempDir();
    const { request, received, state } = collector();
    state.down = true;
    // No retry and no probe for the rest of the test: this process is about to "die".
    const crashed = new Transport({
      endpoint: "http://collector",
      request,
      gzip: false,
      minBackoffMs: 60_000,
      probeIntervalMs: 2 ** 31 - 1,
      spool: new FileSpool({ dir }),
    });
    const lost = [event(1), event(2)];
    for (const e of lost) crashed.enqueue(e);
    await crashed.flush({ timeoutMs: 50 }); // one failed attempt; then the process "dies" (no shutdown)

    state.down = false;
    const restarted = new Transport({ endpoint: "http://collector", request, gzip: false, spool: new FileSpool({ dir }) });
    const fresh = event(3);
    restarted.enqueue(fresh);
    expect(restarted.stats().buffered).toBe(3);
    await restarted.flush();
    expect(received).toEqual([...lost, fresh].map((e) => e.id));
    await restarted.shutdown();
    expect(segments(dir)).toEqual([]);
  });

  it("keeps the events a shutdown could not deliver for the next process", async () => {
    const dir = tempDir();
    const { request, received, state } = collector();
    state.down = true;
    const first = new Transport({ endpoint: "http://collector", request, gzip: false, spool: new FileSpool({ dir }) });
    const kept = [event(1), event(2)];
    for (const e of kept) first.enqueue(e);
    const result = await first.shutdown({ timeoutMs: 100 });
    expect(result.dropped).toEqual({ shutdown: 2 });

    state.down = false;
    const second = new Transport({ endpoint: "http://collector", request, gzip: false, spool: new FileSpool({ dir }) });
    await second.flush();
    expect(received).toEqual(kept.map((e) => e.id));
    await second.shutdown();
  });

  it("forgets a batch split by a 413 only as each half is delivered, oldest first", async () => {
    const dir = tempDir();
    const inner = collector();
    const request: RequestFn = async (url, init) => {
      const count = (JSON.parse(String(init.body)) as { events: unknown[] }).events.length;
      if (count > 2) return { status: 413, headers: { get: () => null }, text: async () => "{}" };
      return inner.request(url, init);
    };
    const spool = new FileSpool({ dir });
    const acks: number[] = [];
    const ack = spool.ack.bind(spool);
    spool.ack = (n) => (acks.push(n), ack(n));
    const transport = new Transport({ endpoint: "http://collector", request, gzip: false, spool });
    const events = [event(1), event(2), event(3), event(4)];
    for (const e of events) transport.enqueue(e);
    expect(await transport.flush()).toEqual({ delivered: 4, undelivered: 0 });
    expect(inner.received).toEqual(events.map((e) => e.id));
    expect(acks).toEqual([2, 2]);
    expect(spool.pending).toBe(0);
    await transport.shutdown();
  });

  it("keeps what an earlier process left beyond maxBufferEvents on disk, and sends all of it in order", async () => {
    const dir = tempDir();
    const { request, received, state } = collector();
    state.down = true;
    const crashed = new Transport({
      endpoint: "http://collector",
      request,
      gzip: false,
      minBackoffMs: 60_000,
      probeIntervalMs: 2 ** 31 - 1,
      logger: false,
      maxBufferEvents: 5,
      spool: new FileSpool({ dir }),
    });
    const left = Array.from({ length: 23 }, (_, i) => event(i));
    for (const e of left) crashed.enqueue(e);
    expect(crashed.stats()).toMatchObject({ buffered: 23, droppedTotal: 0 });
    await crashed.flush({ timeoutMs: 20 }); // the process "dies" with 23 events in its spool

    state.down = false;
    const spool = new FileSpool({ dir });
    const reads: number[] = [];
    const read = spool.read.bind(spool);
    spool.read = (skip, max) => (reads.push(max), read(skip, max));
    const restarted = new Transport({ endpoint: "http://collector", request, gzip: false, logger: false, maxBufferEvents: 5, maxBatchEvents: 2, spool });
    const fresh = event(99);
    restarted.enqueue(fresh);
    expect(restarted.stats().buffered).toBe(24);
    expect(await restarted.flush()).toEqual({ delivered: 24, undelivered: 0 });
    expect(received).toEqual([...left, fresh].map((e) => e.id));
    // Never more than the memory bound was read back at once.
    expect(Math.max(...reads)).toBeLessThanOrEqual(5);
    await restarted.shutdown();
    expect(segments(dir)).toEqual([]);
  });

  it("counts events the spool cannot take as dropped (spool_full, spool_error), and does not buffer them", async () => {
    const { request, received } = collector();
    let full = false;
    const spool = {
      recover: () => [],
      append: () => {
        if (full) throw new Error("ENOSPC");
        full = true;
        return true;
      },
      ack: () => {},
      close: () => {},
    };
    const errors: unknown[] = [];
    const transport = new Transport({ endpoint: "http://collector", request, gzip: false, spool, onError: (e) => errors.push(e) });
    const small = new FileSpool({ dir: tempDir(), maxBytes: 1 });
    const refusing = new Transport({ endpoint: "http://collector", request, gzip: false, spool: small });
    transport.enqueue(event(1));
    transport.enqueue(event(2));
    refusing.enqueue(event(3));
    expect(transport.stats().dropped).toEqual({ spool_error: 1 });
    expect(refusing.stats().dropped).toEqual({ spool_full: 1 });
    // The failed write itself, then the one notice of the first spool_error drop.
    expect(errors.map((e) => (e as Error).name)).toEqual(["Error", "SeamtraceNotice"]);
    await transport.flush();
    await refusing.flush();
    expect(received).toHaveLength(1);
    await Promise.all([transport.shutdown(), refusing.shutdown()]);
  });
});
