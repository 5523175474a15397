import { z } from "zod";
import type { Role } from "../../app/deps.js";

/** Wire contracts of the sign-in API (`routes/auth.ts`). */

export const ROLES = ["admin", "lead", "reviewer", "analyst"] as const satisfies readonly Role[];

// Bounds keep a hostile body from reaching scrypt or SQL as a megabyte string; 1024 matches
// the longest password `passwordProblem` lets anyone set, 320 is the longest valid address.
export const loginBody = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
});

/** A signed-in user as the API shows them: never the password hash. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
  projectId: string;
}

export interface UserResponse {
  user: UserView;
}
