import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config } from "./config.js";
import type { Store } from "../platform/db/client.js";
import type { StoreResolver } from "../platform/db/store-resolver.js";
import type { JobRunner } from "../modules/jobs/scheduler.js";
import type { CheckpointSigner } from "../modules/audit/chain.js";
import type { Projector } from "../modules/runs/projector.js";
import type { AuditVerifier } from "../modules/audit/verifier.js";
import type { Logger } from "./logger.js";

/** Everything the routes need, passed in rather than imported. */
export interface AppDeps {
  config: Readonly<Config>;
  store: Store;
  now: () => number;
  log: Logger;
  /** Folds the event log into runs and steps; readers `sync()` before reading them. */
  projector: Projector;
  /**
   * The store and projector holding a project's data. One pair for every project today; the
   * ingest path asks here so a database per project changes the resolver, not the routes.
   */
  stores: StoreResolver<ProjectStore>;
  /** Runs jobs on demand (`POST /v1/jobs/:name/run`); the scheduler in a server. */
  jobs: JobRunner;
  /** Signs audit checkpoints; its public key verifies them (derived from the server secret). */
  auditSigner: CheckpointSigner;
  /** Runs verifications of the audit chain in the background (`POST /v1/audit/verifications`). */
  verifier: AuditVerifier;
  /** Tests inject one (e.g. a failing one); by default an in-memory limiter from config. */
  rateLimiter?: RateLimiterAbstract;
}

/** A project's database and the projector folding its event log. */
export interface ProjectStore {
  store: Store;
  projector: Projector;
}

/**
 * What a signed-in user may do. A `lead` is a reviewer who also adjudicates disputed
 * escalations: every route open to reviewers is open to leads (auth/require-auth.ts).
 */
export type Role = "admin" | "lead" | "reviewer" | "analyst";

/**
 * Who is making a request: an SDK or script with a project API key, or a signed-in user.
 * Every data route scopes its queries by `projectId`; `actor` is what the audit trail records.
 */
export interface Principal {
  projectId: string;
  /** `sdk:<key id>` or `user:<user id>`. */
  actor: string;
  /** Set for API-key requests. */
  keyId?: string;
  /** Set for signed-in users. */
  userId?: string;
  role?: Role;
}

/** Hono context variables set by middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
  };
}
