export { createApp, type AppType } from "./app/app.js";
export { loadConfig, ConfigError, type Config, type Limits } from "./app/config.js";
export { openStore, type Store } from "./platform/db/client.js";
export { migrateStore } from "./app/migrate.js";
export { startServer, type RunningServer } from "./app/main.js";
export type { AppDeps } from "./app/deps.js";
export type { Logger } from "./app/logger.js";
