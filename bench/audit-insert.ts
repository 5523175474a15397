// Measures the audit trail's insert: a multi-row INSERT binding nine parameters a row against one
// JSON array per statement unpacked by json_each (what store/audit.ts does). Run:
//   node --import tsx bench/audit-insert.ts
import { createClient } from "@libsql/client";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
const N = 40000;
const h = (i: number) => createHash("sha256").update(String(i)).digest("hex");
const ddl = `CREATE TABLE a (project_id text NOT NULL, seq integer NOT NULL, time integer NOT NULL, actor text NOT NULL, action text NOT NULL, subject text NOT NULL, run_id text, payload_hash text NOT NULL, hash text NOT NULL, PRIMARY KEY(project_id, seq));
    CREATE INDEX a_run ON a (project_id, run_id) WHERE run_id IS NOT NULL; CREATE INDEX a_time ON a (project_id, time);`;
for (let rep = 0; rep < 3; rep++) for (const mode of ["multirow", "json"]) {
  const dir = mkdtempSync(join(tmpdir(), "v-"));
  const c = createClient({ url: `file:${join(dir, "s.db")}` });
  await c.execute("PRAGMA journal_mode=WAL");
  await c.executeMultiple(ddl);
  const P = "0190f0f0-0000-7000-8000-000000000000", A = "sdk:0190f0f0-0000-7000-8000-000000000000", T = Date.now();
  const rows = Array.from({ length: N }, (_, i) => [i + 1, "step.completed", `event:0190f0f0-0000-7000-8000-${String(i).padStart(12, "0")}`, `0190f0f0-0000-7000-8000-${String(i >> 3).padStart(12, "0")}`, h(i), h(i + 1)] as const);
  const t = performance.now();
  for (let i = 0; i < N; i += 2000) {
    const tx = await c.transaction("write");
    if (mode === "json") {
      await tx.execute({ sql: `INSERT INTO a (project_id, seq, time, actor, action, subject, run_id, payload_hash, hash)
        SELECT ?1, value ->> 0, ?2, ?3, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(?4)`, args: [P, T, A, JSON.stringify(rows.slice(i, i + 2000))] });
    } else for (let j = i; j < i + 2000; j += 100) {
      const part = rows.slice(j, j + 100).map((r) => [P, r[0], T, A, r[1], r[2], r[3], r[4], r[5]]);
      await tx.execute({ sql: "INSERT INTO a (project_id, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES " + part.map(() => "(?,?,?,?,?,?,?,?,?)").join(","), args: part.flat() as never });
    }
    await tx.commit();
  }
  console.log(mode.padEnd(10), ((performance.now() - t) * 1000 / N).toFixed(2), "µs/row");
  c.close();
}
