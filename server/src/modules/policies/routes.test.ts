import { Seamtrace, type PoliciesResponse, type RequestFn, type ServedPolicy } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_POLICIES_PER_PROJECT, type PolicyHistoryResponse } from "./contract.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { ifNoneMatchHits } from "./routes.js";

let ctx: TestContext;
/** Advances one second per read, so history entries have distinct, ordered times. */
let clock = Date.now();

interface Actor {
  projectId: string;
  key: string;
  admin: string;
  adminId: string;
  reviewer: string;
  analyst: string;
}

async function newActor(): Promise<Actor> {
  const { projectId, key } = await ctx.newProject();
  const admin = await ctx.newUser(projectId, "admin");
  return {
    projectId,
    key,
    admin: admin.cookie,
    adminId: admin.userId,
    reviewer: (await ctx.newUser(projectId, "reviewer")).cookie,
    analyst: (await ctx.newUser(projectId, "analyst")).cookie,
  };
}

/** A cookie (`st_session=…`) or an API key (`st_…`): the header each one travels in. */
function auth(credential: string): Record<string, string> {
  return credential.includes("=") ? { cookie: credential } : { authorization: `Bearer ${credential}` };
}

async function send(method: string, path: string, credential: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...auth(credential), ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await ctx.app.request(path, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const put = (path: string, credential: string, body: unknown) => send("PUT", `/v1/policies/${path}`, credential, body);
const del = (path: string, credential: string) => send("DELETE", `/v1/policies/${path}`, credential);
const list = async (credential: string, query = "") => {
  const res = await send("GET", `/v1/policies${query}`, credential);
  expect(res.status).toBe(200);
  return { etag: res.headers.get("etag"), policies: (res.body as PoliciesResponse).policies };
};
const history = async (credential: string, query = "") => {
  const res = await send("GET", `/v1/policies/history${query}`, credential);
  expect(res.status, res.text).toBe(200);
  return res.body as PolicyHistoryResponse;
};

async function storedRow(projectId: string, workflow: string, step = "") {
  const rs = await ctx.store.client.execute({
    sql: "SELECT min_confidence, on_low, revision, updated_by FROM policies WHERE project_id = ? AND workflow = ? AND step = ?",
    args: [projectId, workflow, step],
  });
  return rs.rows[0]
    ? { minConfidence: rs.rows[0].min_confidence, onLow: rs.rows[0].on_low, revision: Number(rs.rows[0].revision), updatedBy: rs.rows[0].updated_by }
    : null;
}

async function historyCount(projectId: string): Promise<number> {
  const rs = await ctx.store.client.execute({ sql: "SELECT count(*) FROM policy_history WHERE project_id = ?", args: [projectId] });
  return Number(rs.rows[0]![0]);
}

beforeAll(async () => {
  ctx = await createTestContext();
  ctx.deps.now = () => (clock += 1000);
});
afterAll(() => ctx.close());

describe("PUT and DELETE /v1/policies", () => {
  it("creates a workflow policy (201) and serves it with step null and ISO times", async () => {
    const a = await newActor();
    const res = await put("claims", a.admin, { minConfidence: 0.8, onLow: "escalate", reason: "launch" });
    expect(res.status).toBe(201);
    const policy = res.body as ServedPolicy;
    expect(policy).toEqual({ workflow: "claims", step: null, minConfidence: 0.8, onLow: "escalate", revision: 1, updatedAt: expect.any(String) });
    expect(new Date(policy.updatedAt).toISOString()).toBe(policy.updatedAt);
    expect((await list(a.key)).policies).toEqual([policy]);
    expect(await storedRow(a.projectId, "claims")).toMatchObject({ revision: 1, updatedBy: `user:${a.adminId}` });
  });

  it("updates field by field: an absent field stays, null clears it, the revision goes up", async () => {
    const a = await newActor();
    await put("claims/steps/extract", a.admin, { minConfidence: 0.8, onLow: "flag", spotCheckRate: 0.1 });
    const res = await put("claims/steps/extract", a.admin, { minConfidence: 0.9, spotCheckRate: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ workflow: "claims", step: "extract", minConfidence: 0.9, onLow: "flag", revision: 2, updatedAt: expect.any(String) });
    expect((await list(a.key)).policies).toEqual([res.body]);
  });

  it("stores requireConfidence, serves it to SDKs and the UI, keeps it across other edits, and clears it with null", async () => {
    const a = await newActor();
    const created = await put("claims/steps/extract", a.admin, { requireConfidence: true, reason: "every step must score itself" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ workflow: "claims", step: "extract", requireConfidence: true, revision: 1 });
    expect((await list(a.key)).policies).toEqual([created.body]);
    const tightened = await put("claims/steps/extract", a.admin, { minConfidence: 0.8 });
    expect(tightened.body).toMatchObject({ requireConfidence: true, minConfidence: 0.8, revision: 2 });
    const off = await put("claims/steps/extract", a.admin, { requireConfidence: false });
    expect(off.body).toMatchObject({ requireConfidence: false, revision: 3 });
    const cleared = await put("claims/steps/extract", a.admin, { requireConfidence: null });
    expect(cleared.body).not.toHaveProperty("requireConfidence");
    expect((await history(a.admin)).items[0]).toMatchObject({ before: { requireConfidence: false }, after: { minConfidence: 0.8 } });
  });

  it("writes no revision and no history for a PUT that changes nothing", async () => {
    const a = await newActor();
    const first = await put("claims", a.admin, { minConfidence: 0.8 });
    const again = await put("claims", a.admin, { minConfidence: 0.8, reason: "retry" });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await historyCount(a.projectId)).toBe(1);
  });

  it("serves every policy of the project in (workflow, step) order, and filters by workflow", async () => {
    const a = await newActor();
    await put("zeta/steps/b", a.admin, { minCumulative: 0.5 });
    await put("alpha/steps/z", a.admin, { minConfidence: 0.7 });
    await put("zeta", a.admin, { onLow: "flag" });
    await put("alpha", a.admin, { targetAccuracy: 0.95, tightenMin: 0.6, tightenMax: 0.9 });
    const all = await list(a.key);
    expect(all.policies.map((p) => [p.workflow, p.step])).toEqual([
      ["alpha", null],
      ["alpha", "z"],
      ["zeta", null],
      ["zeta", "b"],
    ]);
    expect(all.policies[0]).toMatchObject({ targetAccuracy: 0.95, tightenMin: 0.6, tightenMax: 0.9 });
    const zeta = await list(a.key, "?workflow=zeta");
    expect(zeta.policies.map((p) => p.step)).toEqual([null, "b"]);
    expect(zeta.etag).not.toBe(all.etag);
  });

  it("deletes a policy (204), after which it is gone and a second delete is 404", async () => {
    const a = await newActor();
    await put("claims", a.admin, { minConfidence: 0.8 });
    await put("claims/steps/route", a.admin, { onLow: "flag" });
    expect((await del("claims/steps/route", a.admin)).status).toBe(204);
    expect((await list(a.key)).policies.map((p) => p.step)).toEqual([null]);
    expect((await del("claims/steps/route", a.admin)).status).toBe(404);
    expect((await del("claims", a.admin)).status).toBe(204);
    expect((await list(a.key)).policies).toEqual([]);
  });

  it("keeps counting revisions across a delete and re-create", async () => {
    const a = await newActor();
    await put("claims", a.admin, { minConfidence: 0.8 });
    await put("claims", a.admin, { minConfidence: 0.85 });
    await del("claims", a.admin);
    const again = await put("claims", a.admin, { minConfidence: 0.85 });
    expect(again.status).toBe(201);
    expect((again.body as ServedPolicy).revision).toBe(3);
  });

  it("refuses a new policy past the per-project cap (409) but still updates existing ones", async () => {
    const a = await newActor();
    const values = Array.from({ length: MAX_POLICIES_PER_PROJECT }, (_, i) => `('${a.projectId}', 'w${i}', '', 0.5, 1, 0, 'seed')`);
    await ctx.store.client.execute(
      `INSERT INTO policies (project_id, workflow, step, min_confidence, revision, updated_at, updated_by) VALUES ${values.join(",")}`,
    );
    const refused = await put("one-more", a.admin, { minConfidence: 0.5 });
    expect(refused.status).toBe(409);
    expect((refused.body as { error: { code: string } }).error.code).toBe("too_many_policies");
    expect((await put("w7", a.admin, { minConfidence: 0.6 })).status).toBe(200);
    expect((await list(a.key)).policies).toHaveLength(MAX_POLICIES_PER_PROJECT);
  });
});

describe("policy changes and their history commit together", () => {
  it("leaves the policy unchanged when the history insert fails", async () => {
    const a = await newActor();
    await put("claims", a.admin, { minConfidence: 0.8 });
    const before = await list(a.key);
    await ctx.store.client.execute("CREATE TRIGGER refuse_policy_history BEFORE INSERT ON policy_history BEGIN SELECT RAISE(ABORT, 'history refused'); END");
    try {
      expect((await put("claims", a.admin, { minConfidence: 0.5 })).status).toBe(500);
      expect((await put("claims/steps/new", a.admin, { minConfidence: 0.5 })).status).toBe(500);
      expect((await del("claims", a.admin)).status).toBe(500);
    } finally {
      await ctx.store.client.execute("DROP TRIGGER refuse_policy_history");
    }
    expect(await list(a.key)).toEqual(before);
    expect(await storedRow(a.projectId, "claims")).toMatchObject({ minConfidence: 0.8, revision: 1 });
    expect(await historyCount(a.projectId)).toBe(1);
  });

  it("records create, update and delete with before, after, actor and reason, newest first", async () => {
    const a = await newActor();
    const created = (await put("claims/steps/extract", a.admin, { minConfidence: 0.8, reason: "launch" })).body as ServedPolicy;
    const updated = (await put("claims/steps/extract", a.admin, { minConfidence: 0.9, reason: "drift seen" })).body as ServedPolicy;
    await send("DELETE", "/v1/policies/claims/steps/extract?reason=retired", a.admin);
    const { items, nextCursor } = await history(a.analyst);
    expect(nextCursor).toBeNull();
    const actor = `user:${a.adminId}`;
    expect(items.map(({ before, after, reason, actor, step }) => ({ before, after, reason, actor, step }))).toEqual([
      { before: updated, after: null, reason: "retired", actor, step: "extract" },
      { before: created, after: updated, reason: "drift seen", actor, step: "extract" },
      { before: null, after: created, reason: "launch", actor, step: "extract" },
    ]);
    expect(Date.parse(items[0]!.at)).toBeGreaterThan(Date.parse(items[1]!.at));
  });

  it("filters the history by workflow and step (step= is the workflow-wide policy) and pages with a cursor", async () => {
    const a = await newActor();
    for (const v of [0.1, 0.2, 0.3]) await put("claims", a.admin, { minConfidence: v });
    await put("claims/steps/route", a.admin, { onLow: "flag" });
    await put("other", a.admin, { onLow: "flag" });

    expect((await history(a.reviewer, "?workflow=claims")).items).toHaveLength(4);
    const wide = await history(a.reviewer, "?workflow=claims&step=");
    expect(wide.items.map((e) => e.after?.minConfidence)).toEqual([0.3, 0.2, 0.1]);
    expect((await history(a.reviewer, "?workflow=claims&step=route")).items.map((e) => e.step)).toEqual(["route"]);

    const seen: string[] = [];
    let page = await history(a.admin, "?limit=2");
    seen.push(...page.items.map((e) => e.id));
    for (let pages = 1; page.nextCursor && pages < 10; pages++) {
      page = await history(a.admin, `?limit=2&cursor=${page.nextCursor}`);
      seen.push(...page.items.map((e) => e.id));
    }
    const all = (await history(a.admin, "?limit=500")).items.map((e) => e.id);
    expect(all).toHaveLength(5);
    expect(seen).toEqual(all);
  });
});

describe("ETag", () => {
  it("answers 304 without a body when If-None-Match names the current ETag", async () => {
    const a = await newActor();
    await put("claims", a.admin, { minConfidence: 0.8 });
    const { etag } = await list(a.key);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    for (const header of [etag!, `W/${etag!}`, `"other", ${etag!}`, "*"]) {
      const res = await send("GET", "/v1/policies", a.key, undefined, { "if-none-match": header });
      expect(res.status, header).toBe(304);
      expect(res.text).toBe("");
      expect(res.headers.get("etag")).toBe(etag);
    }
    expect((await send("GET", "/v1/policies", a.key, undefined, { "if-none-match": '"stale"' })).status).toBe(200);
  });

  it("changes when a policy changes or is deleted, and a re-created policy never reuses the old tag", async () => {
    const a = await newActor();
    const tags = [(await list(a.key)).etag];
    await put("claims", a.admin, { minConfidence: 0.8 });
    tags.push((await list(a.key)).etag);
    await put("claims", a.admin, { minConfidence: 0.9 });
    tags.push((await list(a.key)).etag);
    await del("claims", a.admin);
    tags.push((await list(a.key)).etag);
    await put("claims", a.admin, { minConfidence: 0.9 });
    tags.push((await list(a.key)).etag);
    const [empty, first, second, deleted, recreated] = tags;
    expect(new Set([empty, first, second, recreated]).size).toBe(4);
    // Same representation, same tag: no policies is no policies, whatever came before.
    expect(deleted).toBe(empty);
    const res = await send("GET", "/v1/policies", a.key, undefined, { "if-none-match": tags[2]! });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe(tags[4]);
  });

  it("stays the same while nothing changes", async () => {
    const a = await newActor();
    await put("claims", a.admin, { minConfidence: 0.8 });
    expect((await list(a.key)).etag).toBe((await list(a.admin)).etag);
  });

  it("parses If-None-Match lists, weak tags and *", () => {
    expect(ifNoneMatchHits(undefined, '"a"')).toBe(false);
    expect(ifNoneMatchHits('"b" , W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('"ab"', '"a"')).toBe(false);
    expect(ifNoneMatchHits("*", '"a"')).toBe(true);
  });
});

describe("who may read and change policies", () => {
  it("lets an API key and every role read the policies", async () => {
    const a = await newActor();
    for (const credential of [a.key, a.admin, a.reviewer, a.analyst]) expect((await send("GET", "/v1/policies", credential)).status).toBe(200);
    expect((await ctx.app.request("/v1/policies")).status).toBe(401);
  });

  it("refuses changes from reviewers, analysts and API keys (403) and changes nothing", async () => {
    const a = await newActor();
    await put("claims", a.admin, { minConfidence: 0.8 });
    for (const credential of [a.reviewer, a.analyst, a.key]) {
      expect((await put("claims", credential, { minConfidence: 0.1 })).status).toBe(403);
      expect((await put("claims/steps/x", credential, { minConfidence: 0.1 })).status).toBe(403);
      expect((await del("claims", credential)).status).toBe(403);
    }
    expect((await list(a.key)).policies).toEqual([expect.objectContaining({ minConfidence: 0.8, revision: 1 })]);
    expect(await historyCount(a.projectId)).toBe(1);
  });

  it("shows the history to signed-in roles only", async () => {
    const a = await newActor();
    for (const credential of [a.admin, a.reviewer, a.analyst]) expect((await send("GET", "/v1/policies/history", credential)).status).toBe(200);
    expect((await send("GET", "/v1/policies/history", a.key)).status).toBe(403);
  });

  it("refuses a cross-site PUT made with a session cookie", async () => {
    const a = await newActor();
    const res = await send("PUT", "/v1/policies/claims", a.admin, { minConfidence: 0.1 }, { "sec-fetch-site": "cross-site" });
    expect(res.status).toBe(403);
    expect(await storedRow(a.projectId, "claims")).toBeNull();
  });
});

describe("projects are isolated", () => {
  it("never shows, changes or deletes another project's policies or history", async () => {
    const a = await newActor();
    const b = await newActor();
    await put("claims", a.admin, { minConfidence: 0.8 });
    await put("claims/steps/only-a", a.admin, { minConfidence: 0.8 });

    expect((await list(b.key)).policies).toEqual([]);
    expect((await history(b.admin, "?workflow=claims")).items).toEqual([]);
    expect((await del("claims/steps/only-a", b.admin)).status).toBe(404);

    const mine = await put("claims", b.admin, { minConfidence: 0.1 });
    expect(mine.status).toBe(201);
    expect((await list(b.key)).policies).toEqual([mine.body]);
    expect((await list(a.key)).policies.map((p) => p.minConfidence)).toEqual([0.8, 0.8]);
    expect((await history(a.admin)).items).toHaveLength(2);
  });
});

describe("validation", () => {
  const bad: Array<[string, unknown, string]> = [
    ["a threshold above 1", { minConfidence: 1.5 }, "invalid_body"],
    ["a negative rate", { spotCheckRate: -0.1 }, "invalid_body"],
    ["a threshold given as a string", { minCumulative: "0.5" }, "invalid_body"],
    ["an unknown onLow", { onLow: "stop" }, "invalid_body"],
    ["requireConfidence given as a string", { requireConfidence: "true" }, "invalid_body"],
    ["a server-owned field (revision)", { minConfidence: 0.5, revision: 99 }, "invalid_body"],
    ["a server-owned field (updatedBy)", { minConfidence: 0.5, updatedBy: "user:someone" }, "invalid_body"],
    ["a misspelt field", { minConfidense: 0.5 }, "invalid_body"],
    ["a body that sets nothing", { reason: "why not" }, "invalid_body"],
    ["tighten bounds the wrong way round", { tightenMin: 0.9, tightenMax: 0.5 }, "invalid_policy"],
    ["an array", [], "invalid_body"],
  ];
  it.each(bad)("answers 400 to %s", async (_what, body, code) => {
    const a = await newActor();
    const res = await put("claims", a.admin, body);
    expect(res.status).toBe(400);
    expect((res.body as { error: { code: string } }).error.code).toBe(code);
    expect(await storedRow(a.projectId, "claims")).toBeNull();
  });

  it("checks the tighten bounds against the stored policy too", async () => {
    const a = await newActor();
    await put("claims", a.admin, { tightenMin: 0.6, tightenMax: 0.8 });
    const res = await put("claims", a.admin, { tightenMin: 0.85 });
    expect(res.status).toBe(400);
    expect((res.body as { error: { code: string } }).error.code).toBe("invalid_policy");
    expect((await put("claims", a.admin, { tightenMin: 0.85, tightenMax: null })).status).toBe(200);
  });

  it("answers 400 to a bad name, step filter or cursor, 415 to a form and 413 to a huge body", async () => {
    const a = await newActor();
    expect((await put(`${"w".repeat(257)}`, a.admin, { minConfidence: 0.5 })).status).toBe(400);
    expect((await send("GET", "/v1/policies/history?step=x", a.admin)).status).toBe(400);
    expect((await send("GET", "/v1/policies/history?cursor=!!", a.admin)).status).toBe(400);
    expect((await send("GET", "/v1/policies/history?limit=0", a.admin)).status).toBe(400);
    expect((await send("PUT", "/v1/policies/claims", a.admin, "minConfidence=0.5", { "content-type": "application/x-www-form-urlencoded" })).status).toBe(415);
    expect((await send("PUT", "/v1/policies/claims", a.admin, "{not json")).status).toBe(400);
    expect((await put("claims", a.admin, { minConfidence: 0.5, reason: "x".repeat(70_000) })).status).toBe(413);
    expect(await storedRow(a.projectId, "claims")).toBeNull();
  });
});

describe("the SDK against this route", () => {
  it("applies server policies over the code policy, and revalidates with 304", async () => {
    const a = await newActor();
    await put("claims", a.admin, { minConfidence: 0.9 });
    await put("claims/steps/route", a.admin, { onLow: "flag" });
    const statuses: number[] = [];
    const request: RequestFn = async (url, init) => {
      const res = await ctx.app.request(url, init as RequestInit);
      statuses.push(res.status);
      return res;
    };
    const st = new Seamtrace({ endpoint: "http://collector.test", apiKey: a.key, request });
    try {
      expect(await st.policies!.ready(5000)).toBe(true);
      const code = { minConfidence: 0.5, minCumulative: 0.4, onLow: "escalate" as const };
      expect(st.policies!.ruleFor("claims", "route", code)).toMatchObject({ minConfidence: 0.9, minCumulative: 0.4, onLow: "flag", source: "mixed" });
      expect(st.policies!.ruleFor("claims", "extract", code)).toMatchObject({ minConfidence: 0.9, onLow: "escalate" });
      expect(await st.policies!.refresh()).toBe(true);
      expect(statuses).toEqual([200, 304]);

      await del("claims", a.admin);
      await st.policies!.refresh();
      expect(statuses).toEqual([200, 304, 200]);
      expect(st.policies!.ruleFor("claims", "extract", code)).toMatchObject({ minConfidence: 0.5, source: "code" });
    } finally {
      await st.shutdown({ timeoutMs: 100 });
    }
  });
});
