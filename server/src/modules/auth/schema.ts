import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Tenancy and identity: projects, their API keys, users and sessions.
// Times are integer Unix milliseconds: compact, sortable, and cheap to compare in range scans.
// JSON payloads are stored as text written by the store layer (one JSON.stringify per value).

/** A tenant. Nothing crosses projects: every other table carries `project_id` in its key. */
export const projects = sqliteTable("projects", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  createdAt: integer("created_at").notNull(),
});

/**
 * Each project's key in this store (platform/db/project-key.ts): the integer by which the event
 * log, the audit log and steps name it. Keys are never reused or removed (triggers, migration
 * 0032), so no row of those tables can come to name another project; the system chain's is 0.
 */
export const projectKeys = sqliteTable(
  "project_keys",
  {
    projectKey: integer("project_key").primaryKey(),
    projectId: text("project_id").notNull(),
  },
  (t) => [uniqueIndex("project_keys_project_idx").on(t.projectId)],
);

/**
 * Project API keys. Only a keyed hash (HMAC-SHA256 under the server secret) is stored, so a
 * copy of the database does not yield usable keys; `prefix` is the displayable start.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [
    // Authentication looks a presented key up by its hash on every request.
    uniqueIndex("api_keys_hash_idx").on(t.hash),
    index("api_keys_project_idx").on(t.projectId, t.createdAt),
  ],
);

/** People who use the UI and review API. A user belongs to one project. */
export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: ["admin", "lead", "reviewer", "analyst"] }).notNull(),
    /** scrypt, with its parameters and salt encoded in the string. */
    passwordHash: text("password_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    disabledAt: integer("disabled_at"),
  },
  // Login looks a user up by email; one address is one account across the installation.
  (t) => [uniqueIndex("users_email_idx").on(t.email), index("users_project_idx").on(t.projectId)],
);

/** Login sessions. Only a hash of the cookie's token is stored. */
export const sessions = sqliteTable(
  "sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    projectId: text("project_id").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);
