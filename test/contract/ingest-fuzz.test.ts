import { serve, type ServerType } from "@hono/node-server";
import fc from "fast-check";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../server/src/modules/audit/chain.js";
import { readAuditHead } from "../../server/src/modules/audit/store.js";
import { verifyAudit } from "../../server/src/modules/audit/verify.js";
import { createCheckpoint } from "../../server/src/modules/audit/checkpoints.js";
import { createTestContext, type TestContext } from "../../server/test-support/testing.js";
import { fromStoredText } from "../../server/src/platform/db/stored-text.js";
import { batch, envelope, FUZZ_ENV, FUZZ_LIMITS, KNOWN_FIELDS, contentOf, serialize, type EnvelopeCase, type GenItem } from "../support/ingest-arbitraries.js";
import { idFromStored, idFromStoredOrNull, refFromStored, storedId } from "../../server/src/platform/db/stored-id.js";

/**
 * Property-based fuzzing of `POST /v1/events`: valid, mutated and malformed batches
 * against a collector with low limits, each answer checked against a model of what it must be,
 * and the store and the audit chain checked to have moved by exactly the accepted events.
 *
 * Properties, for every request:
 * - never a 5xx; every non-2xx answer is a JSON error `{ error: { code, message } }` and changes
 *   nothing (events of the project, audit chain head);
 * - a 2xx answers every item in request order: rejected items exactly where the model expects
 *   them (with the code of the limit they broke), accepted for events new to the project,
 *   duplicate for those already stored (or earlier in the batch) with the same content, conflict
 *   for those stored with other content; ids in any case are one id;
 * - the events log grows by the accepted items only, all in the sender's project whatever
 *   `projectId` the body names, their stored bodies holding no field outside the wire format;
 * - the audit chain grows by one entry per accepted event plus one `gate.<outcome>` entry per
 *   accepted step whose gate did not pass, in order, each naming the stored body's hash;
 * - sending the same bytes again answers duplicates and the same rejections, and changes nothing.
 * At the end, the chain verifies, checkpoint included, and the other project was never touched.
 *
 * Most cases go through `app.request()` in-process; a share goes over real HTTP (node-server on
 * 127.0.0.1), where bodies are real sockets' streams.
 */

const BATCH_RUNS = 600;
const CONCURRENT_RUNS = 100;
const ENVELOPE_RUNS = 250;
const HTTP_RUNS = 100;

let ctx: TestContext;
let projectId: string;
let keyId: string;
let key: string;
let other: { projectId: string; head: number };
let server: ServerType;
let baseUrl: string;
const serverErrors: string[] = [];
/** Event ids (lower case) the project's log holds, with what each says: the model of duplicates and conflicts. */
const stored = new Map<string, Record<string, unknown>>();
let cases = 0;

interface Answer {
  status: number;
  contentType: string;
  text: string;
}
type Send = (body: string | Uint8Array, headers: Record<string, string>) => Promise<Answer>;

const inProcess: Send = async (body, headers) => {
  const res = await ctx.app.request("/v1/events", { method: "POST", headers, body });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() };
};
const overHttp: Send = async (body, headers) => {
  const res = await fetch(`${baseUrl}/v1/events`, { method: "POST", headers, body });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() };
};

beforeAll(async () => {
  ctx = await createTestContext(FUZZ_ENV);
  // A 5xx is logged by the app's onError: keep the cause for the failure message.
  ctx.deps.log = { info: () => {}, error: (message, fields) => void serverErrors.push(`${message} ${JSON.stringify(fields)}`) };
  ({ projectId, keyId, key } = await ctx.newProject("fuzzed"));
  const decoy = await ctx.newProject("decoy");
  other = { projectId: decoy.projectId, head: (await readAuditHead(ctx.store.client, decoy.projectId))!.seq };
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: ctx.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  ctx.close();
});

interface State {
  events: number;
  seq: number;
  hash: string | null;
}

async function state(): Promise<State> {
  const rs = await ctx.store.client.execute({
    sql: "SELECT count(*) FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)",
    args: [projectId],
  });
  const head = await readAuditHead(ctx.store.client, projectId);
  return { events: Number(rs.rows[0]![0]), seq: head?.seq ?? 0, hash: head?.hash ?? null };
}

