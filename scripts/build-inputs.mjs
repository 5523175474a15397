// What the UI build reads, hashed by content: the build skips the UI when this is unchanged.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** Paths, relative to the repository root, whose content decides the UI bundle. */
export const UI_INPUTS = ["ui/src", "ui/index.html", "ui/reference.html", "ui/vite.config.ts", "ui/tsconfig.json", "ui/package.json", "package-lock.json"];

function filesUnder(root, path) {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { withFileTypes: true })
    .filter((e) => !e.name.startsWith("."))
    .flatMap((e) => filesUnder(root, relative(root, join(full, e.name))));
}

/** A hash of the UI's inputs by content, so a checkout or a touched file with no change does not rebuild. */
export function uiFingerprint(root) {
  const hash = createHash("sha256");
  for (const file of UI_INPUTS.flatMap((path) => filesUnder(root, path)).sort()) {
    hash
      .update(file)
      .update("\0")
      .update(readFileSync(join(root, file)))
      .update("\0");
  }
  return hash.digest("hex");
}
