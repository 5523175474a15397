/** Exit codes of every command: 0 ok, 1 a check failed (or nothing matched), 2 usage or configuration. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A check failed, or what was asked for does not exist (exit 1). */
export class CliFailure extends Error {}

/** A mistake in how the command was called (exit 2), found after commander's own checks. */
export class CliUsage extends Error {}
