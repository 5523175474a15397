import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The dependency rules docs/architecture.md describes, checked on the import statements of every
// shipped source file (tests may reach across, to build what they check).
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|svelte)$/.test(e.name) && !/\.test\.ts$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** Every import specifier of a file, resolved to a repository path when relative. */
function imports(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map(
    (m) => (m[1] ?? m[2])!,
  );
  return specs.map((s) => (s.startsWith(".") ? relative(root, resolve(dirname(join(root, file)), s)) : s));
}

function violations(files: string[], allowed: (target: string, file: string) => boolean): string[] {
  return files.flatMap((f) =>
    imports(f)
      .filter((t) => !allowed(t, f))
      .map((t) => `${f} -> ${t}`),
  );
}

describe("layering", () => {
  it("platform/ imports nothing from the composition root, the domains or the CLI", () => {
    const bad = violations(sources("server/src/platform"), (t) => !/^server\/src\/(app|modules|cli)\//.test(t));
    expect(bad).toEqual([]);
  });

  it("a domain module takes from app/ only the deps, config and logger types", () => {
    const bad = violations(sources("server/src/modules"), (t) => !t.startsWith("server/src/app/") || /^server\/src\/app\/(deps|config|logger)\.js$/.test(t));
    expect(bad).toEqual([]);
  });

  it("no shipped server file imports the CLI, test support or tests", () => {
    const files = [...sources("server/src/app"), ...sources("server/src/platform"), ...sources("server/src/modules")];
    const bad = violations(files, (t) => !/^server\/src\/cli\/|^server\/test-support\/|^test\/|\.test\.js$/.test(t));
    expect(bad).toEqual([]);
  });

  it("nothing imports from the UI, and the UI imports nothing from the server", () => {
    const outside = [...sources("server/src"), ...sources("sdk/src"), ...sources("golden/src")];
    expect(violations(outside, (t) => !t.startsWith("ui/"))).toEqual([]);
    expect(violations(sources("ui/src"), (t) => !t.startsWith("server/"))).toEqual([]);
  });

  it("the SDK imports only itself, the runtime's built-ins and its optional peer dependencies", () => {
    const pkg = JSON.parse(readFileSync(join(root, "sdk/package.json"), "utf8")) as { peerDependencies?: Record<string, string> };
    const peers = Object.keys(pkg.peerDependencies ?? {});
    const bad = violations(sources("sdk/src"), (t) => t.startsWith("sdk/src/") || t.startsWith("node:") || peers.some((p) => t === p || t.startsWith(`${p}/`)));
    expect(bad).toEqual([]);
  });
});
