import type { Transaction } from "@libsql/client";
import type { StepEvent } from "@seamtrace/sdk";
import { reviewSettingsFor, type ReviewSettings } from "../policies/review-settings.js";
import { judgesFor } from "./judge-lookup.js";
import { knownAnswerRates } from "./known-answers.js";

/**
 * Per new escalation: the team-review settings of its step's policy, its judge, and its group's
 * known-answer rate, each read once per project of the batch.
 */
export async function teamSettings(
  tx: Transaction,
  candidates: ReadonlyArray<{ projectId: string; event: StepEvent }>,
): Promise<(projectId: string, workflow: string, step: string) => { settings: ReviewSettings; judge: string | null; knownAnswerRate: number }> {
  const byProject = new Map<string, Array<{ workflow: string; step: string }>>();
  for (const { projectId, event } of candidates)
    byProject.set(projectId, [...(byProject.get(projectId) ?? []), { workflow: event.workflow, step: event.step }]);
  const lookups = new Map<
    string,
    { settings: Awaited<ReturnType<typeof reviewSettingsFor>>; judges: Awaited<ReturnType<typeof judgesFor>>; rates: Map<string, number> }
  >();
  for (const [projectId, steps] of byProject) {
    lookups.set(projectId, {
      settings: await reviewSettingsFor(tx, projectId, steps),
      judges: await judgesFor(tx, projectId, steps),
      rates: await knownAnswerRates(tx, projectId),
    });
  }
  return (projectId, workflow, step) => {
    const l = lookups.get(projectId)!;
    const settings = l.settings(workflow, step);
    return { settings, judge: l.judges(workflow, step), knownAnswerRate: settings.reviewGroup === null ? 0 : (l.rates.get(settings.reviewGroup) ?? 0) };
  };
}