interface ItemResult {
  id: string | null;
  status: "accepted" | "duplicate" | "conflict" | "rejected";
  code?: string;
  message?: string;
}

function headersFor(overrides: Record<string, string | null> = {}): Record<string, string> {
  const all: Record<string, string | null> = { "content-type": "application/json", authorization: `Bearer ${key}`, ...overrides };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null));
}

function describeCase(items: GenItem[] | null, kind: string): string {
  const lines = (items ?? []).map((it, i) => `  [${i}] ${it.valid ? "valid" : `invalid (${it.codes.join("|")})`}: ${it.trail.join("; ") || "as generated"}`);
  return [`case: ${kind}`, ...lines, ...serverErrors.slice(-3)].join("\n");
}

/** Asserts an error answer: JSON `{ error: { code, message } }`. */
function expectJsonError(answer: Answer, why: string): { code: string } {
  expect(answer.contentType, why).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code, why).toBe("string");
  expect(typeof body.error?.message, why).toBe("string");
  return { code: body.error!.code as string };
}

interface Req {
  body: string | Uint8Array;
  headers: Record<string, string>;
  /** The items, when the body is a batch the server may take; null: a 2xx is a failure. */
  items: GenItem[] | null;
  kind: string;
  /** The statuses allowed; absent: any non-5xx. */
  statuses?: number[];
}

/**
 * Sends the requests at once (one, or a few that the write queue may merge into one commit) and
 * checks every property against the model. Which of two concurrent requests stores an event
 * they share is up to the server, but exactly one of them must.
 */
