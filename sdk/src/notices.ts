/**
 * Telling the developer: telemetry never throws into user code, but a wrong key, a dead
 * collector or lost events must not pass unnoticed either. Each cause is told once, as one line
 * to the logger (the console unless redirected or silenced) and to the `onError` hook.
 */

/**
 * Where the SDK's one-line notices go. `console` is one; so is any logger with a `warn` method
 * (pino, winston, a test's array).
 * @example
 * new Seamtrace({ logger: { warn: (line) => myLog.warn(line) } }); // or logger: false for silence
 */
export interface Logger {
  warn(message: string): void;
}

/** What a notice is about. */
export type NoticeCode = "auth_failed" | "unreachable" | "recovered" | "dropped" | "rejected" | "not_configured";

/**
 * The error `onError` receives once per cause, alongside the line written to the logger (its
 * message, without the `[seamtrace]` prefix). `onError` still gets every individual transport
 * error as well; `code` tells the two apart.
 * @example
 * new Seamtrace({ onError: (err) => { if (err instanceof SeamtraceNotice && err.code === "auth_failed") alertOps(err.message); } });
 */
export class SeamtraceNotice extends Error {
  override readonly name = "SeamtraceNotice";
  constructor(
    readonly code: NoticeCode,
    message: string,
  ) {
    super(message);
  }
}

/** @internal One per client, shared by its transport, policy client and resumer. */
export class Notices {
  private readonly told = new Set<string>();

  constructor(
    /** `undefined`: the console; `false`: silent. */
    private readonly logger: Logger | false | undefined,
    private readonly onError: ((err: unknown) => void) | undefined,
    /** The collector's base URL, named in the messages. */
    readonly endpoint: string,
    private readonly hasKey: boolean,
  ) {}

  /** Tells `message` unless `key` has been told already (no key: always). Never throws. */
  tell(key: string | undefined, code: NoticeCode, message: string): void {
    if (key !== undefined) {
      if (this.told.has(key)) return;
      this.told.add(key);
    }
    try {
      const logger = this.logger ?? globalThis.console;
      if (logger) logger.warn(`[seamtrace] ${message}`);
    } catch {
      // a logger that throws must not break the host
    }
    try {
      this.onError?.(new SeamtraceNotice(code, message));
    } catch {
      // nor an onError hook
    }
  }

  /** Whether `key` has been told (and not forgotten since). */
  has(key: string): boolean {
    return this.told.has(key);
  }

  /** The cause went away: it will be told again if it comes back. */
  forget(key: string): void {
    this.told.delete(key);
  }

  /** A 401 or 403 from the collector, on any of the SDK's calls. */
  authFailed(status: number, detail: string): void {
    this.tell(
      "auth",
      "auth_failed",
      (this.hasKey ? `the collector at ${this.endpoint} refused the API key` : `no API key is set, and the collector at ${this.endpoint} requires one`) +
        ` (${status}${detail}): nothing is being stored. Set SEAMTRACE_API_KEY, or the apiKey option, to a key of the project.`,
    );
  }
}

/** An error made by {@link httpError}. */
type HttpError = Error & { status: number; detail: string };

/** Tells a refused key, when `err` is an HTTP error answered 401 or 403. */
export function tellIfRefused(notices: Notices, err: unknown): void {
  const e = err as Partial<HttpError> | null;
  if (e?.status === 401 || e?.status === 403) notices.authFailed(e.status, e.detail ?? "");
}

/**
 * An error for an HTTP answer, carrying its status (and the `: code: message` of its error
 * envelope) so the client can spot a refused key.
 */
export function httpError(message: string, status: number, detail: string): Error {
  return Object.assign(new Error(message + detail), { status, detail });
}
