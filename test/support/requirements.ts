import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

/**
 * Suites that need something a developer's machine may lack (root for a tmpfs mount, Debian's
 * Chromium) skip with the reason outside CI, so `npm test` works on a laptop. In CI (`CI` set, as
 * `.ci/run` does) they never skip: a missing requirement fails the run instead of hiding a suite.
 */
const inCi = Boolean(process.env.CI);

export const CHROMIUM = process.env.SEAMTRACE_CHROMIUM ?? "/usr/bin/chromium";

function chromiumMissing(): string | undefined {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return undefined;
  } catch {
    return `no Chromium at ${CHROMIUM} (install Debian's chromium, or set SEAMTRACE_CHROMIUM)`;
  }
}

function rootMissing(): string | undefined {
  if (process.getuid?.() === 0) return undefined;
  try {
    // CAP_SYS_ADMIN without uid 0 (a container) is as good for mounting a tmpfs.
    execFileSync("capsh", ["--has-p=cap_sys_admin"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "needs root (or CAP_SYS_ADMIN) to mount a small tmpfs";
  }
}

/** Why a suite cannot run here, or undefined when it can (always undefined in CI). */
export function unmet(...needs: ("root" | "chromium")[]): string | undefined {
  if (inCi) return undefined;
  for (const need of needs) {
    const why = need === "root" ? rootMissing() : chromiumMissing();
    if (why) return why;
  }
  return undefined;
}

/** A suite's name, saying why it was skipped when it was. */
export function suiteName(name: string, skipReason: string | undefined): string {
  return skipReason ? `${name} (skipped: ${skipReason})` : name;
}
