import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { validate as validCron } from "node-cron";
import { DEFAULT_SCHEDULES, JOB_NAMES, type JobName } from "../modules/jobs/names.js";
import { parseAllowEntry } from "../modules/webhooks/address-guard.js";

/** Limits on what a client may send. Defaults are documented in the README. */
export interface Limits {
  /** Events in one `POST /v1/events` batch. */
  maxBatchEvents: number;
  /** Request body bytes after decompression. */
  maxBodyBytes: number;
  /** Characters in any one string value. */
  maxStringLength: number;
  /** Nesting depth of any JSON value. */
  maxDepth: number;
}

/** OTLP/HTTP ingest (`POST /v1/traces`, `POST /v1/logs`), limited apart from `/v1/events`. */
export interface OtlpConfig {
  /** Request body bytes after decompression; OTLP recommends receivers accept 20 MiB. */
  maxBodyBytes: number;
  /** Spans (or log records) in one request. */
  maxItems: number;
  /**
   * A trace whose spans still wait (for a root or a parent that never comes) is settled with
   * what arrived once it has been quiet this long, and its run closed as `RootMissing` if it had no root.
   */
  idleCloseMs: number;
}

/** The scheduler. */
export interface JobsConfig {
  /** False (SEAMTRACE_JOBS=off) keeps this instance from scheduling jobs; on-demand runs still work. */
  enabled: boolean;
  /** Cron expression per job (UTC), or null when that job is off. */
  schedules: Readonly<Record<JobName, string | null>>;
  /** How long a lease lasts without renewal; renewed every third of it while a job runs. */
  leaseMs: number;
}

