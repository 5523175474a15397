/**
 * The claims workflow's contracts, as zod schemas (any Standard Schema v1 validator would do).
 *
 * Output contracts (`OUTPUT_CONTRACTS`) go on each `run.step()` as its `schema`: the SDK checks a
 * step's output before handing it on, and a violation escalates.
 * Input contracts (`SEAM_CONTRACTS`) say what each downstream step needs from each upstream one:
 * narrower than the upstream's own contract where the consumer reads only part of it.
 * `seamtrace seams` checks recorded upstream outputs against them, handoff by handoff.
 */
import { z } from "zod";
import { CLAIM_TYPES } from "./domain.js";

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a YYYY-MM-DD date");

export const ClaimFieldsSchema = z.object({
  claimant: z.string().min(1).nullable(),
  policyNo: z.string().min(1).nullable(),
  incidentDate: isoDate.nullable(),
  amount: z.number().finite().nonnegative().nullable(),
  description: z.string(),
});

export const ClaimTypeSchema = z.enum(CLAIM_TYPES as [string, ...string[]]);

export const PolicyRecordSchema = z.object({
  policyNo: z.string().min(1),
  holder: z.string(),
  line: z.enum(["auto", "home", "health", "travel", "business"]),
  effectiveFrom: isoDate,
  effectiveTo: isoDate,
  limit: z.number().finite().nonnegative(),
  deductible: z.number().finite().nonnegative(),
});

export const PolicyMatchSchema = PolicyRecordSchema.nullable();

export const ReserveSchema = z.number().finite().nonnegative();

export const RouteSchema = z.enum(["close-no-payment", "fast-track", "adjuster", "senior-adjuster"]);

/** Each step's output contract, by step name. */
export const OUTPUT_CONTRACTS = {
  extract: ClaimFieldsSchema,
  classify: ClaimTypeSchema,
  "match-policy": PolicyMatchSchema,
  reserve: ReserveSchema,
  route: RouteSchema,
} as const;

/**
 * What each downstream step reads from each upstream step (`downstream → upstream → schema`):
 * classify reads the description, match-policy the policy number and claimant, reserve the
 * claim type and the policy's terms, route the reserve amount.
 */
export const SEAM_CONTRACTS = {
  classify: { extract: z.looseObject({ description: z.string() }) },
  "match-policy": { extract: z.looseObject({ policyNo: z.string().nullable(), claimant: z.string().nullable() }) },
  reserve: {
    classify: ClaimTypeSchema,
    "match-policy": z
      .looseObject({
        line: PolicyRecordSchema.shape.line,
        effectiveFrom: isoDate,
        effectiveTo: isoDate,
        limit: z.number().finite(),
        deductible: z.number().finite(),
      })
      .nullable(),
  },
  route: { reserve: z.number().finite().nonnegative() },
} as const;
