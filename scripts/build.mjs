#!/usr/bin/env node
// `npm run build` / `npm start`: builds only what changed since the last build.
// The TypeScript packages use `tsc -b`, which is incremental by itself. The UI build
// (svelte-check + vite) takes most of a full build and has no such memory, so it is skipped
// when a fingerprint of everything it reads (its sources, configs and the lockfile) matches
// the one written beside its last output. `--force` (or SEAMTRACE_BUILD_FORCE=1) rebuilds all.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { uiFingerprint } from "./build-inputs.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const force = process.argv.includes("--force") || process.env.SEAMTRACE_BUILD_FORCE === "1";
const stampFile = join(root, "ui/dist/.build-inputs");

function run(command, args) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  if (result.status !== 0) process.exit(result.status ?? 1);
  return Date.now() - started;
}

const tscMs = run("npx", ["tsc", "-b"]);
const fingerprint = uiFingerprint(root);
const built = existsSync(join(root, "ui/dist/index.html")) && existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : "";
if (!force && built === fingerprint) {
  console.log(`build: TypeScript up to date in ${(tscMs / 1000).toFixed(1)} s; UI unchanged since its last build (npm run build -- --force rebuilds it)`);
} else {
  run("npm", ["run", "build", "-w", "@seamtrace/ui"]);
  writeFileSync(stampFile, fingerprint + "\n");
}
