/**
 * Gates at every handoff: pure functions from a step's facts and the policy in force
 * to a decision. The run applies the decision (stop, flag, sample); nothing here has effects.
 */
import type { ContractIssue } from "./contract.js";
import type { GateKind, GateOutcome, GateResult, PolicyRule } from "./types.js";

/** What the gates look at, all known once the step has returned. A `StepHandle` is one. */
export interface GateFacts {
  /** Undefined for an unscored step (it gave no confidence). */
  readonly confidence: number | undefined;
  readonly cumulative: number;
  readonly stale: boolean;
}

/**
 * Where a step's policy comes from. The client's policy client (server policy over code policy)
 * implements it; without one, {@link codePolicyOnly} applies the policy in code.
 */
export interface PolicySource {
  ruleFor(workflow: string, step: string, code?: PolicyRule, codeStep?: PolicyRule): PolicyRule;
  /** The calibrated value of a step's confidence, when the server has a map for it; else undefined. */
  calibrate?(workflow: string, version: string, step: string, confidence: number): number | undefined;
}

const NO_RULE: PolicyRule = Object.freeze({});

/**
 * The policy in code: the step's rule over the workflow's, field by field. Returns one of its
 * arguments when only one is set, so the common case allocates nothing.
 */
export const codePolicyOnly: PolicySource = {
  ruleFor: (_workflow, _step, code, codeStep) => (code && codeStep ? mergeRules(code, codeStep) : (codeStep ?? code ?? NO_RULE)),
};

/** `over` wins field by field; a field it leaves unset falls back to `base`. */
export function mergeRules(base: PolicyRule, over: PolicyRule): PolicyRule {
  const rule: PolicyRule = { ...base };
  for (const k of Object.keys(over) as Array<keyof PolicyRule>) if (over[k] !== undefined) (rule as Record<string, unknown>)[k] = over[k];
  return rule;
}

/**
 * The checks that failed, in evaluation order (contract, confidence or unscored, cumulative,
 * stale), or `undefined` when all held — no array is made for a pass, which is nearly every step.
 * An unscored step has no confidence to compare with `minConfidence`: it passes that check, and
 * fails `unscored` only when the rule has `requireConfidence`.
 * @example
 * failedGates({ minConfidence: 0.8 }, { confidence: 0.6, cumulative: 0.6, stale: false }, false) // ["confidence"]
 * failedGates({ requireConfidence: true }, { confidence: undefined, cumulative: 1, stale: false }, false) // ["unscored"]
 */
export function failedGates(rule: PolicyRule, facts: GateFacts, contractViolated: boolean): GateKind[] | undefined {
  let kinds: GateKind[] | undefined;
  if (contractViolated) kinds = ["contract"];
  const c = facts.confidence;
  if (c === undefined) {
    if (rule.requireConfidence) (kinds ??= []).push("unscored");
  } else if (rule.minConfidence !== undefined && c < rule.minConfidence) (kinds ??= []).push("confidence");
  if (rule.minCumulative !== undefined && facts.cumulative < rule.minCumulative) (kinds ??= []).push("cumulative");
  if (facts.stale) (kinds ??= []).push("stale");
  return kinds;
}

/**
 * What a failure leads to. A contract violation always escalates: an output that breaks its
 * contract is never handed on, even on a latency-bound `flag` path. Everything else
 * follows `onLow`, which defaults to `escalate`.
 */
export function gateOutcome(rule: PolicyRule, kinds: readonly GateKind[] | undefined): GateOutcome {
  if (kinds === undefined || kinds.length === 0) return "pass";
  return kinds.includes("contract") || rule.onLow !== "flag" ? "escalate" : "flag";
}

/** The wire form of a decision, with the thresholds in force so it can be explained later. */
export function gateResult(rule: PolicyRule, kinds: GateKind[] | undefined, issues?: ContractIssue[]): GateResult {
  // Unset fields stay `undefined` and vanish in JSON; spelling out `if`s costs bundle bytes.
  return { outcome: gateOutcome(rule, kinds), kinds: kinds ?? [], minConfidence: rule.minConfidence, minCumulative: rule.minCumulative, issues };
}

/**
 * Evaluates every gate at once: the decision for a step with these facts under this rule.
 * `issues` are the output's contract violations, if it has a contract and broke it.
 * @example
 * evaluateGate({ minCumulative: 0.5, onLow: "flag" }, { confidence: 0.9, cumulative: 0.4, stale: false })
 * // { outcome: "flag", kinds: ["cumulative"], minCumulative: 0.5 }
 */
export function evaluateGate(rule: PolicyRule, facts: GateFacts, issues?: ContractIssue[]): GateResult {
  return gateResult(rule, failedGates(rule, facts, issues !== undefined), issues);
}

/** True when the rule asks for any check or sampling, i.e. a step under it needs the gate path. */
export function ruleIsActive(rule: PolicyRule): boolean {
  return (
    rule.minConfidence !== undefined ||
    rule.minCumulative !== undefined ||
    rule.spotCheckRate !== undefined ||
    rule.spotCheckNearRate !== undefined ||
    !!rule.requireConfidence
  );
}
