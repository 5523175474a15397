import { createClient } from "@libsql/client";
const c = createClient({ url: "file:" + process.argv[2] });
for (const sql of process.argv.slice(3)) {
  const rs = await c.execute("EXPLAIN QUERY PLAN " + sql);
  console.log(sql.slice(0, 120)); for (const r of rs.rows) console.log("   ", r.detail);
  const t = performance.now(); const x = await c.execute(sql); console.log("   rows", x.rows.length, (performance.now() - t).toFixed(1), "ms");
}
