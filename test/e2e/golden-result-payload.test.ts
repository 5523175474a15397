import { goldenResultPayload, MAX_SENT_CHANGES, runGoldenSet, sendGoldenResult, serializeGoldenSet, type GoldenWorkflowModule } from "@seamtrace/golden";
import type { Seamtrace } from "@seamtrace/sdk";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type SpawnedServer } from "../support/server.js";

/**
 * The result a golden run sends, with its additive fields (regression kind and test figures,
 * trials, the case-by-case comparison), as a real server validates it.
 */
let dir: string;
let server: SpawnedServer;

const toy = (version: string, wrong: (i: number) => boolean): GoldenWorkflowModule => ({
  createGoldenWorkflow: (st: Seamtrace) => {
    const wf = st.workflow("payload", { version });
    return {
      run: (input) =>
        wf.run({ input }, async (run) => (await run.step("label", () => ({ value: wrong(input as number) ? "no" : "yes", confidence: 0.9 }))).value),
    };
  },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "seamtrace-golden-payload-"));
  // More cases than the payload keeps, all newly failing in version 2, so the cap applies.
  writeFileSync(
    join(dir, "big.jsonl"),
    serializeGoldenSet(Array.from({ length: MAX_SENT_CHANGES + 20 }, (_, i) => ({ id: `c${i}`, input: i, expected: { label: "yes" } }))),
  );
  server = await spawnServer();
});
afterAll(async () => {
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function post(body: unknown): Promise<Response> {
  return fetch(`${server.url}/v1/golden/results`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("POST /v1/golden/results with the comparison", () => {
  it("takes a regressing run's result: comparison capped, regressions with kind and p-value, trials", async () => {
    const set = join(dir, "big.jsonl");
    await runGoldenSet({ set, workflow: toy("1", () => false), updateBaseline: true });
    const startedAt = new Date();
    const report = await runGoldenSet({ set, workflow: toy("2", () => true), trials: 2 });
    const body = goldenResultPayload(set, report, startedAt, new Date())!;
    expect(body.summary.trials).toBe(2);
    expect(body.regressions[0]).toMatchObject({ what: "label", kind: "accuracy", newFailures: MAX_SENT_CHANGES + 20 });
    expect(body.regressions[0]!.pValue).toBeLessThan(1e-6);
    expect(body.comparison!.changes).toHaveLength(MAX_SENT_CHANGES);
    expect(body.comparison!.changesOmitted).toBe(20);
    const { id } = await sendGoldenResult(server.url, server.apiKey, body);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses a malformed comparison with a 400 naming the field, and stores nothing", async () => {
    const set = join(dir, "big.jsonl");
    const report = await runGoldenSet({ set, workflow: toy("3", (i) => i % 2 === 0) });
    const body = goldenResultPayload(set, report, new Date(), new Date())!;
    const bad = { ...body, comparison: { ...body.comparison!, changes: [{ ...body.comparison!.changes[0]!, change: "flipped" }] } };
    const before = (await (
      await fetch(`${server.url}/v1/golden/results?workflow=payload`, { headers: { authorization: `Bearer ${server.apiKey}` } })
    ).json()) as { items: unknown[] };
    const res = await post(bad);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; details: unknown } };
    expect(JSON.stringify(err.error.details)).toContain("change");
    const after = (await (
      await fetch(`${server.url}/v1/golden/results?workflow=payload`, { headers: { authorization: `Bearer ${server.apiKey}` } })
    ).json()) as { items: unknown[] };
    expect(after.items).toHaveLength(before.items.length);
    expect((await post(body)).status).toBe(201);
  });
});
