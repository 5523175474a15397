import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

// `npm run test:reliability [-- <name>]`: only the reliability suites, in their full form, so a
// name such as `scale` picks one of them (a second path filter would widen the run instead).
export default mergeConfig({ ...base, test: { ...base.test, projects: undefined } }, defineConfig({ test: { include: ["test/reliability/**/*.test.ts"] } }));