/** Windows and cut-offs of the analytics jobs; every one has a laptop-friendly default. */
export interface AnalyticsConfig {
  /** PSI at or above this is "watch"; at or above `psiAlert`, "alert". */
  psiWatch: number;
  psiAlert: number;
  /** KS and chi-square p-values below this are "alert". */
  pAlert: number;
  /** Drift compares the current window with the baseline window just before it. */
  driftCurrentHours: number;
  driftBaselineHours: number;
  /** Window of the calibration, escalation and auto-tighten jobs. */
  windowHours: number;
  /** Window of labels the recalibration fits on. */
  recalibrateHours: number;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  /** Which setting chose the store, so a command can say where its store came from. */
  storeSource: "DATABASE_URL" | "SEAMTRACE_DATA_DIR" | "default";
  databaseAuthToken: string | undefined;
  /** Keys the API-key hashes and the audit signing key. Never logged. Empty only when loaded with `store: "none"` or "existing" (see LoadConfigOptions). */
  secret: string;
  /** Milliseconds a write waits for SQLite's lock before giving up. */
  busyTimeoutMs: number;
  limits: Limits;
  otlp: OtlpConfig;
  /** Where the built UI lives; served at `/` when present. */
  uiDir: string;
  jobs: JobsConfig;
  analytics: AnalyticsConfig;
  /** Requests a minute per API key and per signed-in user; past it, 429 with Retry-After. */
  rateLimitPerMinute: number;
  /**
   * How long a resume claim lasts unless the resuming worker renews it; once it lapses the run
   * is resumable again (the worker has died or lost its way to the server).
   */
  resumeLeaseMs: number;
  audit: {
    /** Sign a checkpoint once a project's chain has grown by this many entries (and hourly). */
    checkpointEvery: number;
    /** Append every checkpoint to this JSONL file too, outside the database. Empty: don't. */
    checkpointFile: string;
    /**
     * Where a receiver of `audit.checkpoint` webhooks serves back what it collected (JSON lines),
     * read by every verification beside the checkpoint file. Empty: none.
     */
    anchorUrl: string;
    /** Bearer token for `anchorUrl`. */
    anchorToken: string | undefined;
    /** A chain's tail with no signed checkpoint or anchor for longer than this is reported unanchored. */
    unanchoredAfterMs: number;
  };
  webhooks: {
    /**
     * Addresses, CIDR ranges and host names webhooks may reach although they are loopback,
     * private, link-local or reserved (local development, a receiver inside the network).
     * Empty: public addresses only.
     */
    allow: readonly string[];
  };
  /**
   * Bearer token `GET /metrics` requires. Unset: metrics are open while the server listens on
   * loopback and refused otherwise (routes/metrics.ts).
   */
  metricsToken: string | undefined;
  /** The dashboard's address as people reach it: the links in Slack-format webhooks. */
  publicUrl: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** The configured store does not exist, and the caller only works on one that does. */
export class StoreNotFound extends ConfigError {}

export interface LoadConfigOptions {
  uiDir?: string;
  /**
   * What the caller does with the store. "create" (the server, the demo): the data folder and
   * its secret are made when missing. "existing" (every other command that opens the store):
   * nothing is created, and a missing embedded database is refused, because a mistyped
   * SEAMTRACE_DATA_DIR must not quietly become a second, empty installation; a missing secret
   * leaves `secret` empty (a new one would not match the store's key hashes), for the caller
   * to refuse if it needs one. "none" (a command that opens no store): nothing is created or
   * checked, and `secret` is empty unless SEAMTRACE_SECRET is set. Default "create".
   */
  store?: "create" | "existing" | "none";
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function num(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw.trim());
  if (!/^[0-9.eE+-]+$/.test(raw.trim()) || !Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got "${raw}"`);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function jobsConfig(env: Env): JobsConfig {
  const enabled = (env.SEAMTRACE_JOBS ?? "on").trim().toLowerCase();
  if (!["on", "off", ""].includes(enabled)) throw new ConfigError(`SEAMTRACE_JOBS must be "on" or "off", got "${env.SEAMTRACE_JOBS}"`);
  const schedules = {} as Record<JobName, string | null>;
  for (const job of JOB_NAMES) {
    const name = `SEAMTRACE_JOB_${job.toUpperCase().replace(/-/g, "_")}_SCHEDULE`;
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") schedules[job] = DEFAULT_SCHEDULES[job];
    else if (raw.toLowerCase() === "off") schedules[job] = null;
    else if (!validCron(raw)) throw new ConfigError(`${name} must be a cron expression (e.g. "*/5 * * * *") or "off", got "${raw}"`);
    else schedules[job] = raw;
  }
  return { enabled: enabled !== "off", schedules: Object.freeze(schedules), leaseMs: int(env, "SEAMTRACE_JOB_LEASE_MS", 60_000, 1_000, 3_600_000) };
}

function analyticsConfig(env: Env): AnalyticsConfig {
  const a: AnalyticsConfig = {
    psiWatch: num(env, "SEAMTRACE_DRIFT_PSI_WATCH", 0.1, 0, 100),
    psiAlert: num(env, "SEAMTRACE_DRIFT_PSI_ALERT", 0.25, 0, 100),
    pAlert: num(env, "SEAMTRACE_DRIFT_P_ALERT", 0.01, 0, 1),
    driftCurrentHours: int(env, "SEAMTRACE_DRIFT_CURRENT_HOURS", 24, 1, 24 * 90),
    driftBaselineHours: int(env, "SEAMTRACE_DRIFT_BASELINE_HOURS", 24 * 7, 1, 24 * 366),
    windowHours: int(env, "SEAMTRACE_ANALYTICS_WINDOW_HOURS", 24, 1, 24 * 90),
    recalibrateHours: int(env, "SEAMTRACE_RECALIBRATE_HOURS", 24 * 30, 1, 24 * 366),
  };
  if (a.psiWatch > a.psiAlert) throw new ConfigError(`SEAMTRACE_DRIFT_PSI_WATCH (${a.psiWatch}) must not exceed SEAMTRACE_DRIFT_PSI_ALERT (${a.psiAlert})`);
  return a;
}

/**
 * The built dashboard: the repository's ui/dist when running from a checkout, else the copy an
 * installed @seamtrace/server carries (server/ui, made when the package is packed).
 */
function defaultUiDir(): string {
  const checkout = fileURLToPath(new URL("../../../ui/dist", import.meta.url));
  if (existsSync(join(checkout, "index.html"))) return checkout;
  return fileURLToPath(new URL("../../ui", import.meta.url));
}

/**
 * Reads the environment once, at start. A bad value stops the start with a message naming the
 * variable; nothing else in the server reads `process.env`.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Readonly<Config> {
  const dataDir = resolve(env.SEAMTRACE_DATA_DIR || "./data");
  const databaseUrl = env.DATABASE_URL || `file:${join(dataDir, "seamtrace.db")}`;
  if (!/^(file:|libsql:|https?:|wss?:)/.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with file:, libsql:, http(s): or ws(s):, got "${databaseUrl}"`);
  }
  const storeSource = env.DATABASE_URL ? "DATABASE_URL" : env.SEAMTRACE_DATA_DIR ? "SEAMTRACE_DATA_DIR" : "default";
  const host = env.HOST || "127.0.0.1";
  const config: Config = {
    port: int(env, "PORT", 7077, 0, 65535),
    host,
    dataDir,
    databaseUrl,
    storeSource,
    databaseAuthToken: env.DATABASE_AUTH_TOKEN || undefined,
    secret: env.SEAMTRACE_SECRET || "",
    busyTimeoutMs: int(env, "SEAMTRACE_BUSY_TIMEOUT_MS", 5_000, 0, 600_000),
    limits: {
      maxBatchEvents: int(env, "SEAMTRACE_MAX_BATCH_EVENTS", 1_000, 1, 100_000),
      maxBodyBytes: int(env, "SEAMTRACE_MAX_BODY_BYTES", 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxStringLength: int(env, "SEAMTRACE_MAX_STRING_LENGTH", 1024 * 1024, 16, 64 * 1024 * 1024),
      maxDepth: int(env, "SEAMTRACE_MAX_DEPTH", 32, 2, 1_000),
    },
    otlp: {
      maxBodyBytes: int(env, "SEAMTRACE_OTLP_MAX_BODY_BYTES", 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxItems: int(env, "SEAMTRACE_OTLP_MAX_ITEMS", 20_000, 1, 1_000_000),
      idleCloseMs: int(env, "SEAMTRACE_OTLP_IDLE_CLOSE_MS", 10 * 60_000, 1_000, 7 * 24 * 3_600_000),
    },
    uiDir: options.uiDir ?? resolve(env.SEAMTRACE_UI_DIR || defaultUiDir()),
    jobs: jobsConfig(env),
    analytics: analyticsConfig(env),
    rateLimitPerMinute: int(env, "SEAMTRACE_RATE_LIMIT_PER_MINUTE", 6_000, 1, 10_000_000),
    resumeLeaseMs: int(env, "SEAMTRACE_RESUME_LEASE_MS", 300_000, 1_000, 86_400_000),
    audit: {
      checkpointEvery: int(env, "SEAMTRACE_AUDIT_CHECKPOINT_EVERY", 1_000, 1, 10_000_000),
      checkpointFile: env.SEAMTRACE_AUDIT_CHECKPOINT_FILE ? resolve(env.SEAMTRACE_AUDIT_CHECKPOINT_FILE) : "",
      anchorUrl: httpUrl(env, "SEAMTRACE_AUDIT_ANCHOR_URL"),
      anchorToken: env.SEAMTRACE_AUDIT_ANCHOR_TOKEN || undefined,
      // Past the hourly checkpoint, with room for a slow run.
      unanchoredAfterMs: int(env, "SEAMTRACE_AUDIT_UNANCHORED_AFTER_MINUTES", 90, 1, 7 * 24 * 60) * 60_000,
    },
    webhooks: { allow: webhookAllowList(env) },
    metricsToken: env.SEAMTRACE_METRICS_TOKEN || undefined,
    publicUrl: publicUrl(env.SEAMTRACE_PUBLIC_URL, host, int(env, "PORT", 7077, 0, 65535)),
  };
  if (config.metricsToken !== undefined && config.metricsToken.length < 16) {
    throw new ConfigError("SEAMTRACE_METRICS_TOKEN must be at least 16 characters");
  }
  if (config.secret !== "" && config.secret.length < 32) {
    throw new ConfigError("SEAMTRACE_SECRET must be at least 32 characters");
  }
  const store = options.store ?? "create";
  if (store === "existing") refuseMissingStore(databaseUrl, dataDir, storeSource);
  if (config.secret === "" && store === "create") config.secret = loadOrCreateSecret(dataDir);
  if (config.secret === "" && store === "existing") config.secret = readSecretIfPresent(dataDir);
  return Object.freeze({
    ...config,
    limits: Object.freeze(config.limits),
    otlp: Object.freeze(config.otlp),
    audit: Object.freeze(config.audit),
    jobs: Object.freeze(config.jobs),
    analytics: Object.freeze(config.analytics),
    webhooks: Object.freeze({ allow: Object.freeze([...config.webhooks.allow]) }),
  });
}

function httpUrl(env: Env, name: string): string {
  const raw = env[name]?.trim() ?? "";
  if (raw === "") return "";
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (!url || !/^https?:$/.test(url.protocol)) throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  return url.href;
}

/** SEAMTRACE_WEBHOOK_ALLOW: comma-separated addresses, CIDR ranges (`10.0.0.0/8`) and host names. */
function webhookAllowList(env: Env): string[] {
  const raw = env.SEAMTRACE_WEBHOOK_ALLOW ?? "";
  const entries = raw
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  for (const e of entries) {
    if (parseAllowEntry(e) === null) {
      throw new ConfigError(`SEAMTRACE_WEBHOOK_ALLOW must list addresses, CIDR ranges or host names separated by commas, got "${e}"`);
    }
  }
  return entries;
}

function publicUrl(raw: string | undefined, host: string, port: number): string {
  if (raw === undefined || raw.trim() === "") return `http://${host === "0.0.0.0" || host === "::" ? "localhost" : host}:${port}`;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(`SEAMTRACE_PUBLIC_URL must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(`SEAMTRACE_PUBLIC_URL must be an http(s) URL, got "${raw}"`);
  return url.toString().replace(/\/+$/, "");
}

/** The embedded database file a `file:` URL names; null for a remote store or an in-memory one. */
export function storeFilePath(databaseUrl: string): string | null {
  if (!databaseUrl.startsWith("file:") || databaseUrl === "file::memory:") return null;
  const path = databaseUrl.slice("file:".length).split("?")[0]!;
  return path.startsWith("//") ? fileURLToPath(databaseUrl.split("?")[0]!) : resolve(path);
}

/** Where the store came from, in words, for messages: "SEAMTRACE_DATA_DIR", or the default and how to change it. */
export function describeStoreSource(source: Config["storeSource"]): string {
  return source === "default" ? "SEAMTRACE_DATA_DIR is not set, so ./data in the current folder was used" : `from ${source}`;
}

function refuseMissingStore(databaseUrl: string, dataDir: string, source: Config["storeSource"]): void {
  const file = storeFilePath(databaseUrl);
  if (file === null || existsSync(file)) return;
  const where = source === "DATABASE_URL" ? file : dataDir;
  throw new StoreNotFound(
    `no Seamtrace store at ${where} (${describeStoreSource(source)}). ` +
      `Point ${source === "DATABASE_URL" ? "DATABASE_URL" : "SEAMTRACE_DATA_DIR"} at the store your server uses, or run \`seamtrace serve\` once to create one there.`,
  );
}

/** A store that exists already: its secret is read, never made. Empty when there is none. */
function readSecretIfPresent(dataDir: string): string {
  const path = join(dataDir, "secret");
  return existsSync(path) ? readSecretFile(path) : "";
}

function readSecretFile(path: string): string {
  // Copied in or restored from a backup with looser bits: it keys every API-key hash and the
  // audit signing key, so it is narrowed back to the owner.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const secret = readFileSync(path, "utf8").trim();
  if (secret.length < 32) throw new ConfigError(`${path} holds a secret shorter than 32 characters`);
  return secret;
}

/** First start without SEAMTRACE_SECRET: generate one into the data folder, readable by the owner only. */
function loadOrCreateSecret(dataDir: string): string {
  const path = join(dataDir, "secret");
  if (existsSync(path)) return readSecretFile(path);
  // Owner-only: the folder holds the database (API-key hashes, all payloads) and the secret.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(path, secret + "\n", { mode: 0o600, flag: "wx" });
  return secret;
}
