/**
 * Lays out a claim email from already-rendered parts. The generator decides what is true and how
 * each value is written; this file only decides where it goes, in one of four layouts people (and
 * one web portal) actually send.
 */
import type { DateText } from "./surface-forms.js";
import type { Rng } from "./prng.js";

/**
 * Email layouts. `portal` is the web-form notification a new claims portal sends: rare at
 * shift 0, common at shift 1, and laid out in formats the version-1 extractor reads badly.
 */
export type EmailTemplate = "formal" | "casual" | "terse" | "portal";

/** Everything the writer needs; values are already rendered as text. */
export interface EmailParts {
  template: EmailTemplate;
  /** The From header. */
  from: string;
  /** Signature lines, or null for none. */
  signature: string | null;
  /** Name typed into the portal form (portal only). */
  formName: string | null;
  formEmail: string | null;
  policy: string | null;
  date: DateText | null;
  amount: string | null;
  /** The amount was stated loosely ("about $3,500"). */
  amountApprox: boolean;
  narrative: string;
  /** Chatter and distractor sentences, in order. */
  extras: readonly string[];
  /** A short topic for the subject line ("water damage"), or null. */
  topic: string | null;
  /** Portal reference number. */
  reference: string;
}

const APPROX = ["about", "around", "roughly", "approximately"];

function policyLine(policy: string, rng: Rng): string {
  if (policy.startsWith("#")) return `Policy ${policy}`;
  return `${rng.pick(["Policy number", "Policy no", "Policy No.", "Policy"])}: ${policy}`;
}

function approx(amount: string, isApprox: boolean, rng: Rng): string {
  return isApprox ? `${rng.pick(APPROX)} ${amount}` : amount;
}

function subject(p: EmailParts, rng: Rng): string {
  const topic = p.topic ?? "claim";
  switch (p.template) {
    case "formal":
      return rng.pick([
        "Claim submission",
        `New claim - ${topic}`,
        "Claim notification",
        p.policy ? `Insurance claim for policy ${p.policy}` : "Insurance claim",
      ]);
    case "casual":
      return rng.pick(["claim", "need help with a claim", `${topic}!!`, "Re: my policy", "", topic.toUpperCase()]);
    case "terse":
      return rng.pick(["claim", "", "fwd", topic]);
    case "portal":
      return `New online claim ${p.reference}`;
  }
}

function formal(p: EmailParts, rng: Rng): string {
  const lines: string[] = [rng.pick(["Dear Claims Team,", "Dear Sir or Madam,", "To whom it may concern,", "Hello,"]), ""];
  lines.push(
    [rng.pick(["I would like to file a claim.", "I am writing to report a claim.", "Please register the following claim."]), p.narrative, ...p.extras].join(
      " ",
    ),
  );
  const fields: string[] = [];
  if (p.policy) fields.push(policyLine(p.policy, rng));
  if (p.date) fields.push(`${rng.pick(["Date of incident", "Incident date", "Date of loss", "Date"])}: ${p.date.bare}`);
  if (p.amount)
    fields.push(`${rng.pick(["Estimated cost", "Amount claimed", "Repair estimate", "Claim amount", "Total"])}: ${approx(p.amount, p.amountApprox, rng)}`);
  if (fields.length > 0) lines.push("", ...fields);
  lines.push("", rng.pick(["Kind regards,", "Best regards,", "Sincerely,", "Thank you,"]));
  if (p.signature) lines.push(p.signature);
  return lines.join("\n");
}

function casual(p: EmailParts, rng: Rng): string {
  const facts: string[] = [];
  if (p.date) facts.push(rng.pick([`It happened ${p.date.inline}.`, `This was ${p.date.inline}.`, `All this happened ${p.date.inline}.`]));
  if (p.policy) {
    facts.push(
      p.policy.startsWith("#")
        ? `My policy is ${p.policy}.`
        : rng.pick([`My policy number is ${p.policy}.`, `Policy is ${p.policy}.`, `my policy: ${p.policy}`]),
    );
  }
  if (p.amount) {
    const a = approx(p.amount, p.amountApprox, rng);
    facts.push(rng.pick([`The repair quote came to ${a}.`, `It's going to cost ${a}.`, `I'm claiming ${a}.`, `The bill was ${a}.`, `Total damage is ${a}.`]));
  }
  // People mention the facts in whatever order they think of them.
  for (let i = facts.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [facts[i], facts[j]] = [facts[j]!, facts[i]!];
  }
  const lines = [rng.pick(["hi,", "Hello,", "Hey there,", "Hi team,"]), "", [p.narrative, ...facts, ...p.extras].join(" "), ""];
  lines.push(rng.pick(["thanks", "Thanks,", "Cheers,", "Thank you!", "thx"]));
  if (p.signature) lines.push(p.signature);
  return lines.join("\n");
}

function terse(p: EmailParts, rng: Rng): string {
  const parts: string[] = [];
  if (p.policy) parts.push(p.policy);
  if (p.date) parts.push(p.date.bare);
  parts.push(p.narrative);
  if (p.amount) parts.push(approx(p.amount, p.amountApprox, rng));
  const lines = [parts.join(rng.pick([" - ", ". ", ", "]))];
  if (p.signature) lines.push(p.signature);
  return lines.join("\n");
}

function portal(p: EmailParts): string {
  const lines = ["New claim submitted via the online portal.", "", `Reference: ${p.reference}`];
  if (p.formName) lines.push(`Name: ${p.formName}`);
  if (p.formEmail) lines.push(`Email: ${p.formEmail}`);
  if (p.policy) lines.push(`Policy: ${p.policy}`);
  if (p.date) lines.push(`Loss date: ${p.date.bare}`);
  if (p.amount) lines.push(`Amount claimed: ${p.amount}`);
  lines.push(`Description: ${p.narrative}`, "", "This message was generated automatically. Do not reply.");
  return lines.join("\n");
}

/** Renders subject and body for the parts. */
export function writeEmail(parts: EmailParts, rng: Rng): { subject: string; body: string } {
  const subj = subject(parts, rng);
  switch (parts.template) {
    case "formal":
      return { subject: subj, body: formal(parts, rng) };
    case "casual":
      return { subject: subj, body: casual(parts, rng) };
    case "terse":
      return { subject: subj, body: terse(parts, rng) };
    case "portal":
      return { subject: subj, body: portal(parts) };
  }
}
