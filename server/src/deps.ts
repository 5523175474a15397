import type { Config } from "./config.js";
import type { Store } from "./db/client.js";
import type { Projector } from "./projector.js";
import type { KeyPrincipal } from "./store/keys.js";

/** Where the server writes its own diagnostics. Passed in so tests can capture it. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything the routes need, passed in (CONVENTIONS habit 10) rather than imported. */
export interface AppDeps {
  config: Readonly<Config>;
  store: Store;
  now: () => number;
  log: Logger;
  /** Folds the event log into runs and steps; readers `sync()` before reading them. */
  projector: Projector;
}

/** Hono context variables set by middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    principal: KeyPrincipal;
  };
}

export const jsonLogger: Logger = {
  info: (message, fields) => process.stdout.write(JSON.stringify({ level: "info", time: new Date().toISOString(), message, ...fields }) + "\n"),
  error: (message, fields) => process.stderr.write(JSON.stringify({ level: "error", time: new Date().toISOString(), message, ...fields }) + "\n"),
};

export const silentLogger: Logger = { info: () => {}, error: () => {} };
