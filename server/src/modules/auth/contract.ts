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

/** At most this many people per lookup: a page of audit entries or a queue names fewer. */
export const MAX_PEOPLE = 100;

/**
 * `GET /v1/people?ids=…`: comma-separated user ids, bare or as audit actors (`user:<id>`).
 * Other actors (`sdk:…`, `system:…`) are not people and are dropped, not refused, so a client
 * can pass every actor it shows.
 */
export const peopleQuery = z.object({
  ids: z
    .string()
    .max(MAX_PEOPLE * 80)
    .transform((s) => [
      ...new Set(
        s
          .split(",")
          .map((x) => x.trim())
          .filter((x) => x !== "" && !/^(sdk|system|key):/.test(x))
          .map((x) => x.replace(/^user:/, "")),
      ),
    ])
    .pipe(z.array(z.string().min(1).max(64)).max(MAX_PEOPLE, `at most ${MAX_PEOPLE} people per lookup`)),
});

/** A colleague as the dashboard names them: by email, never their role or credentials. */
export interface PersonView {
  id: string;
  email: string;
  name: string;
}

export interface PeopleResponse {
  items: PersonView[];
}
