import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";
import { CheckpointSigner } from "../modules/audit/chain.js";
import type { Config } from "./config.js";
import { openStore } from "../platform/db/client.js";
import { migrateStore } from "./migrate.js";
import type { AppDeps } from "./deps.js";
import { jsonLogger, type Logger } from "./logger.js";
import { bootstrapStore } from "../modules/auth/bootstrap.js";
import { Projector } from "../modules/runs/projector.js";
import { singleStore } from "../platform/db/store-resolver.js";
import { AuditVerifier } from "../modules/audit/verifier.js";
import { closeIngestWriter } from "../modules/ingest/store.js";
import { WebhookDispatcher } from "../modules/webhooks/dispatcher.js";
import { JOBS } from "./jobs.js";
import { Scheduler } from "../modules/jobs/scheduler.js";
import { CheckpointWatcher } from "../modules/audit/checkpoint-job.js";
import type { CreatedApiKey } from "../modules/auth/keys-store.js";

/** The server could not listen where it was configured to; the message says how to fix it. */
export class ListenError extends Error {
  override readonly name = "ListenError";
}

/** A sentence with the fix for the usual ways `listen` fails; other errors are passed on as they are. */
function listenError(err: unknown, config: Readonly<Config>): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const next = config.port === 65535 ? 7078 : config.port + 1;
  const other = `start on another port with PORT, e.g. PORT=${next} npm start (PORT=0 takes any free port)`;
  if (code === "EADDRINUSE") {
    return new ListenError(`port ${config.port} on ${config.host} is already in use (another Seamtrace, or another program). Stop it, or ${other}.`);
  }
  if (code === "EACCES") return new ListenError(`not allowed to listen on port ${config.port} (ports below 1024 need privileges): ${other}.`);
  if (code === "EADDRNOTAVAIL")
    return new ListenError(`HOST ${config.host} is not an address of this machine: set HOST to one that is (127.0.0.1, or 0.0.0.0 for every interface).`);
  return err;
}

export interface RunningServer {
  url: string;
  /** The default project's key when this start created it (first start only). */
  createdKey: CreatedApiKey | null;
  deps: AppDeps;
  close(): Promise<void>;
}

/**
 * loadConfig → migrate → listen → first-start project and key → jobs. The project and its key
 * are made only once the port is bound: a start that fails to listen leaves no key that was
 * never shown, so the next start makes (and prints) it.
 */
export async function startServer(config: Readonly<Config>, log: Logger = jsonLogger): Promise<RunningServer> {
  const store = await openStore({ url: config.databaseUrl, authToken: config.databaseAuthToken, busyTimeoutMs: config.busyTimeoutMs });
  await migrateStore(store);
  const projector = new Projector(store, { log });
  const now = () => Date.now();
  const auditSigner = new CheckpointSigner(config.secret);
  const scheduler = new Scheduler({ store, config, log, now, auditSigner }, JOBS);
  const verifier = new AuditVerifier({ store, now, log, publicKey: auditSigner.publicKey, audit: config.audit });
  const deps: AppDeps = { config, store, now, log, projector, stores: singleStore({ store, projector }), jobs: scheduler, auditSigner, verifier };
  const app = createApp(deps);
  const webhooks = new WebhookDispatcher(store, { log, allow: config.webhooks.allow, publicUrl: config.publicUrl });
  const checkpoints = new CheckpointWatcher({ store, now: deps.now, config, signer: deps.auditSigner }, (err) =>
    log.error("audit checkpoint failed", { err: String(err) }),
  );

  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
      s.once("error", reject);
    });
  } catch (err) {
    await verifier.close();
    await projector.close();
    store.close();
    throw listenError(err, config);
  }
  const createdKey = await bootstrapStore(store.db, config.secret);
  // Events a previous process acknowledged but did not get to project.
  projector.sync().catch((err: unknown) => log.error("projection catch-up failed", { err: String(err) }));
  webhooks.start();
  // Every instance schedules; the lease in the store lets one of them run each tick.
  if (config.jobs.enabled) scheduler.startSchedules();
  checkpoints.start();
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    createdKey,
    deps,
    close() {
      // Stop taking requests and let in-flight ones finish: a request returns only after its
      // writes commit, so once the server has closed nothing is left to write.
      closing ??= new Promise<void>((resolve) => server.close(() => resolve())).then(async () => {
        // Jobs first: a running one stops at its next chunk and records its end while the store is open.
        await scheduler.stop();
        await verifier.close();
        await closeIngestWriter(store);
        await projector.close();
        await checkpoints.stop();
        // A last checkpoint over whatever this process appended, for the audit trail's tail.
        await checkpoints.tick(1);
        await webhooks.stop();
        store.close();
      });
      return closing;
    },
  };
}
