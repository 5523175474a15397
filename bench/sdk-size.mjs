/**
 * `npm run size -w @seamtrace/sdk` (or `node bench/sdk-size.mjs` from anywhere): what the SDK
 * costs the apps that ship it — the entry point bundled from source, raw, minified, and
 * minified + gzip, plus the modules that weigh most. The budget itself is enforced by
 * test/contract/sdk-size.test.ts; this script is for looking before you change it.
 */
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

// Paths from this file, not the working directory: `npm run size` runs it from sdk/.
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const entryPoint = fileURLToPath(new URL("../sdk/src/index.ts", import.meta.url));

/** The same settings as the size test: what a browser or edge bundler would produce. */
async function bundle(minify) {
  const result = await esbuild.build({
    entryPoints: [entryPoint],
    absWorkingDir: repoRoot, // paths in the unminified output's comments, so sizes don't vary with cwd
    bundle: true,
    minify,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  return { bytes: output.contents, meta: Object.values(result.metafile.outputs)[0] };
}

const raw = await bundle(false);
const min = await bundle(true);
const gzip = gzipSync(min.bytes, { level: 9 }).byteLength;

const kib = (n) => `${(n / 1024).toFixed(2)} KiB`;
const row = (label, n) => console.log(`${label.padEnd(16)}${String(n).padStart(8)} B  ${kib(n).padStart(10)}`);

console.log(`@seamtrace/sdk  ${entryPoint.slice(repoRoot.length)}`);
row("raw (bundled)", raw.bytes.byteLength);
row("minified", min.bytes.byteLength);
row("minified + gzip", gzip);
if (min.meta.imports.length > 0) {
  console.log(`\nWARNING: the bundle imports ${min.meta.imports.map((i) => i.path).join(", ")}; the SDK must import nothing`);
  process.exitCode = 1;
}

console.log("\nlargest modules (minified bytes):");
const inputs = Object.entries(min.meta.inputs).sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput);
for (const [path, { bytesInOutput }] of inputs.slice(0, 8)) console.log(`  ${String(bytesInOutput).padStart(6)}  ${path}`);
