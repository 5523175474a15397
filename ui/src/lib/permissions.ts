import type { Role } from "./types.js";

/**
 * Which roles the dashboard offers each gated action to. The server decides; this only keeps
 * the UI from showing a button that would answer 403. `test/contract/role-matrix.test.ts` checks
 * every entry against the server's answer for the route behind it.
 */
export const PERMISSIONS = {
  /** `POST /v1/audit/verifications`: the Audit page's Verify button. */
  verifyAudit: ["admin", "analyst"],
  /** `POST /v1/escalations/:id/decision`. */
  decide: ["admin", "reviewer"],
  /** `POST /v1/thresholds/changes/:id/revert`. */
  revertThreshold: ["admin"],
} as const satisfies Record<string, readonly Role[]>;
