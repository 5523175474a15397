import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, StoreNotFound } from "./config.js";

const SECRET = "s".repeat(40);
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-config-"));
  dirs.push(dir);
  return dir;
}

/** The error `fn` throws; fails the test if it throws nothing. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

describe("loadConfig", () => {
  it("defaults to port 7077 and a libSQL file in the data folder", () => {
    const dataDir = tempDir();
    const config = loadConfig({ SEAMTRACE_DATA_DIR: dataDir, SEAMTRACE_SECRET: SECRET });
    expect(config).toMatchObject({
      port: 7077,
      host: "127.0.0.1",
      dataDir,
      databaseUrl: `file:${join(dataDir, "seamtrace.db")}`,
      databaseAuthToken: undefined,
      secret: SECRET,
      busyTimeoutMs: 5000,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
  });

  it("defaults the data folder to ./data", () => {
    const config = loadConfig({ SEAMTRACE_SECRET: SECRET });
    expect(config.dataDir).toBe(resolve("data"));
    expect(config.databaseUrl).toBe(`file:${join(resolve("data"), "seamtrace.db")}`);
  });

  it("takes PORT and a remote DATABASE_URL from the environment", () => {
    const config = loadConfig({
      SEAMTRACE_DATA_DIR: tempDir(),
      SEAMTRACE_SECRET: SECRET,
      PORT: "8080",
      DATABASE_URL: "libsql://db.example.com",
      DATABASE_AUTH_TOKEN: "tok",
    });
    expect(config).toMatchObject({ port: 8080, databaseUrl: "libsql://db.example.com", databaseAuthToken: "tok" });
  });

  it("takes the resume lease from SEAMTRACE_RESUME_LEASE_MS, 5 minutes by default", () => {
    expect(loadConfig({ SEAMTRACE_DATA_DIR: tempDir(), SEAMTRACE_SECRET: SECRET }).resumeLeaseMs).toBe(300_000);
    expect(loadConfig({ SEAMTRACE_DATA_DIR: tempDir(), SEAMTRACE_SECRET: SECRET, SEAMTRACE_RESUME_LEASE_MS: "90000" }).resumeLeaseMs).toBe(90_000);
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ["PORT that is not a number", { PORT: "http" }, /^PORT\b/],
    ["PORT with a fraction", { PORT: "80.5" }, /^PORT\b/],
    ["negative PORT", { PORT: "-1" }, /^PORT\b/],
    ["PORT above 65535", { PORT: "65536" }, /^PORT\b/],
    ["DATABASE_URL with an unsupported scheme", { DATABASE_URL: "postgres://localhost/seamtrace" }, /^DATABASE_URL\b/],
    ["DATABASE_URL that is a bare path", { DATABASE_URL: "./seamtrace.db" }, /^DATABASE_URL\b/],
    ["SEAMTRACE_SECRET shorter than 32 characters", { SEAMTRACE_SECRET: "too-short-secret" }, /^SEAMTRACE_SECRET\b/],
    ["SEAMTRACE_METRICS_TOKEN shorter than 16 characters", { SEAMTRACE_METRICS_TOKEN: "short" }, /^SEAMTRACE_METRICS_TOKEN\b/],
    ["SEAMTRACE_WEBHOOK_ALLOW entry that is no address, range or host", { SEAMTRACE_WEBHOOK_ALLOW: "127.0.0.1, 10.0.0.0/40" }, /^SEAMTRACE_WEBHOOK_ALLOW\b/],
    ["SEAMTRACE_OTLP_IDLE_CLOSE_MS that is not a number", { SEAMTRACE_OTLP_IDLE_CLOSE_MS: "10m" }, /^SEAMTRACE_OTLP_IDLE_CLOSE_MS\b/],
    ["SEAMTRACE_OTLP_IDLE_CLOSE_MS under a second", { SEAMTRACE_OTLP_IDLE_CLOSE_MS: "10" }, /^SEAMTRACE_OTLP_IDLE_CLOSE_MS\b/],
    ["SEAMTRACE_OTLP_MAX_BODY_BYTES under 1 KiB", { SEAMTRACE_OTLP_MAX_BODY_BYTES: "100" }, /^SEAMTRACE_OTLP_MAX_BODY_BYTES\b/],
    ["SEAMTRACE_OTLP_MAX_ITEMS of zero", { SEAMTRACE_OTLP_MAX_ITEMS: "0" }, /^SEAMTRACE_OTLP_MAX_ITEMS\b/],
    ["SEAMTRACE_RESUME_LEASE_MS below a second", { SEAMTRACE_RESUME_LEASE_MS: "500" }, /^SEAMTRACE_RESUME_LEASE_MS\b/],
    ["SEAMTRACE_RESUME_LEASE_MS that is not a number", { SEAMTRACE_RESUME_LEASE_MS: "5m" }, /^SEAMTRACE_RESUME_LEASE_MS\b/],
  ];
  for (const [what, env, names] of bad) {
    it(`throws a ConfigError naming the variable for a ${what}`, () => {
      const err = thrown(() => loadConfig({ SEAMTRACE_DATA_DIR: tempDir(), SEAMTRACE_SECRET: SECRET, ...env }));
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toMatch(names);
    });
  }

  it("limits OTLP apart from /v1/events: 20 MiB and a 10-minute idle close by default", () => {
    const config = loadConfig({ SEAMTRACE_DATA_DIR: tempDir(), SEAMTRACE_SECRET: SECRET });
    expect(config.otlp).toEqual({ maxBodyBytes: 20 * 1024 * 1024, maxItems: 20_000, idleCloseMs: 600_000 });
    expect(config.limits.maxBodyBytes).toBe(5 * 1024 * 1024);
    expect(loadConfig({ SEAMTRACE_DATA_DIR: tempDir(), SEAMTRACE_SECRET: SECRET, SEAMTRACE_OTLP_IDLE_CLOSE_MS: "30000" }).otlp.idleCloseMs).toBe(30_000);
  });

  it("does not echo a rejected secret into the error", () => {
    const err = thrown(() => loadConfig({ SEAMTRACE_DATA_DIR: tempDir(), SEAMTRACE_SECRET: "hunter2-but-longer" }));
    expect((err as Error).message).not.toContain("hunter2");
  });

  it("generates a secret into <dataDir>/secret, owner-only, and reuses it on the next start", () => {
    const dataDir = join(tempDir(), "not-yet-created");
    const first = loadConfig({ SEAMTRACE_DATA_DIR: dataDir });
    const path = join(dataDir, "secret");

    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path, "utf8").trim()).toBe(first.secret);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    // Restored from a backup with looser bits: narrowed back to the owner on the next start.
    chmodSync(path, 0o644);
    const second = loadConfig({ SEAMTRACE_DATA_DIR: dataDir });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(second.secret).toBe(first.secret);
    // A different data folder is a different installation: a different secret.
    expect(loadConfig({ SEAMTRACE_DATA_DIR: tempDir() }).secret).not.toBe(first.secret);
  });

  it("refuses a secret file that holds too short a secret", () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "secret"), "short\n", { mode: 0o600 });
    const err = thrown(() => loadConfig({ SEAMTRACE_DATA_DIR: dataDir }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(join(dataDir, "secret"));
  });
});

describe("loadConfig: jobs and analytics", () => {
  const base = () => ({ SEAMTRACE_DATA_DIR: tempDir(), SEAMTRACE_SECRET: SECRET });

  it("schedules every job by default and lets each be changed or switched off by name", () => {
    const config = loadConfig({ ...base(), SEAMTRACE_JOB_AUTO_TIGHTEN_SCHEDULE: "0 */2 * * *", SEAMTRACE_JOB_RECALIBRATE_SCHEDULE: "off" });
    expect(config.jobs.enabled).toBe(true);
    expect(config.jobs.schedules.rollup).toBe("*/5 * * * *");
    expect(config.jobs.schedules["auto-tighten"]).toBe("0 */2 * * *");
    expect(config.jobs.schedules.recalibrate).toBeNull();
    expect(loadConfig({ ...base(), SEAMTRACE_JOBS: "off" }).jobs.enabled).toBe(false);
  });

  it("refuses a schedule that is not a cron expression, naming the variable", () => {
    const err = thrown(() => loadConfig({ ...base(), SEAMTRACE_JOB_DRIFT_SCHEDULE: "hourly" }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/SEAMTRACE_JOB_DRIFT_SCHEDULE/);
  });

  it("defaults the drift cut-offs to PSI 0.1 / 0.25 and p < 0.01, and refuses a watch level above the alert level", () => {
    expect(loadConfig(base()).analytics).toMatchObject({ psiWatch: 0.1, psiAlert: 0.25, pAlert: 0.01 });
    const err = thrown(() => loadConfig({ ...base(), SEAMTRACE_DRIFT_PSI_WATCH: "0.3" }));
    expect((err as Error).message).toMatch(/SEAMTRACE_DRIFT_PSI_WATCH/);
    expect((thrown(() => loadConfig({ ...base(), SEAMTRACE_DRIFT_P_ALERT: "0.5x" })) as Error).message).toMatch(/SEAMTRACE_DRIFT_P_ALERT/);
  });
});

