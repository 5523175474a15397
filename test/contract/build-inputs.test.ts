/**
 * `npm start` and `npm run build` rebuild only what changed, and `npm install` on the documented
 * Node prints no engine warnings.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error a plain ES module script, without type declarations
import { UI_INPUTS, uiFingerprint } from "../../scripts/build-inputs.mjs";

const exec = promisify(execFile);
const repo = join(import.meta.dirname, "../..");
const copy = mkdtempSync(join(tmpdir(), "seamtrace-build-inputs-"));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe("the UI build's fingerprint", () => {
  for (const path of UI_INPUTS as string[]) cpSync(join(repo, path), join(copy, path), { recursive: true });
  const fingerprint = uiFingerprint as (root: string) => string;

  it("is the same for the same content, whatever the files' times", () => {
    const before = fingerprint(copy);
    const app = join(copy, "ui/src/App.svelte");
    utimesSync(app, new Date(), new Date(Date.now() + 60_000));
    expect(fingerprint(copy)).toBe(before);
    expect(fingerprint(copy)).toBe(fingerprint(repo));
  });

  it("changes when a source, a config or the lockfile changes", () => {
    for (const path of ["ui/src/App.svelte", "ui/vite.config.ts", "package-lock.json"]) {
      const file = join(copy, path);
      const before = fingerprint(copy);
      const original = readFileSync(file);
      writeFileSync(file, Buffer.concat([original, Buffer.from("\n")]));
      expect(fingerprint(copy), path).not.toBe(before);
      writeFileSync(file, original);
      expect(fingerprint(copy), path).toBe(before);
    }
  });
});

describe("the dependencies and the Node version the README documents", () => {
  it("install with no engine warnings on Node 20", async () => {
    const engines = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    expect(engines).toMatch(/^>=20\./);
    // A dry run reads the lockfile and checks every package's engines; it installs nothing.
    const { stdout, stderr } = await exec("npm", ["install", "--dry-run", "--offline", "--no-audit", "--no-fund"], {
      cwd: repo,
      env: { ...process.env, npm_config_engine_strict: "false" },
    });
    const warnings = `${stdout}\n${stderr}`.split("\n").filter((l) => l.includes("EBADENGINE"));
    expect(warnings, warnings.slice(0, 8).join("\n")).toEqual([]);
  }, 300_000);
});
