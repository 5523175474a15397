import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Limits on what a client may send. Defaults follow SPEC §4. */
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

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  databaseAuthToken: string | undefined;
  /** Keys the API-key hashes (and, later, the audit signing key). Never logged. */
  secret: string;
  /** Milliseconds a write waits for SQLite's lock before giving up. */
  busyTimeoutMs: number;
  limits: Limits;
  /** Where the built UI lives; served at `/` when present. */
  uiDir: string;
  /** Requests a minute per API key and per signed-in user; past it, 429 with Retry-After. */
  rateLimitPerMinute: number;
  audit: {
    /** Sign a checkpoint once a project's chain has grown by this many entries (and hourly). */
    checkpointEvery: number;
    /** Append every checkpoint to this JSONL file too, outside the database. Empty: don't. */
    checkpointFile: string;
  };
  /**
   * Bearer token `GET /metrics` requires. Unset: metrics are open while the server listens on
   * loopback and refused otherwise (routes/metrics.ts).
   */
  metricsToken: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
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

/**
 * Reads the environment once, at start. A bad value stops the start with a message naming the
 * variable; nothing else in the server reads `process.env`.
 */
export function loadConfig(env: Env = process.env, options: { uiDir?: string } = {}): Readonly<Config> {
  const dataDir = resolve(env.SEAMTRACE_DATA_DIR || "./data");
  const databaseUrl = env.DATABASE_URL || `file:${join(dataDir, "seamtrace.db")}`;
  if (!/^(file:|libsql:|https?:|wss?:)/.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with file:, libsql:, http(s): or ws(s):, got "${databaseUrl}"`);
  }
  const host = env.HOST || "127.0.0.1";
  const config: Config = {
    port: int(env, "PORT", 7077, 0, 65535),
    host,
    dataDir,
    databaseUrl,
    databaseAuthToken: env.DATABASE_AUTH_TOKEN || undefined,
    secret: env.SEAMTRACE_SECRET || "",
    busyTimeoutMs: int(env, "SEAMTRACE_BUSY_TIMEOUT_MS", 5_000, 0, 600_000),
    limits: {
      maxBatchEvents: int(env, "SEAMTRACE_MAX_BATCH_EVENTS", 1_000, 1, 100_000),
      maxBodyBytes: int(env, "SEAMTRACE_MAX_BODY_BYTES", 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxStringLength: int(env, "SEAMTRACE_MAX_STRING_LENGTH", 1024 * 1024, 16, 64 * 1024 * 1024),
      maxDepth: int(env, "SEAMTRACE_MAX_DEPTH", 32, 2, 1_000),
    },
    uiDir: options.uiDir ?? resolve(env.SEAMTRACE_UI_DIR || new URL("../../ui/dist", import.meta.url).pathname),
    rateLimitPerMinute: int(env, "SEAMTRACE_RATE_LIMIT_PER_MINUTE", 6_000, 1, 10_000_000),
    audit: {
      checkpointEvery: int(env, "SEAMTRACE_AUDIT_CHECKPOINT_EVERY", 1_000, 1, 10_000_000),
      checkpointFile: env.SEAMTRACE_AUDIT_CHECKPOINT_FILE ? resolve(env.SEAMTRACE_AUDIT_CHECKPOINT_FILE) : "",
    },
    metricsToken: env.SEAMTRACE_METRICS_TOKEN || undefined,
  };
  if (config.metricsToken !== undefined && config.metricsToken.length < 16) {
    throw new ConfigError("SEAMTRACE_METRICS_TOKEN must be at least 16 characters");
  }
  if (config.secret !== "" && config.secret.length < 32) {
    throw new ConfigError("SEAMTRACE_SECRET must be at least 32 characters");
  }
  if (config.secret === "") config.secret = loadOrCreateSecret(dataDir);
  return Object.freeze({ ...config, limits: Object.freeze(config.limits), audit: Object.freeze(config.audit) });
}

/** First start without SEAMTRACE_SECRET: generate one into the data folder, readable by the owner only. */
function loadOrCreateSecret(dataDir: string): string {
  const path = join(dataDir, "secret");
  if (existsSync(path)) {
    const secret = readFileSync(path, "utf8").trim();
    if (secret.length < 32) throw new ConfigError(`${path} holds a secret shorter than 32 characters`);
    return secret;
  }
  // Owner-only: the folder holds the database (API-key hashes, all payloads) and the secret.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(path, secret + "\n", { mode: 0o600, flag: "wx" });
  return secret;
}
