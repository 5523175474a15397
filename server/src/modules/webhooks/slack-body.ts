/**
 * The Slack-compatible body of a webhook delivery (Slack incoming webhooks, and the chat tools
 * that accept the same `{ text }`): one line saying what happened, with a link to the review
 * screen for review events. Built from the stored envelope at delivery time, so the JSON and
 * Slack forms of one event always say the same thing. Names in it are client-chosen: `<`, `>`
 * and `&` are escaped as Slack's markup requires, so a step name cannot forge a link.
 */

interface Envelope {
  event: string;
  data: Record<string, unknown>;
}

/** Slack's three control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const str = (v: unknown) => slackEscape(typeof v === "string" ? v : JSON.stringify(v ?? null));

function reviewLink(publicUrl: string, data: Record<string, unknown>): string {
  const id = typeof data.escalationId === "string" ? data.escalationId : "";
  return `${publicUrl.replace(/\/+$/, "")}/review/${encodeURIComponent(id)}`;
}

function describe(e: Envelope): string {
  const d = e.data;
  const where = `${str(d.workflow)} · ${str(d.step)}${d.reviewGroup ? ` (group ${str(d.reviewGroup)})` : ""}`;
  switch (e.event) {
    case "escalation.created":
      return `New ${d.blocking ? "escalation" : "item"} to review: ${where}${d.dueAt ? `, due ${str(d.dueAt)}` : ""}`;
    case "escalation.resolved":
      return `Review settled: ${where}: ${str(d.decision)} (${str(d.resolution ?? "single")})`;
    case "escalation.disputed":
      return `Reviewers disagree on ${where}: an adjudicator decides now`;
    case "review.due":
      return `Review past half its deadline: ${where}, due ${str(d.dueAt)}`;
    case "review.expired":
      return `Review deadline passed: ${where}; ${d.onExpiry === "reassign" ? `reassigned, now due ${str(d.nextDueAt)}` : `settled by the policy (${str(d.onExpiry)})`}`;
    default:
      return `Seamtrace ${str(e.event)}`;
  }
}

/** `{ text }` for Slack; a payload that is not a review event still gets a line naming the event. */
export function slackBody(payload: string, publicUrl: string): string {
  let e: Envelope;
  try {
    e = JSON.parse(payload) as Envelope;
  } catch {
    return JSON.stringify({ text: "Seamtrace event" });
  }
  const data = e.data && typeof e.data === "object" ? e.data : {};
  const text = describe({ event: String(e.event), data });
  const link = typeof data.escalationId === "string" ? ` <${reviewLink(publicUrl, data)}|Open the review>` : "";
  return JSON.stringify({ text: text + link });
}
