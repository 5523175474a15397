/**
 * Seeded synthetic claim emails with the truth at every step. Each case is drawn from its own
 * stream (seed × index), so case 17 is the same whatever `count` is, and a small change of
 * `shift` changes a few cases rather than reshuffling all of them — drift looks like drift.
 */
import { drawDateStyle, drawDistractor, drawQuotedPolicy, drawSender, drawStatedAmount, lossAmount, strangerName } from "./case-draws.js";
import { addDays, isoDay } from "./dates.js";
import type { ClaimCase, ClaimFields, ClaimType, PolicyRecord } from "./domain.js";
import { CLAIM_TYPES } from "./domain.js";
import { writeEmail, type EmailTemplate } from "./email-writer.js";
import { chatter, narrativeFor } from "./narratives.js";
import { addTypos } from "./noise.js";
import { createPolicyDb, type PolicyDb } from "./policy-db.js";
import { hashSeed, Rng } from "./prng.js";
import { covers, reserveFor, routeFor } from "./rules.js";
import { renderAmount, renderDate, renderPolicyNo } from "./surface-forms.js";
import { trafficMix, type TrafficMix } from "./traffic-mix.js";

/** What to generate; only `seed` and `count` are required. */
export interface GenerateOptions {
  seed: number;
  count: number;
  /**
   * Input-distribution shift in [0, 1]; see `trafficMix`. Default 0. A function of arrival time
   * makes traffic drift gradually, e.g. over the days a demo fills.
   */
  shift?: number | ((receivedAt: Date, index: number) => number);
  /** The policy book claims refer to. Default: the shared book (`createPolicyDb()`). */
  policies?: PolicyDb;
  /** Arrival of the first email (epoch ms or ISO). Default 2025-01-06T08:00:00Z. */
  start?: number | string;
  /** Mean gap between emails, ms (exponential). Default 20 minutes. */
  meanGapMs?: number;
}

const TYPE_WEIGHTS: Readonly<Record<Exclude<ClaimType, "cyber">, number>> = { auto: 30, property: 22, health: 16, travel: 14, liability: 14 };
const MEDIAN_LOSS: Readonly<Record<ClaimType, number>> = { auto: 3_200, property: 7_500, health: 2_200, travel: 1_400, liability: 9_000, cyber: 18_000 };
const TOPICS: Readonly<Record<ClaimType, readonly string[]>> = {
  auto: ["car accident", "fender bender", "accident claim"],
  property: ["water damage", "damage at home", "storm damage"],
  health: ["medical bill", "hospital bill"],
  travel: ["cancelled trip", "travel problem"],
  liability: ["incident at our property", "letter from a lawyer"],
  cyber: ["we were hacked", "IT incident"],
};
const DEFAULT_START = Date.UTC(2025, 0, 6, 8);
let sharedBook: PolicyDb | undefined;

/** The book is built once per process: every case of every seed refers to the same one. */
function defaultBook(): PolicyDb {
  return (sharedBook ??= createPolicyDb());
}

/**
 * The cases one after another; use this to stream days of traffic without holding them.
 * @example
 * for (const c of claimCases({ seed: 1, count: 1_000, shift: 0.5 })) await wf.process(c.email);
 */
export function* claimCases(options: GenerateOptions): Generator<ClaimCase> {
  const db = options.policies ?? defaultBook();
  const byType = new Map<ClaimType, PolicyRecord[]>(CLAIM_TYPES.map((t) => [t, db.policies.filter((p) => covers(p, t))]));
  const arrivals = new Rng(hashSeed(options.seed, "arrivals"));
  const meanGap = options.meanGapMs ?? 20 * 60_000;
  let at = options.start === undefined ? DEFAULT_START : new Date(options.start).getTime();
  const shift = options.shift ?? 0;
  const fixedMix = typeof shift === "number" ? trafficMix(shift) : undefined;
  for (let i = 0; i < options.count; i++) {
    const mix = fixedMix ?? trafficMix((shift as (receivedAt: Date, index: number) => number)(new Date(at), i));
    yield makeCase(options.seed, i, mix, at, db, byType);
    at += Math.round(-Math.log(1 - arrivals.float()) * meanGap);
  }
}

