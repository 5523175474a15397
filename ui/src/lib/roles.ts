import type { Role } from "./types.js";

/**
 * Whether `role` may do what `allowed` names. A lead is a reviewer who also adjudicates
 * disputes, so every place open to reviewers is open to leads, as on the server.
 */
export function roleAllows(role: Role, allowed: readonly Role[]): boolean {
  return allowed.includes(role) || (role === "lead" && allowed.includes("reviewer"));
}
