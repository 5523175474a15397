import type { BuildOptions, Metafile } from "esbuild";

export const repoRoot: string;
export const sdkSrc: string;
export const entryPoint: string;
export const SDK_BUILD: BuildOptions;
export function bundleSdk(options?: BuildOptions): Promise<{
  bytes: Uint8Array;
  code: string;
  imports: string[];
  inputs: Metafile["outputs"][string]["inputs"];
}>;