/**
 * Generates `count` cases for a seed.
 * @example
 * const cases = generateClaims({ seed: 42, count: 500, shift: 0 });
 * cases[0].email.body; cases[0].truth.reserve;
 */
export function generateClaims(options: GenerateOptions): ClaimCase[] {
  return Array.from(claimCases(options));
}

function makeCase(seed: number, index: number, mix: TrafficMix, receivedMs: number, db: PolicyDb, byType: Map<ClaimType, PolicyRecord[]>): ClaimCase {
  const rng = new Rng(hashSeed(seed, "case", index));
  const tags: string[] = [];
  // New kinds of traffic are decided by their own draw first, so raising their share turns a
  // few more cases into them and leaves the rest as they were.
  const type: ClaimType = rng.chance(mix.cyberShare) ? "cyber" : rng.weighted(TYPE_WEIGHTS);
  const candidates = byType.get(type) ?? [];
  const policy = !rng.chance(0.03) && candidates.length > 0 ? rng.pick(candidates) : null;
  const holder = policy ? policy.holder : strangerName(rng, db);
  if (!policy) tags.push("non-customer");
  const template: EmailTemplate = rng.chance(mix.portalShare) ? "portal" : rng.weighted({ formal: 40, casual: 40, terse: 20 });
  tags.push(`template:${template}`, `type:${type}`);

  const receivedDay = isoDay(receivedMs);
  const ago = Math.min(45, Math.floor(-Math.log(1 - rng.float()) * 5));
  const incidentDate = addDays(receivedDay, -ago);
  const loss = lossAmount(MEDIAN_LOSS[type] * mix.lossScale, rng);

  const sender = drawSender(holder, policy !== null, template, rng, tags);
  const quoted = drawQuotedPolicy(policy, template, db, mix, rng, tags);
  const dateStyle = drawDateStyle(incidentDate, receivedDay, template, mix, rng, tags);
  const amount = drawStatedAmount(loss, template, mix, rng, tags);

  const narrative = narrativeFor(type, rng, mix.misleading);
  if (narrative.misleading) tags.push("misleading");
  // Terse senders drop the full stop; the truth is the text as it appears in the email.
  const description = addTypos(template === "terse" ? narrative.text.replace(/\.$/, "") : narrative.text, mix.typoRate, rng);
  const extras = chatter(rng).map((s) => addTypos(s, mix.typoRate, rng));
  if (sender.onBehalf)
    extras.unshift(`I'm writing on behalf of my ${rng.pick(["wife", "husband", "mother", "father", "sister"])}, ${holder}, who holds the policy.`);
  const distractor = sender.chatty ? drawDistractor(policy, rng, tags) : null;
  if (distractor !== null) extras.push(distractor);

  const { subject, body } = writeEmail(
    {
      template,
      from: sender.from,
      signature: sender.signature,
      formName: sender.formName,
      formEmail: template === "portal" ? sender.address : null,
      policy: quoted.policyNo === null ? null : renderPolicyNo(quoted.policyNo, quoted.style),
      date: dateStyle === null ? null : renderDate(incidentDate, receivedDay, dateStyle, rng),
      amount: amount.stated === null ? null : renderAmount(amount.stated, amount.style, rng),
      amountApprox: amount.approx && template !== "portal",
      narrative: description,
      extras,
      topic: narrative.misleading ? null : rng.pick(TOPICS[type]),
      reference: `WEB-${rng.int(10_000_000, 99_999_999)}`,
    },
    rng,
  );

  const fields: ClaimFields = {
    claimant: sender.claimant,
    policyNo: quoted.policyNo,
    incidentDate: dateStyle === null ? null : incidentDate,
    amount: amount.stated,
    description,
  };
  const reserve = reserveFor({ type, policy, lossAmount: loss, incidentDate });
  return {
    id: `claims-${seed}-${index}`,
    email: {
      messageId: `<${rng.hex(12)}.${rng.hex(6)}@${template === "portal" ? "portal.example-insurer.com" : sender.address.split("@")[1]}>`,
      from: sender.from,
      subject,
      body,
      receivedAt: new Date(receivedMs).toISOString(),
    },
    truth: { extract: fields, classify: type, "match-policy": policy, reserve, route: routeFor(reserve) },
    facts: { lossAmount: loss, incidentDate },
    tags,
  };
}
