/**
 * Errors that mean "cannot write right now" rather than "this data is wrong": lock held past the
 * busy timeout, disk full, I/O failure, or the connection to a remote store lost. Nothing of the
 * transaction was kept, so the client may retry.
 */

const TRANSIENT_PREFIXES = [
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_FULL",
  "SQLITE_IOERR",
  "SQLITE_CANTOPEN",
  "SQLITE_NOMEM",
  "SQLITE_PROTOCOL",
  "SQLITE_READONLY",
  "HRANA_WEBSOCKET_ERROR",
  "HRANA_CLOSED_ERROR",
  "SERVER_ERROR",
  "CLIENT_CLOSED",
  "TRANSACTION_ACTIVE",
];

/**
 * The driver's codes on an error and on its causes. drizzle wraps the libSQL error in a
 * DrizzleQueryError ("Failed query: …") whose `cause` is the original, so a few links are followed.
 */
export function* errorCodes(err: unknown): Generator<string> {
  let e = err as { code?: unknown; extendedCode?: unknown; cause?: unknown } | null | undefined;
  for (let depth = 0; depth < 5 && typeof e === "object" && e !== null; depth++) {
    for (const c of [e.code, e.extendedCode]) if (typeof c === "string") yield c;
    e = e.cause as typeof e;
  }
}

export function isTransientStoreError(err: unknown): boolean {
  for (const c of errorCodes(err)) if (TRANSIENT_PREFIXES.some((p) => c.startsWith(p))) return true;
  return false;
}

/** The store's disk (or its quota) is full: SQLITE_FULL anywhere in the chain of causes. */
export function isStorageFullError(err: unknown): boolean {
  for (const c of errorCodes(err)) if (c.startsWith("SQLITE_FULL")) return true;
  return false;
}
