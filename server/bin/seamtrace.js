#!/usr/bin/env node
// The `seamtrace` command. A committed file, so npm can link it at install time, before the
// TypeScript is built; the CLI itself is server/dist/cli/index.js (`npm run build`, or `npm start`).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli/index.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("seamtrace is not built yet: run `npm run build` (npm start builds it too) in the repository.\n");
  process.exit(1);
}
const { main } = await import(cli.href);
const code = await main(process.argv);
// `serve` keeps running through its server; every other command ends here.
if (code !== 0 || process.argv[2] !== "serve") process.exitCode = code;
