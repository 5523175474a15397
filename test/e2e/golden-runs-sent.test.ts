import { goldenResultPayload, runGoldenSet, sendGoldenResult, serializeGoldenSet, type GoldenCase, type GoldenWorkflowModule } from "@seamtrace/golden";
import type { Seamtrace } from "@seamtrace/sdk";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GoldenResultDetail } from "../../server/src/modules/golden/contract.js";
import type { RunDetailResponse, RunListResponse, WorkflowListResponse } from "../../server/src/modules/runs/contract.js";
import { spawnServer, type SpawnedServer } from "../support/server.js";

/**
 * A golden run sends each case's run to a real server while the set runs, through the normal
 * ingest: the result stored afterwards links its changed cases to their runs, every run opens as
 * a DAG, and none of them shows up as production traffic.
 */
let dir: string;
let server: SpawnedServer;

/** `double` then `label`; "bad" mislabels every third input. Input 7's label escalates at its gate. */
function toy(version: "good" | "bad"): GoldenWorkflowModule {
  return {
    createGoldenWorkflow(st: Seamtrace) {
      const wf = st.workflow("toy-sent", { version, policy: { minConfidence: 0.5, onLow: "escalate" } });
      return {
        run: (input) =>
          wf.run({ input }, async (run) => {
            const n = input as number;
            const d = await run.step("double", { input: n }, () => ({ value: n * 2, confidence: 0.95 }));
            const wrong = version === "bad" && n % 3 === 0;
            const l = await run.step("label", { from: [d] }, () => ({
              value: wrong ? "odd" : d.value % 4 === 0 ? "four" : "two",
              confidence: n === 7 ? 0.1 : 0.9,
            }));
            return l.value;
          }),
      };
    },
  };
}
const cases: GoldenCase[] = Array.from({ length: 12 }, (_, i) => ({
  id: `n${i + 1}`,
  input: i + 1,
  expected: { double: (i + 1) * 2, label: ((i + 1) * 2) % 4 === 0 ? "four" : "two" },
}));

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.apiKey}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "seamtrace-golden-runs-sent-"));
  writeFileSync(join(dir, "toy-sent.jsonl"), serializeGoldenSet(cases));
  server = await spawnServer();
}, 120_000);
afterAll(async () => {
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("golden runs sent to a server", () => {
  it("stores every case's run tagged with its result, links the changed cases to them, and keeps them out of production", async () => {
    const set = join(dir, "toy-sent.jsonl");
    const send = { server: server.url, apiKey: server.apiKey };
    const base = await runGoldenSet({ set, workflow: toy("good"), updateBaseline: true, send, trials: 2 });
    expect(base.runsSent).toMatchObject({ runs: 24, undelivered: 0 });

    const startedAt = new Date();
    const report = await runGoldenSet({ set, workflow: toy("bad"), send, trials: 2 });
    const sent = report.runsSent!;
    expect(sent).toMatchObject({ server: server.url, runs: 24, undelivered: 0, undeliveredByReason: {} });
    expect(sent.delivered).toBe(sent.events);
    const body = goldenResultPayload(set, report, startedAt, new Date())!;
    expect(body.id).toBe(sent.result);
    expect((await sendGoldenResult(server.url, server.apiKey, body)).id).toBe(sent.result);

    const detail = await api<GoldenResultDetail>(`/v1/golden/results/${sent.result}`);
    expect(detail.comparison).toEqual(JSON.parse(JSON.stringify(report.comparison)));
    const failing = detail.comparison!.changes.filter((c) => c.change === "new-failure").map((c) => c.case);
    expect(failing).toEqual(["n3", "n6", "n9", "n12"]);
    expect(Object.keys(detail.caseRuns).sort()).toEqual([...failing].sort());
    for (const c of failing) {
      expect(detail.caseRuns[c]).toHaveLength(2);
      // Each opens as a run: its DAG, its case, its outcome.
      const run = await api<RunDetailResponse & { run: { golden: unknown } }>(`/v1/runs/${detail.caseRuns[c]![0]}`);
      expect(run.run.golden).toEqual({ set: "toy-sent", case: c, result: sent.result, outcome: "fail" });
      expect(run.steps.map((s) => s.name)).toEqual(["double", "label"]);
      expect(run.edges).toHaveLength(1);
    }

    const ofResult = await api<RunListResponse>(`/v1/runs?goldenResult=${sent.result}&limit=100`);
    expect(ofResult.items).toHaveLength(24);
    expect(new Set(ofResult.items.map((r) => r.golden!.case))).toEqual(new Set(cases.map((c) => c.id)));
    expect(ofResult.items.filter((r) => r.golden!.outcome === "fail")).toHaveLength(4 * 2); // the mislabelled cases, both trials
    expect((await api<RunListResponse>("/v1/runs?golden=only&limit=100")).items).toHaveLength(48);

    // Not production: not in the default list, not in the run counts.
    expect((await api<RunListResponse>("/v1/runs?workflow=toy-sent")).items).toEqual([]);
    const workflows = await api<WorkflowListResponse>("/v1/workflows");
    expect(workflows.items.find((w) => w.name === "toy-sent")).toMatchObject({ runCount: 0, versions: [] });
  });

  it("reports the runs the server refused, with the reason", async () => {
    const report = await runGoldenSet({
      set: join(dir, "toy-sent.jsonl"),
      workflow: toy("good"),
      send: { server: server.url, apiKey: "st_not_a_key" },
      baseline: join(dir, "none.json"),
    });
    expect(report.runsSent).toMatchObject({ runs: 12, delivered: 0 });
    expect(report.runsSent!.undelivered).toBe(report.runsSent!.events);
    expect(Object.keys(report.runsSent!.undeliveredByReason)).toEqual(["http_401"]);
  });
});
