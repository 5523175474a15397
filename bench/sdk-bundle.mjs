/**
 * How the SDK is bundled to be measured: the entry point from source, as a browser or edge
 * bundler would produce it. One definition for the size report (bench/sdk-size.mjs) and the
 * budget (test/contract/sdk-size.test.ts), so the figure you look at is the figure enforced.
 */
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";

// Paths from this file, not the working directory: `npm run size` runs from sdk/.
export const repoRoot = fileURLToPath(new URL("..", import.meta.url));
export const sdkSrc = fileURLToPath(new URL("../sdk/src/", import.meta.url));
export const entryPoint = `${sdkSrc}index.ts`;

/** @type {import("esbuild").BuildOptions} */
export const SDK_BUILD = {
  absWorkingDir: repoRoot, // paths in the output's comments, so sizes don't vary with cwd
  bundle: true,
  minify: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  // No `external`: anything the SDK imports must either be bundled (and counted) or fail to
  // resolve — a `node:` builtin fails the build outright on the neutral platform.
  write: false,
  metafile: true,
  logLevel: "silent",
};

/**
 * Bundles the SDK entry point (or whatever `options` name instead) with SDK_BUILD.
 * @param {import("esbuild").BuildOptions} [options]
 */
export async function bundleSdk(options = {}) {
  const result = await esbuild.build({ entryPoints: options.stdin ? undefined : [entryPoint], ...SDK_BUILD, ...options });
  const output = result.outputFiles[0];
  const meta = Object.values(result.metafile.outputs)[0];
  return { bytes: output.contents, code: output.text, imports: meta.imports.map((i) => i.path), inputs: meta.inputs };
}