async function check(send: Send, reqs: Req[]): Promise<void> {
  cases += reqs.length;
  const before = await state();
  const answers = await Promise.all(reqs.map((r) => send(r.body, r.headers)));
  const whys = reqs.map((r, i) => `${describeCase(r.items, r.kind)}\nanswer ${answers[i]!.status}: ${answers[i]!.text.slice(0, 500)}`);
  const accepted: Array<Record<string, unknown>> = [];
  /** New ids (not stored before) in requests answered 2xx: each must be accepted exactly once. */
  const newIds = new Map<string, number>();
  /** What the accepted copy of each new id says, and every answer given for a new id. */
  const standing = new Map<string, Record<string, unknown>>();
  const answeredNew: Array<{ key: string; content: Record<string, unknown>; status: string; at: string }> = [];

  answers.forEach((answer, a) => {
    const req = reqs[a]!;
    const why = whys[a]!;
    expect(answer.status, why).toBeLessThan(500);
    if (req.statuses) expect(req.statuses, why).toContain(answer.status);
    if (answer.status < 200 || answer.status >= 300) {
      expectJsonError(answer, why);
      return;
    }
    expect(req.items, `${why}\n(a 2xx for a body that must be refused)`).not.toBeNull();
    const items = req.items!;
    const results = (JSON.parse(answer.text) as { results: ItemResult[] }).results;
    expect(results.length, why).toBe(items.length);
    expect(answer.status, why).toBe(results.some((r) => r.status === "rejected" || r.status === "conflict") ? 207 : 200);
    results.forEach((r, i) => {
      const it = items[i]!;
      const at = `${why}\nitem ${i}`;
      if (!it.valid) {
        expect(r, at).toMatchObject({ status: "rejected", id: it.id });
        expect(it.codes, `${at}: code ${r.code}`).toContain(r.code);
        expect(typeof r.message, at).toBe("string");
        return;
      }
      const id = (it.value as { id: string }).id;
      // Answered with the id as sent; stored and compared in lower case.
      expect(r.id, at).toBe(id);
      const key = id.toLowerCase();
      const content = contentOf(it.value);
      const before = stored.get(key);
      if (before) {
        expect(r.status, at).toBe(isDeepStrictEqual(before, content) ? "duplicate" : "conflict");
      } else {
        expect(["accepted", "duplicate", "conflict"], at).toContain(r.status);
        newIds.set(key, (newIds.get(key) ?? 0) + (r.status === "accepted" ? 1 : 0));
        answeredNew.push({ key, content, status: r.status, at });
      }
      if (r.status === "accepted") {
        accepted.push(it.value as Record<string, unknown>);
        standing.set(key, content);
      }
    });
  });
  const why = whys.join("\n---\n");
  for (const [id, n] of newIds) expect(n, `${why}\n${id} accepted ${n} times`).toBe(1);
  // Which copy of a new id is stored is the server's choice; every other copy is then settled against it.
  for (const a of answeredNew) {
    if (a.status === "accepted") continue;
    expect(a.status, a.at).toBe(isDeepStrictEqual(standing.get(a.key), a.content) ? "duplicate" : "conflict");
  }
  for (const [key, content] of standing) stored.set(key, content);

  // The log and the chain moved by the accepted events, and only by them.
  const after = await state();
  expect(after.events - before.events, why).toBe(accepted.length);
  const entries = await ctx.store.client.execute({
    sql: "SELECT action, subject, actor, run_id, lower(hex(payload_hash)) FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq > ? ORDER BY seq",
    args: [projectId, before.seq],
  });
  const expectedEntries = accepted.flatMap((e) => {
    const entry = {
      action: e.type,
      subject: `event:${(e.id as string).toLowerCase()}`,
      actor: `sdk:${keyId}`,
      runId: typeof e.runId === "string" && e.type !== "sdk.dropped" ? e.runId.toLowerCase() : null,
    };
    const gate = e.gate as { outcome?: string } | undefined;
    const isStep = e.type === "step.completed" || e.type === "step.failed";
    return isStep && gate && gate.outcome !== "pass"
      ? [entry, { ...entry, action: `gate.${gate.outcome}`, subject: `step:${(e.stepId as string).toLowerCase()}` }]
      : [entry];
  });
  const actual = entries.rows.map((r) => ({ action: r[0], subject: refFromStored(r[1]), actor: refFromStored(r[2]), runId: idFromStoredOrNull(r[3]) }));
  // One request: its entries in item order. Several: the merge order is the server's.
  const order = (xs: object[]) => (reqs.length === 1 ? xs : [...xs].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))));
  expect(order(actual), why).toEqual(order(expectedEntries));
  expect(after.seq - before.seq, why).toBe(expectedEntries.length);

  if (accepted.length > 0) {
    const ids = accepted.map((e) => (e.id as string).toLowerCase());
    const rows = await ctx.store.client.execute({
      sql: `SELECT id, project_key, body FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id IN (${ids.map(() => "?").join(",")})`,
      args: [projectId, ...ids.map(storedId)],
    });
    expect(rows.rows.length, why).toBe(ids.length);
    const subjects = entries.rows.map((r) => [refFromStored(r[1]), String(r[4])] as const);
    const hashes = new Map(subjects.filter(([subject]) => subject.startsWith("event:")).map(([subject, hash]) => [subject.slice(6), hash]));
    for (const r of rows.rows) {
      // The JSON text the hash is of (a large body is stored compressed); the key is the entry's actor, checked above.
      const bodyText = fromStoredText(r[2]);
      const id = idFromStored(r[0]);
      expect(hashes.get(id), `${why}\npayload hash of ${id}`).toBe(sha256Hex(bodyText));
      const keys = Object.keys(JSON.parse(bodyText) as object);
      expect(
        keys.filter((k) => !KNOWN_FIELDS.has(k)),
        `${why}\nstored body of ${id}`,
      ).toEqual([]);
    }
  }
}

function batchRequest(items: GenItem[], kind = "batch"): Req {
  const body = serialize({ events: items.map((i) => i.value) });
  // The generator keeps batches within the limits; a case that is not must be refused whole.
  const tooBig = new TextEncoder().encode(body).byteLength > FUZZ_LIMITS.maxBodyBytes;
  return { body, headers: headersFor(), items: tooBig ? null : items, kind, statuses: tooBig ? [413] : undefined };
}

/** A batch case: send it, then (now and then) the very same bytes again. */
async function checkBatch(send: Send, items: GenItem[], resend: boolean): Promise<void> {
  const req = batchRequest(items);
  await check(send, [req]);
  if (!resend) return;
  const before = await state();
  // Every item is now either stored (answered duplicate, or conflict for a copy that differs) or rejected again, the same way.
  await check(send, [{ ...req, kind: "resent batch" }]);
  expect(await state()).toEqual(before);
}

