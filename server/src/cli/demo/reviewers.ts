/**
 * Simulated reviewers: signed-in users working the real review API (`GET /v1/escalations`,
 * `GET /v1/escalations/:id`, `POST …/decision`) the way the dashboard does, who happen to know
 * the generator's truth. They accept an output that is right and correct one that is wrong,
 * with the true value — so every label and correction in the store is one a careful human
 * would have made.
 */
import { stepCorrect, type ClaimCase, type ClaimTruth, type StepName } from "@seamtrace/example-claims";
import { SESSION_COOKIE } from "../../modules/auth/require-auth.js";
import type { EscalationDetail, QueueResponse } from "../../modules/review/contract.js";

/** A signed-in user talking to the server over HTTP. */
export class ApiSession {
  constructor(
    readonly url: string,
    private readonly token: string,
    readonly name: string,
  ) {}

  async request<T>(method: "GET" | "POST" | "PUT", path: string, body?: unknown): Promise<T> {
    const text = await this.text(method, path, body);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /** The answer's body as text (a streamed export, say); throws on a non-2xx answer. */
  async text(method: "GET" | "POST" | "PUT", path: string, body?: unknown): Promise<string> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { cookie: `${SESSION_COOKIE}=${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text;
  }
}

/**
 * Items each reviewer has open at once. A decision is a durable write under the store's write
 * lock: more in flight only wait for it.
 */
const PER_REVIEWER = 1;

export interface ReviewPass {
  /** Decisions made, by kind and outcome. */
  decided: number;
  corrections: number;
  spotChecks: number;
  /** Runs whose blocking escalation was decided (the caller resumes them). */
  toResume: string[];
}

/**
 * Works the open queue of `workflow` once: every open item, oldest first, each decided by the
 * next reviewer in turn against the truth of its run's case.
 */
export async function reviewQueue(reviewers: readonly ApiSession[], workflow: string, truthOf: (runId: string) => ClaimCase | undefined): Promise<ReviewPass> {
  const pass: ReviewPass = { decided: 0, corrections: 0, spotChecks: 0, toResume: [] };
  // Collect the whole queue first: decided items leave it, which would move a cursor under us.
  const items: QueueResponse["items"] = [];
  let cursor: string | null = null;
  do {
    const page: QueueResponse = await reviewers[0]!.request<QueueResponse>(
      "GET",
      `/v1/escalations?status=open&workflow=${encodeURIComponent(workflow)}&order=oldest&limit=200${cursor ? `&cursor=${cursor}` : ""}`,
    );
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);

  // Each reviewer works through the shared queue with a few items open at once, as a team would.
  const queue = items.filter((item) => truthOf(item.runId) !== undefined)[Symbol.iterator]();
  const work = async (reviewer: ApiSession) => {
    for (let next = queue.next(); !next.done; next = queue.next()) await decide(reviewer, next.value);
  };
  const decide = async (reviewer: ApiSession, item: QueueResponse["items"][number]) => {
    const c = truthOf(item.runId)!;
    const detail = await reviewer.request<EscalationDetail>("GET", `/v1/escalations/${item.id}`);
    const step = item.step as StepName;
    const truth = c.truth[step];
    const right = stepCorrect(step, detail.packet.output as ClaimTruth[typeof step], truth);
    const body = right
      ? { decision: "accept", reason: "checked against the claim file: right" }
      : { decision: "correct", output: truth, reason: `checked against the claim file: the ${step} output was wrong` };
    await reviewer.request("POST", `/v1/escalations/${item.id}/decision`, body);
    pass.decided++;
    if (!right) pass.corrections++;
    if (item.kind === "spot_check") pass.spotChecks++;
    if (item.blocking) pass.toResume.push(item.runId);
  };
  await Promise.all(reviewers.flatMap((r) => Array.from({ length: PER_REVIEWER }, () => work(r))));
  return pass;
}
