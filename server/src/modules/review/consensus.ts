import type { Decision } from "@seamtrace/sdk";
import { canonicalJson } from "../audit/chain.js";

/**
 * How several reviewers' decisions on one escalation combine. Pure, so the rules are tested
 * without a store; the decision store applies the verdict.
 */

export type ConsensusRule = "unanimous" | "majority";

/** One reviewer's decision; `output` is the corrected output of a `correct`. */
export interface Vote {
  id: string;
  decision: Decision;
  output?: unknown;
}

/**
 * What two decisions must share to agree: the decision, and for corrections the corrected output
 * too (compared as RFC 8785 canonical JSON, so key order and number spelling do not matter). Two
 * reviewers who both correct, to different values, disagree.
 */
export function outcomeKey(v: Pick<Vote, "decision" | "output">): string {
  return v.decision === "correct" ? `correct:${canonicalJson(v.output ?? null)}` : v.decision;
}

export type Verdict =
  /** Fewer decisions than required: keep collecting. */
  | { status: "pending"; decided: number; required: number }
  /** The rule holds: `winner` is the earliest vote of the agreeing side (its reason and value are kept). */
  | { status: "agreed"; winner: Vote; agreeing: string[] }
  /** The rule does not hold: an adjudicator decides. */
  | { status: "disputed"; groups: Array<{ key: string; votes: string[] }> };

/**
 * Unanimous: every one of the `required` decisions has the same outcome. Majority: one outcome
 * has more than half of them (2 of 3, 3 of 5; with 2 reviewers that is both, with 4 it is 3).
 * Votes are taken in the order given (oldest first); only the first `required` count, since the
 * store never records more than that.
 */
export function verdict(votes: readonly Vote[], required: number, rule: ConsensusRule): Verdict {
  if (!Number.isInteger(required) || required < 1) throw new RangeError(`verdict: required must be a whole number ≥ 1, got ${required}`);
  if (votes.length < required) return { status: "pending", decided: votes.length, required };
  const counted = votes.slice(0, required);
  const groups = new Map<string, Vote[]>();
  for (const v of counted) {
    const k = outcomeKey(v);
    groups.set(k, [...(groups.get(k) ?? []), v]);
  }
  const largest = [...groups.values()].sort((a, b) => b.length - a.length)[0]!;
  const holds = rule === "unanimous" ? groups.size === 1 : largest.length * 2 > required;
  if (holds) return { status: "agreed", winner: largest[0]!, agreeing: largest.map((v) => v.id) };
  return { status: "disputed", groups: [...groups].map(([key, vs]) => ({ key, votes: vs.map((v) => v.id) })) };
}
