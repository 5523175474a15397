/**
 * How every command but `serve` and `demo` reaches the store: only one that exists already,
 * named on stderr before anything else is printed (stdout stays clean for --json and exports).
 */
import { ConfigError, describeStoreSource, loadConfig, storeFilePath, type Config } from "../app/config.js";
import { migrateStore } from "../app/migrate.js";
import { createProject, getProjectByName, listProjects, type Project } from "../modules/auth/projects-store.js";
import { openStore, type Db, type Store } from "../platform/db/client.js";
import { join } from "node:path";
import { CliFailure } from "./errors.js";

/** The store as a person reads it: the database file, or a remote URL without its query or credentials. */
export function storeLabel(databaseUrl: string): string {
  const file = storeFilePath(databaseUrl);
  if (file !== null) return file;
  try {
    const url = new URL(databaseUrl);
    return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
  } catch {
    return databaseUrl.replace(/\?.*$/, "");
  }
}

/**
 * Opens the configured store for one command and closes it after: refused (exit 2) when it does
 * not exist, or holds no Seamtrace tables, rather than made on the spot. Migrations still run,
 * as they do when the server starts, so a store of an older version is brought up to date.
 * `needsSecret`: the command hashes keys or signs, so the server's secret must be known.
 */
export async function withStore<T>(
  fn: (store: Store, secret: string, config: Readonly<Config>) => Promise<T>,
  options: { needsSecret?: boolean } = {},
): Promise<T> {
  const config = loadConfig(process.env, { store: "existing" });
  if (options.needsSecret && config.secret === "") {
    throw new ConfigError(
      `SEAMTRACE_SECRET is not set and ${join(config.dataDir, "secret")} does not exist: set SEAMTRACE_SECRET to the value the server uses ` +
        "(it keys the API-key hashes and the audit signatures; a new one would match neither).",
    );
  }
  process.stderr.write(
    `store: ${storeLabel(config.databaseUrl)} (${config.storeSource === "default" ? "default ./data; set SEAMTRACE_DATA_DIR to choose" : config.storeSource})\n`,
  );
  const store = await openStore({ url: config.databaseUrl, authToken: config.databaseAuthToken, busyTimeoutMs: config.busyTimeoutMs });
  try {
    const tables = await store.client.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'projects'");
    if (tables.rows.length === 0) {
      throw new ConfigError(
        `${storeLabel(config.databaseUrl)} holds no Seamtrace store (${describeStoreSource(config.storeSource)}). ` +
          "Point it at the store your server uses, or run `seamtrace serve` once to create one there.",
      );
    }
    await migrateStore(store);
    return await fn(store, config.secret, config);
  } finally {
    store.close();
  }
}

/** "no project named …", with the names there are, so a typo is seen at once. */
export async function noProjectMessage(db: Db, name: string, hint = ""): Promise<string> {
  const names = (await listProjects(db)).map((p) => p.name);
  const there = names.length === 0 ? "the store has no projects" : `projects: ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", …" : ""}`;
  return `no project named "${name}" (${there})${hint}`;
}

/**
 * The project a command writes to. A name that does not exist is refused unless the caller
 * asked for it to be made (`--create-project`): a mistyped name must not become a new project.
 */
export async function projectForWrite(db: Db, name: string, create: boolean): Promise<Project> {
  const found = await getProjectByName(db, name);
  if (found) return found;
  if (!create) throw new CliFailure(await noProjectMessage(db, name, ". To create it, add --create-project."));
  const made = await createProject(db, name);
  process.stderr.write(`created project "${name}"\n`);
  return made;
}
