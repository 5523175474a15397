// Starts a server with the dashboard's demo data and keeps it running, for looking at the UI by
// hand: `npm run build && node --import tsx test/support/dashboard-demo.ts` (Ctrl-C stops it).
import { SEED_SERVER_ENV, seedDashboard, SEED_PASSWORD, SEED_USERS } from "./dashboard-seed.js";
import { spawnServer } from "./server.js";

const server = await spawnServer({ env: { SEAMTRACE_JOBS: "off", ...SEED_SERVER_ENV } });
const seeded = await seedDashboard(server);
console.log(JSON.stringify({ url: server.url, users: SEED_USERS, password: SEED_PASSWORD, ...seeded }, null, 2));
process.on("SIGINT", () => void server.dispose().then(() => process.exit(0)));
process.on("SIGTERM", () => void server.dispose().then(() => process.exit(0)));
