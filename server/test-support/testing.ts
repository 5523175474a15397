import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app/app.js";
import { CheckpointSigner } from "../src/modules/audit/chain.js";
import { loadConfig, type Config } from "../src/app/config.js";
import { openStore, type Store } from "../src/platform/db/client.js";
import { migrateStore } from "../src/app/migrate.js";
import type { AppDeps, Role } from "../src/app/deps.js";
import { silentLogger } from "../src/app/logger.js";
import { SESSION_COOKIE } from "../src/modules/auth/require-auth.js";
import { createSession, createUser } from "../src/modules/auth/users-store.js";
import { Projector } from "../src/modules/runs/projector.js";
import { singleStore } from "../src/platform/db/store-resolver.js";
import { AuditVerifier } from "../src/modules/audit/verifier.js";
import { createApiKey } from "../src/modules/auth/keys-store.js";
import { createProject } from "../src/modules/auth/projects-store.js";
import { JOBS } from "../src/app/jobs.js";
import { Scheduler } from "../src/modules/jobs/scheduler.js";

/**
 * Test factories: a real libSQL file in a fresh temporary folder,
 * migrated with the real migrations. A file rather than `:memory:` because an in-memory
 * database has one connection, which hides pooling and locking behaviour.
 */
export interface TestContext {
  deps: AppDeps;
  store: Store;
  config: Readonly<Config>;
  app: ReturnType<typeof createApp>;
  dir: string;
  /** Creates a project with one API key; returns the key in full. */
  newProject(name?: string): Promise<{ projectId: string; key: string; keyId: string }>;
  /** Creates a user with a session in the project; `cookie` goes in a Cookie header. */
  newUser(projectId: string, role: Role): Promise<{ userId: string; email: string; password: string; cookie: string }>;
  close(): void;
}

let counter = 0;

export async function createTestContext(env: Record<string, string> = {}): Promise<TestContext> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-test-"));
  const config = loadConfig({ SEAMTRACE_DATA_DIR: dir, SEAMTRACE_SECRET: "s".repeat(40), ...env }, { uiDir: join(dir, "no-ui") });
  const store = await openStore({ url: config.databaseUrl, authToken: config.databaseAuthToken, busyTimeoutMs: config.busyTimeoutMs });
  await migrateStore(store);
  const projector = new Projector(store);
  const now = () => Date.now();
  const auditSigner = new CheckpointSigner(config.secret);
  // Never started: tests run jobs on demand, through the API or `deps.jobs`.
  const jobs = new Scheduler({ store, config, log: silentLogger, now: () => deps.now(), auditSigner }, JOBS);
  const verifier = new AuditVerifier({ store, now: () => deps.now(), log: silentLogger, publicKey: auditSigner.publicKey, audit: config.audit });
  const deps: AppDeps = { config, store, now, log: silentLogger, projector, stores: singleStore({ store, projector }), jobs, auditSigner, verifier };
  const app = createApp(deps);
  return {
    deps,
    store,
    config,
    app,
    dir,
    async newProject(name = `project-${++counter}-${Date.now()}`) {
      const project = await createProject(store.db, name);
      const key = await createApiKey(store.db, config.secret, { projectId: project.id, name: "test" });
      return { projectId: project.id, key: key.key, keyId: key.id };
    },
    async newUser(projectId, role) {
      const email = `${role}-${++counter}@example.test`;
      const password = "correct horse battery staple";
      const user = await createUser(store.db, { projectId, email, role, password });
      const session = await createSession(store.db, user);
      return { userId: user.id, email, password, cookie: `${SESSION_COOKIE}=${session.token}` };
    },
    close() {
      void verifier.close();
      void projector.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * How many event-loop turns happened while `work` ran: 0 means it held the thread throughout
 * (the embedded driver settles every query at once, so an awaited query is not a turn).
 */
export async function eventLoopTurnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let handle: NodeJS.Immediate;
  const tick = () => {
    turns++;
    handle = setImmediate(tick);
  };
  handle = setImmediate(tick);
  try {
    return { value: await work(), turns };
  } finally {
    clearImmediate(handle);
  }
}
