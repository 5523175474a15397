import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../deps.js";

// Being written this session (issue 3); mounted in app.ts so route groups land without edits there.
export function escalationsRoutes(_deps: AppDeps) {
  return new Hono<AppEnv>();
}
