// `npm pack` / `npm publish` of @seamtrace/server: the dashboard ships inside the package, so an
// installed server serves it without the repository's ui/ workspace.
import { cpSync, existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const from = fileURLToPath(new URL("../../ui/dist", import.meta.url));
const to = fileURLToPath(new URL("../ui", import.meta.url));
if (!existsSync(`${from}/index.html`)) {
  process.stderr.write(`no built dashboard at ${from}: run \`npm run build\` at the repository root first\n`);
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
// The build's fingerprint of its inputs (a dotfile) is the repository's business, not the package's.
cpSync(from, to, { recursive: true, filter: (source) => !source.endsWith("/.build-inputs") });
