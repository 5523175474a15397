/**
 * The insurer's book of policies: a deterministic in-memory table, so match-policy is a real
 * lookup (source `direct`) that runs offline. The same seed gives the same book, which is what
 * lets emails generated on different days refer to policies the workflow can find.
 */
import { addDays } from "./dates.js";
import type { PolicyLine, PolicyRecord } from "./domain.js";
import { hashSeed, Rng } from "./prng.js";
import { normaliseName } from "./text.js";
import { FIRST_NAMES, LAST_NAMES } from "./vocabulary.js";

/** The book every example uses unless told otherwise. */
export const DEFAULT_POLICY_SEED = 7;

/** Read-only access to the policy book. */
export interface PolicyDb {
  readonly seed: number;
  /**
   * When this snapshot was read from the system of record (epoch ms). match-policy reports it
   * as `observedAt`, so a lookup against an old snapshot shows up as stale at the seam.
   */
  readonly observedAt: number;
  /** Every policy, in a stable order. */
  readonly policies: readonly PolicyRecord[];
  /** Exact lookup by canonical number (`POL-1234567`). */
  get(policyNo: string): PolicyRecord | undefined;
  /** Policies whose holder has this name, compared case- and punctuation-insensitively. */
  byHolder(name: string): readonly PolicyRecord[];
}

/** How to build a policy book; every option has a default. */
export interface PolicyDbOptions {
  /** Default `DEFAULT_POLICY_SEED`. */
  seed?: number;
  /** Number of distinct policyholders. Default 450 (about 600 policies). */
  holders?: number;
  /** Snapshot time, epoch ms. Default now: the table is "fresh" unless a demo says otherwise. */
  observedAt?: number;
}

const LINE_WEIGHTS: Readonly<Record<PolicyLine, number>> = { auto: 30, home: 25, health: 15, travel: 15, business: 15 };

const TERMS: Readonly<Record<PolicyLine, { limits: readonly number[]; deductibles: readonly number[] }>> = {
  auto: { limits: [25_000, 50_000, 100_000], deductibles: [250, 500, 1_000] },
  home: { limits: [150_000, 250_000, 400_000], deductibles: [500, 1_000, 2_500] },
  health: { limits: [50_000, 100_000], deductibles: [0, 250, 500] },
  travel: { limits: [5_000, 10_000, 25_000], deductibles: [0, 100, 250] },
  business: { limits: [250_000, 500_000, 1_000_000], deductibles: [1_000, 2_500, 5_000] },
};

/** Share of policies that lapsed before or during the period the generator writes claims for. */
const LAPSED_SHARE = 0.06;

/**
 * Builds the policy book for a seed.
 * @example
 * const db = createPolicyDb({ seed: 7 });
 * db.get("POL-4821337")?.holder;
 */
export function createPolicyDb(options: PolicyDbOptions = {}): PolicyDb {
  const seed = options.seed ?? DEFAULT_POLICY_SEED;
  const holders = options.holders ?? 450;
  const rng = new Rng(hashSeed(seed, "policy-book"));
  const policies: PolicyRecord[] = [];
  const numbers = new Set<string>();

  for (let h = 0; h < holders; h++) {
    const holder = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    const count = rng.weighted({ one: 70, two: 25, three: 5 });
    const lines = new Set<PolicyLine>();
    const wanted = count === "one" ? 1 : count === "two" ? 2 : 3;
    while (lines.size < wanted) lines.add(rng.weighted(LINE_WEIGHTS));
    for (const line of lines) {
      let policyNo: string;
      do policyNo = `POL-${rng.int(1_000_000, 9_999_999)}`;
      while (numbers.has(policyNo));
      numbers.add(policyNo);
      const effectiveFrom = addDays("2024-01-01", rng.int(0, 364));
      // Two-year terms keep nearly every policy in force while the generator's default traffic
      // runs; the lapsed few end in the window claims are written for, to exercise the rule.
      const effectiveTo = rng.chance(LAPSED_SHARE) ? addDays("2024-10-01", rng.int(0, 150)) : addDays(effectiveFrom, 730 - 1);
      const terms = TERMS[line];
      policies.push({
        policyNo,
        holder,
        line,
        effectiveFrom,
        // biome-ignore lint/complexity/useMathMinMax: ISO strings, not numbers
        effectiveTo: effectiveTo < effectiveFrom ? effectiveFrom : effectiveTo,
        limit: rng.pick(terms.limits),
        deductible: rng.pick(terms.deductibles),
      });
    }
  }

  const byNumber = new Map(policies.map((p) => [p.policyNo, p]));
  const byName = new Map<string, PolicyRecord[]>();
  for (const p of policies) {
    const key = normaliseName(p.holder);
    const list = byName.get(key);
    if (list) list.push(p);
    else byName.set(key, [p]);
  }
  const observedAt = options.observedAt ?? Date.now();
  return {
    seed,
    observedAt,
    policies,
    get: (policyNo) => byNumber.get(policyNo),
    byHolder: (name) => byName.get(normaliseName(name)) ?? [],
  };
}