describe("loadConfig: a store that must exist already", () => {
  it("creates nothing and refuses a missing embedded store, naming the folder and the variable that chose it", () => {
    const dataDir = join(tempDir(), "mistyped");
    const err = thrown(() => loadConfig({ SEAMTRACE_DATA_DIR: dataDir }, { store: "existing" }));
    expect(err).toBeInstanceOf(StoreNotFound);
    expect((err as Error).message).toContain(`no Seamtrace store at ${dataDir} (from SEAMTRACE_DATA_DIR)`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("reads the secret of an existing store, never makes one, and says which setting chose the store", () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "seamtrace.db"), "");
    expect(loadConfig({ SEAMTRACE_DATA_DIR: dataDir }, { store: "existing" })).toMatchObject({ secret: "", storeSource: "SEAMTRACE_DATA_DIR" });
    expect(existsSync(join(dataDir, "secret"))).toBe(false);
    writeFileSync(join(dataDir, "secret"), SECRET + "\n");
    expect(loadConfig({ SEAMTRACE_DATA_DIR: dataDir }, { store: "existing" }).secret).toBe(SECRET);
    expect(loadConfig({ SEAMTRACE_DATA_DIR: dataDir, DATABASE_URL: "libsql://db.example.com" }, { store: "existing" }).storeSource).toBe("DATABASE_URL");
  });

  it('with store "none", creates no folder and no secret', () => {
    const dataDir = join(tempDir(), "unused");
    expect(loadConfig({ SEAMTRACE_DATA_DIR: dataDir }, { store: "none" }).secret).toBe("");
    expect(existsSync(dataDir)).toBe(false);
  });
});
