import { customType } from "drizzle-orm/sqlite-core";
import { idFromStored, storedId } from "./stored-id.js";

/**
 * A column of ids kept as stored-id.ts says (a canonical UUID as its 16 bytes), which drizzle
 * binds and reads as their text: `eq(steps.runId, runId)` and a selected `steps.id` need nothing
 * more. SQL written by hand still binds `storedId(…)` and reads `idFromStored(…)`.
 */
export const storedIdColumn = customType<{ data: string; driverData: string | Uint8Array }>({
  dataType: () => "blob",
  toDriver: (id) => storedId(id),
  fromDriver: (value) => idFromStored(value),
});
