import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { packedAppLockfile, type PackedPackage } from "./packed-lockfile.js";
import { repoRoot } from "./server.js";

const exec = promisify(execFile);

export interface PackedApp {
  /** The temporary folder holding `packs/` and `app/`. */
  dir: string;
  /** An empty app folder with the packages installed, as a user's project would have them. */
  app: string;
  tarballs: string[];
}

/**
 * Packs the workspace packages with `npm pack` and installs the tarballs into an empty folder,
 * offline: `npm ci --offline` on a lockfile cut from the repository's (packed-lockfile.ts), so
 * third-party packages come from the npm cache the repository's own `npm ci` filled and nothing
 * asks a registry. Needs a build (`npm test` builds first).
 */
export async function installPackedApp(packages: string[]): Promise<PackedApp> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-packed-"));
  const packs = join(dir, "packs");
  mkdirSync(packs);
  await exec("npm", ["pack", ...packages.flatMap((p) => ["-w", p]), "--pack-destination", packs, "--silent"], { cwd: repoRoot });
  const tarballs = readdirSync(packs).map((f) => join(packs, f));
  const packed: PackedPackage[] = [];
  for (const tarball of tarballs) {
    const { stdout } = await exec("tar", ["-xzOf", tarball, "package/package.json"]);
    const pkg = JSON.parse(stdout) as Omit<PackedPackage, "tarball">;
    packed.push({ name: pkg.name, version: pkg.version, tarball, dependencies: pkg.dependencies ?? {}, ...(pkg.bin && { bin: pkg.bin }) });
  }
  const app = join(dir, "app");
  mkdirSync(app);
  const dependencies = Object.fromEntries(packed.map((p) => [p.name, `file:${relative(app, p.tarball)}`]));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "packed-app", private: true, type: "module", dependencies }));
  writeFileSync(join(app, "package-lock.json"), JSON.stringify(packedAppLockfile(repoRoot, app, packed)));
  await exec("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: app, maxBuffer: 16 * 1024 * 1024 });
  return { dir, app, tarballs };
}
