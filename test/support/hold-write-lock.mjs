// Holds a write transaction on a libSQL/SQLite file from a process of its own, the way another
// program (a backup tool, a second instance, an admin's shell) might: BEGIN IMMEDIATE, a write,
// then nothing for `holdMs`, then ROLLBACK so nothing it wrote stays.
// Usage: node hold-write-lock.mjs <file:url> <holdMs>. Prints "locked" once the lock is held and
// "released" after the rollback.
import { createClient } from "@libsql/client";

const [url, holdMs] = process.argv.slice(2);
const client = createClient({ url, timeout: 60_000 });
const tx = await client.transaction("write");
await tx.execute("CREATE TABLE lock_probe (x INTEGER)");
await tx.execute("INSERT INTO lock_probe VALUES (1)");
process.stdout.write("locked\n");
await new Promise((r) => setTimeout(r, Number(holdMs)));
await tx.rollback();
tx.close();
client.close();
process.stdout.write("released\n");
