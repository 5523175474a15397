import { z } from "zod";

/** `PUT /v1/retention/:workflow`. */
export const retentionBody = z.strictObject({
  mode: z.enum(["full", "final"]),
  /** Delete ended runs this many days old; null keeps them. At most 100 years. */
  ttlDays: z.number().int().min(1).max(36_500).nullable().default(null),
});

export const retentionParam = z.object({ workflow: z.string().min(1).max(256) });
