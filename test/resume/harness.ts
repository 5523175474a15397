// In-process server (createTestContext) with the real SDK pointed at it: resume edge cases found in review.
import { Seamtrace, type RequestFn } from "@seamtrace/sdk";
import { createTestContext, type TestContext } from "../../server/test-support/testing.js";

export async function harness(env: Record<string, string> = {}) {
  const ctx: TestContext = await createTestContext(env);
  const { key, projectId } = await ctx.newProject();
  const request: RequestFn = (async (url: string, init: any) => ctx.app.request(url, init)) as unknown as RequestFn;
  const errors: unknown[] = [];
  const client = (extra: Record<string, unknown> = {}) =>
    new Seamtrace({ endpoint: "http://collector.test", apiKey: key, request, onError: (e) => errors.push(e), ...extra });
  async function resolve(escalationId: string, decision: "accept" | "correct" | "reject", output?: unknown) {
    await ctx.deps.projector.sync();
    await ctx.store.client.execute({
      sql: "UPDATE escalations SET status = 'resolved', decision = ?, corrected_output = ?, reason = 'checked', resolved_at = ? WHERE project_id = ? AND id = ?",
      args: [decision, output === undefined ? null : JSON.stringify(output), Date.now(), projectId, escalationId],
    });
  }
  async function state(runId: string) {
    const res = await ctx.app.request(`/v1/runs/${runId}/state`, { headers: { authorization: `Bearer ${key}` } });
    return (await res.json()) as any;
  }
  async function escalationsOf(runId: string) {
    await ctx.deps.projector.sync();
    const rs = await ctx.store.client.execute({
      sql: "SELECT id, step, status, blocking, created_at FROM escalations WHERE project_id = ? AND run_id = ? ORDER BY created_at",
      args: [projectId, runId],
    });
    return rs.rows.map((r) => ({ id: r[0], step: r[1], status: r[2], blocking: r[3] }));
  }
  return { ctx, key, projectId, request, client, resolve, state, escalationsOf, errors };
}
