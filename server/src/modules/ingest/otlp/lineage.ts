import type { PolicyRule, StepEvent } from "@seamtrace/sdk";
import { evaluateGate } from "@seamtrace/sdk";
import { hashedUuid } from "./ids.js";
import type { SpanFacts } from "./span-facts.js";

/** A span's step event with what it was made from. */
export interface MappedStep {
  facts: SpanFacts;
  event: StepEvent;
}

export type RuleFor = (workflow: string, step: string) => PolicyRule | undefined;

/**
 * Cumulative confidence over the ancestors present in this request: each distinct
 * ancestor's own confidence once. A parent sent in another request is not known here, so the
 * chain stops at it. Served policies are checked on the way; a failed gate flags the step and
 * everything below it (a non-blocking escalation, since the run has already gone on).
 */
export function lineage(steps: Map<string, MappedStep>, ruleFor: RuleFor | undefined): void {
  const done = new Set<string>();
  const visit = (root: string) => {
    // Iterative post-order: ancestors first, without recursion on untrusted depth.
    const stack: Array<{ id: string; expanded: boolean }> = [{ id: root, expanded: false }];
    const onStack = new Set<string>([root]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const node = steps.get(top.id)!;
      if (!top.expanded) {
        top.expanded = true;
        for (const p of node.event.parents) {
          if (steps.has(p) && !done.has(p) && !onStack.has(p)) {
            stack.push({ id: p, expanded: false });
            onStack.add(p);
          }
        }
        continue;
      }
      stack.pop();
      onStack.delete(top.id);
      settle(node, steps, ruleFor);
      done.add(top.id);
    }
  };
  for (const id of steps.keys()) if (!done.has(id)) visit(id);
}

function settle(node: { facts: SpanFacts; event: StepEvent }, steps: Map<string, MappedStep>, ruleFor: RuleFor | undefined): void {
  const e = node.event;
  const own = e.source === "human" ? 1 : (e.confidence ?? 1);
  let cumulative = own;
  if (e.source !== "human") {
    const seen = new Set<string>();
    const queue = [...e.parents];
    while (queue.length > 0) {
      const id = queue.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const p = steps.get(id);
      if (!p) continue;
      if (p.event.flagged) e.flagged = true;
      if (p.event.source === "human") continue; // a human-verified output re-bases the chain
      cumulative *= p.event.confidence ?? 1;
      queue.push(...p.event.parents);
    }
  }
  e.cumulative = cumulative;
  const rule = ruleFor?.(e.workflow, e.step);
  if (!rule || e.type !== "step.completed") return;
  const gate = evaluateGate(rule, { confidence: own, cumulative, stale: e.stale });
  if (gate.outcome === "pass") return;
  e.gate = { ...gate, outcome: "flag" };
  e.flagged = true;
  e.escalationId = hashedUuid("otlp-escalation", node.facts.span.traceId, node.facts.span.spanId);
}
