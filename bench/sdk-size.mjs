/**
 * `npm run size -w @seamtrace/sdk` (or `node bench/sdk-size.mjs` from anywhere): what the SDK
 * costs the apps that ship it — the entry point bundled from source, raw, minified, and
 * minified + gzip, plus the modules that weigh most. The budget itself is enforced by
 * test/contract/sdk-size.test.ts; this script is for looking before you change it.
 */
import { gzipSync } from "node:zlib";
import { bundleSdk, entryPoint, repoRoot } from "./sdk-bundle.mjs";

const raw = await bundleSdk({ minify: false });
const min = await bundleSdk();
const gzip = gzipSync(min.bytes, { level: 9 }).byteLength;

const kib = (n) => `${(n / 1024).toFixed(2)} KiB`;
const row = (label, n) => console.log(`${label.padEnd(20)}${String(n).padStart(8)} B  ${kib(n).padStart(10)}`);

console.log(`@seamtrace/sdk  ${entryPoint.slice(repoRoot.length)}`);
row("raw (bundled)", raw.bytes.byteLength);
row("minified", min.bytes.byteLength);
row("minified + gzip", gzip);
if (min.imports.length > 0) {
  console.log(`\nWARNING: the bundle imports ${min.imports.join(", ")}; the SDK must import nothing`);
  process.exitCode = 1;
}

const otel = await bundleSdk({ entryPoints: [entryPoint.replace(/index\.ts$/, "otel.ts")], external: ["@opentelemetry/api"] });
row("otel entry (gz)", gzipSync(otel.bytes, { level: 9 }).byteLength);
for (const [name, framework] of [
  ["ai", "ai"],
  ["langgraph", "@langchain/langgraph"],
  ["openai-agents", "@openai/agents"],
]) {
  const adapter = await bundleSdk({ entryPoints: [entryPoint.replace(/index\.ts$/, `adapters/${name}/index.ts`)], external: [framework] });
  row(`${name} (gz)`, gzipSync(adapter.bytes, { level: 9 }).byteLength);
}

console.log("\nlargest modules (minified bytes):");
const inputs = Object.entries(min.inputs).sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput);
for (const [path, { bytesInOutput }] of inputs.slice(0, 8)) console.log(`  ${String(bytesInOutput).padStart(6)}  ${path}`);
