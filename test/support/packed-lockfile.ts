import { readFileSync } from "node:fs";
import { join, relative } from "node:path";

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [k: string]: unknown;
}

export interface PackedPackage {
  name: string;
  version: string;
  tarball: string;
  dependencies: Record<string, string>;
  bin?: Record<string, string>;
}

/**
 * A lockfile for an app that depends on our packed tarballs, taken from the repository's own
 * lockfile: our packages point at their tarballs, every third-party package they need (and what
 * those need, resolved the way Node resolves them) is copied with the version and integrity the
 * repository installs. `npm ci --offline` then installs it from the npm cache that the
 * repository's own `npm ci` filled, without asking a registry for anything.
 */
export function packedAppLockfile(repoRoot: string, appDir: string, packed: PackedPackage[]): object {
  const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const ours = new Map(packed.map((p) => [p.name, p]));
  const out: Record<string, LockEntry> = {
    "": { name: "packed-app", dependencies: Object.fromEntries(packed.map((p) => [p.name, `file:${relative(appDir, p.tarball)}`])) },
  };
  const pending: { from: string; deps: Record<string, string>; optional: Set<string> }[] = [];
  for (const p of packed) {
    out[`node_modules/${p.name}`] = {
      version: p.version,
      resolved: `file:${relative(appDir, p.tarball)}`,
      dependencies: p.dependencies,
      ...(p.bin && { bin: p.bin }),
    };
    pending.push({ from: `node_modules/${p.name}`, deps: p.dependencies, optional: new Set() });
  }
  while (pending.length > 0) {
    const { from, deps, optional } = pending.pop()!;
    for (const name of Object.keys(deps)) {
      if (ours.has(name)) continue;
      // Node's resolution: the nearest node_modules folder up from the dependent.
      let at = from;
      let path: string | undefined;
      for (;;) {
        const candidate = `${at}/node_modules/${name}`;
        if (lock.packages[candidate]) {
          path = candidate;
          break;
        }
        const up = at.lastIndexOf("/node_modules/");
        if (up < 0) break;
        at = at.slice(0, up);
      }
      path ??= lock.packages[`node_modules/${name}`] ? `node_modules/${name}` : undefined;
      if (!path) {
        if (optional.has(name)) continue;
        throw new Error(`${from} needs ${name}, which the repository's lockfile does not hold`);
      }
      if (out[path]) continue;
      const entry = lock.packages[path]!;
      if (entry.link) throw new Error(`${from} needs ${name}, a workspace package that is not packed`);
      out[path] = entry;
      const peersOptional = Object.entries(entry.peerDependenciesMeta ?? {})
        .filter(([, m]) => m.optional)
        .map(([n]) => n);
      pending.push({
        from: path,
        deps: { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies },
        optional: new Set([...Object.keys(entry.optionalDependencies ?? {}), ...peersOptional]),
      });
    }
  }
  return { name: "packed-app", lockfileVersion: 3, requires: true, packages: out };
}