async function checkEnvelope(send: Send, c: EnvelopeCase): Promise<void> {
  await check(send, [{ body: c.body, headers: headersFor(c.headers), items: c.items, kind: c.kind, statuses: c.statuses }]);
}

describe("POST /v1/events under property-based fuzzing", () => {
  it(`answers ${BATCH_RUNS} generated batches as the model says, storing and auditing exactly the accepted events`, async () => {
    await fc.assert(
      fc.asyncProperty(batch(other.projectId), fc.boolean(), async (items, resend) => {
        await checkBatch(inProcess, items, resend);
      }),
      { numRuns: BATCH_RUNS },
    );
  }, 300_000);

  it(`answers ${CONCURRENT_RUNS} sets of 2–4 concurrent batches sharing events, storing each new event once`, async () => {
    // Concurrent requests are merged into one commit by the write queue (store/write-queue.ts).
    const sets = fc
      .tuple(fc.array(batch(other.projectId, 6), { minLength: 2, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { maxLength: 4 }))
      .map(([batches, shares]) => {
        const out = batches.map((b) => [...b]);
        for (const [from, item, to, at] of shares) {
          const src = batches[from % batches.length]!;
          if (src.length === 0) continue;
          const dest = out[to % out.length]!;
          dest.splice(at % (dest.length + 1), 0, { ...src[item % src.length]!, trail: [...src[item % src.length]!.trail, "shared with another request"] });
        }
        return out;
      });
    await fc.assert(
      fc.asyncProperty(sets, async (batches) => {
        await check(
          inProcess,
          batches.map((b, i) => batchRequest(b, `concurrent batch ${i + 1} of ${batches.length}`)),
        );
      }),
      { numRuns: CONCURRENT_RUNS },
    );
  }, 300_000);

  it(`refuses ${ENVELOPE_RUNS} malformed envelopes with a JSON 4xx and takes the well-formed ones`, async () => {
    await fc.assert(
      fc.asyncProperty(envelope(other.projectId), async (c) => {
        await checkEnvelope(inProcess, c);
      }),
      { numRuns: ENVELOPE_RUNS },
    );
  }, 300_000);

  it(`holds the same properties over real HTTP (${HTTP_RUNS} batches and envelopes)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(batch(other.projectId), fc.boolean()).map(([items, resend]) => ({ items, resend })),
          envelope(other.projectId),
        ),
        async (c) => {
          if ("resend" in c) await checkBatch(overHttp, c.items, c.resend);
          else await checkEnvelope(overHttp, c);
        },
      ),
      { numRuns: HTTP_RUNS },
    );
  }, 300_000);

  it("leaves a chain that verifies, checkpoint included, and no event or entry in the project the bodies named", async () => {
    expect(cases).toBeGreaterThanOrEqual(1_000);
    expect(serverErrors).toEqual([]);
    const head = (await readAuditHead(ctx.store.client, projectId))!;
    expect(head.seq).toBeGreaterThan(stored.size); // project.created, key.created, then the events
    await createCheckpoint(ctx.store.client, projectId, ctx.deps.auditSigner, Date.now());
    const report = await verifyAudit(ctx.store.db, projectId, ctx.deps.auditSigner.publicKey);
    expect(report).toMatchObject({ ok: true, firstBad: null, head: { seq: head.seq, hash: head.hash }, lastGoodCheckpoint: head.seq });

    const decoy = await ctx.store.client.execute({
      sql: "SELECT count(*) FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)",
      args: [other.projectId],
    });
    expect(Number(decoy.rows[0]![0])).toBe(0);
    expect((await readAuditHead(ctx.store.client, other.projectId))!.seq).toBe(other.head);
    expect((await verifyAudit(ctx.store.db, other.projectId, ctx.deps.auditSigner.publicKey)).ok).toBe(true);
    const rs = await ctx.store.client.execute({
      sql: "SELECT count(*) FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)",
      args: [projectId],
    });
    expect(Number(rs.rows[0]![0])).toBe(stored.size);
  });
});
