export { createApp, type AppType } from "./app.js";
export { loadConfig, ConfigError, type Config, type Limits } from "./config.js";
export { openStore, type Store } from "./db/client.js";
export { migrateStore } from "./db/migrate.js";
export { startServer, type RunningServer } from "./main.js";
export type { AppDeps, Logger } from "./deps.js";
