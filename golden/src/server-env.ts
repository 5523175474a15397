/**
 * The server the command-line tools talk to when no `--server` is given: SEAMTRACE_ENDPOINT,
 * the variable the SDK reads, so one setting serves a workflow and the evaluations of it.
 * SEAMTRACE_URL, which the golden commands read before, still works, with a warning.
 */

/** The environment variable the SDK and the CLIs read the server's URL from. */
export const ENDPOINT_ENV = "SEAMTRACE_ENDPOINT";
/** The variable the golden commands read before; read when SEAMTRACE_ENDPOINT is unset. */
export const DEPRECATED_URL_ENV = "SEAMTRACE_URL";

/**
 * The server's URL from the environment, or undefined when neither variable is set. `warn` is
 * told when only the deprecated SEAMTRACE_URL is set.
 * @example
 * const server = flags.server ?? serverFromEnv(process.env, (m) => process.stderr.write(`warning: ${m}\n`));
 */
export function serverFromEnv(env: Readonly<Record<string, string | undefined>>, warn: (message: string) => void): string | undefined {
  const endpoint = env[ENDPOINT_ENV];
  if (endpoint !== undefined && endpoint !== "") return endpoint;
  const legacy = env[DEPRECATED_URL_ENV];
  if (legacy === undefined || legacy === "") return undefined;
  warn(`${DEPRECATED_URL_ENV} is deprecated and will stop working: set ${ENDPOINT_ENV} instead (the SDK reads it too)`);
  return legacy;
}
