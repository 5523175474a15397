/**
 * How each part of a generated claim gets written: who sends it and how they sign, which policy
 * number they quote (and how wrongly), how they write the date and the amount, and which
 * distracting figures they add. Each draw records what it did in the case's tags, so golden-set
 * results can be sliced by trap.
 */
import type { PolicyRecord } from "./domain.js";
import type { EmailTemplate } from "./email-writer.js";
import type { PolicyDb } from "./policy-db.js";
import type { Rng } from "./prng.js";
import { amountStyleFits, relativeFits, renderAmount, type AmountStyle, type DateStyle, type PolicyStyle } from "./surface-forms.js";
import type { TrafficMix } from "./traffic-mix.js";
import { FIRST_NAMES, LAST_NAMES, MAIL_DOMAINS } from "./vocabulary.js";

/** The sender as the email shows them, and who the claimant truly is. */
export interface Sender {
  from: string;
  address: string;
  signature: string | null;
  /** The name typed into the portal form. */
  formName: string | null;
  /** The claimant's name as a correct reading of the email gives it. */
  claimant: string | null;
  onBehalf: boolean;
  /** Formal and casual writers add small talk; terse writers and the portal do not. */
  chatty: boolean;
}

function addressFor(name: string, rng: Rng): string {
  const [first = "x", last = "y"] = name.toLowerCase().split(" ");
  const local = rng.pick([`${first}.${last}`, `${first[0]}${last}${rng.int(10, 99)}`, `${first}${last[0]}`, `${last}.${first}`]);
  return `${local}@${rng.pick(MAIL_DOMAINS)}`;
}

/** Who writes: the holder, or (rarely) a relative writing for them; with or without a name shown. */
export function drawSender(holder: string, customer: boolean, template: EmailTemplate, rng: Rng, tags: string[]): Sender {
  const chatty = template === "formal" || template === "casual";
  const onBehalf = customer && chatty && rng.chance(0.04);
  const [holderFirst, holderLast] = holder.split(" ") as [string, string];
  const writer = onBehalf ? `${rng.pick(FIRST_NAMES.filter((n) => n !== holderFirst))} ${holderLast}` : holder;
  const address = addressFor(writer, rng);
  const display = rng.weighted({ display: 62, reversed: 8, lowercase: 8, address: 22 });
  const sign = rng.weighted({ full: 72, none: 20, initial: 8 });
  let from = address;
  if (display === "display") from = `${writer} <${address}>`;
  if (display === "reversed") from = `"${writer.split(" ").reverse().join(", ")}" <${address}>`;
  if (display === "lowercase") from = `${writer.toLowerCase()} <${address}>`;
  const phone = (): string => (rng.chance(0.3) ? `\n(${rng.int(201, 989)}) 555-${rng.int(1000, 9999)}` : "");
  let signature: string | null = sign === "full" ? writer + phone() : sign === "initial" ? `- ${writer[0]}.` : null;
  let formName: string | null = null;
  let claimant: string | null = display !== "address" || sign === "full" ? writer : null;
  if (template === "portal") {
    from = "Claims Portal <noreply@portal.example-insurer.com>";
    signature = null;
    formName = rng.chance(0.95) ? holder : null;
    claimant = formName;
  }
  if (onBehalf) {
    // The email names the holder ("writing on behalf of my wife, …"): that is the claimant.
    claimant = holder;
    tags.push("on-behalf");
  }
  return { from, address, signature, formName, claimant, onBehalf, chatty };
}

/** A policy number with one slip: two neighbouring digits swapped, or one digit changed. */
function mistype(policyNo: string, rng: Rng, db: PolicyDb): string {
  for (;;) {
    const d = policyNo.slice(4).split("");
    const i = rng.int(0, 5);
    if (rng.chance(0.5) && d[i] !== d[i + 1]) [d[i], d[i + 1]] = [d[i + 1]!, d[i]!];
    else d[i + 1] = String((Number(d[i + 1]) + rng.int(1, 9)) % 10);
    const out = `POL-${d.join("")}`;
    if (out !== policyNo && !db.get(out) && d[0] !== "0") return out;
  }
}

/** The policy number as quoted: maybe another of the holder's policies, mistyped, or absent. */
export function drawQuotedPolicy(
  policy: PolicyRecord | null,
  template: EmailTemplate,
  db: PolicyDb,
  mix: TrafficMix,
  rng: Rng,
  tags: string[],
): { policyNo: string | null; style: PolicyStyle } {
  let quoted: string | null = null;
  if (policy) {
    quoted = policy.policyNo;
    const others = db.byHolder(policy.holder).filter((p) => p.policyNo !== policy.policyNo && p.holder === policy.holder);
    if (others.length > 0 && rng.chance(0.08)) {
      quoted = rng.pick(others).policyNo;
      tags.push("other-policy-quoted");
    }
    if (rng.chance(mix.policyTypo)) {
      quoted = mistype(quoted, rng, db);
      tags.push("policy-typo");
    }
    if (rng.chance(mix.missingPolicyNo)) quoted = null;
  } else if (rng.chance(0.35)) {
    quoted = mistype(`POL-${rng.int(1_000_000, 9_999_999)}`, rng, db); // a number that is nobody's
  }
  if (quoted === null) tags.push("no-policy-no");
  const style: PolicyStyle =
    template === "portal"
      ? "bare"
      : template === "terse"
        ? rng.pick<PolicyStyle>(["canonical", "lower-space", "spaced", "ocr"])
        : rng.weighted<PolicyStyle>({ canonical: 40, "lower-space": 10, hash: 10, split: 8, spaced: 8, ocr: 6, bare: 8 });
  return { policyNo: quoted, style };
}

/** How the incident date is written, or null when the email leaves it out. */
export function drawDateStyle(incidentDate: string, receivedDay: string, template: EmailTemplate, mix: TrafficMix, rng: Rng, tags: string[]): DateStyle | null {
  if (rng.chance(mix.missingDate)) {
    tags.push("no-date");
    return null;
  }
  const dayFirst = rng.chance(mix.dayFirstDates);
  let style: DateStyle =
    template === "portal"
      ? "dotted"
      : rng.weighted<DateStyle>({ iso: 8, "us-numeric": 14, "us-short": 6, "month-day": 16, "month-day-year": 12, "day-month-year": 8, abbr: 8, relative: 28 });
  if (style === "relative" && !relativeFits(incidentDate, receivedDay)) style = "month-day";
  if (dayFirst && (style === "us-numeric" || style === "us-short")) {
    style = "dmy-numeric";
    const [, m, d] = incidentDate.split("-").map(Number) as [number, number, number];
    if (d <= 12 && d !== m) tags.push("day-first-ambiguous");
  }
  return style;
}

/** A loss around `median` (log-normal), rounded the ways real quotes and invoices are. */
export function lossAmount(median: number, rng: Rng): number {
  const raw = Math.max(60, median * Math.exp(0.75 * rng.normal()));
  if (rng.chance(0.35)) return Math.max(100, Math.round(raw / 100) * 100); // quotes are often round
  if (rng.chance(0.15)) return Math.round(raw * 100) / 100;
  return Math.round(raw);
}

/** Rounds the way people do when they say "about": keeps it within 10% of the real loss. */
function roughly(loss: number): number {
  const step = loss < 500 ? 10 : loss < 5_000 ? 100 : 500;
  return Math.max(step, Math.round(loss / step) * step);
}

/** The amount as stated (exact, rounded "about", or left out) and how it is written. */
export function drawStatedAmount(
  loss: number,
  template: EmailTemplate,
  mix: TrafficMix,
  rng: Rng,
  tags: string[],
): { stated: number | null; approx: boolean; style: AmountStyle } {
  let stated: number | null = null;
  let approx = false;
  if (!rng.chance(mix.missingAmount)) {
    approx = rng.chance(0.12);
    stated = approx ? roughly(loss) : loss;
    if (approx) tags.push("approx-amount");
  } else tags.push("no-amount");
  let style: AmountStyle =
    template === "portal"
      ? rng.weighted<AmountStyle>({ "euro-format": 60, "dollar-cents": 20, "usd-suffix": 20 })
      : rng.weighted<AmountStyle>({
          "dollar-commas": 40,
          "dollar-plain": 12,
          "dollar-cents": 6,
          "usd-suffix": 10,
          "usd-prefix": 6,
          "dollars-word": 8,
          k: 6,
          words: mix.wordAmounts,
        });
  if (stated !== null && !amountStyleFits(style, stated)) style = Number.isInteger(stated) ? "dollar-commas" : "dollar-cents";
  return { stated, approx, style };
}

/** Sometimes a second figure that is not the claim: a deductible, a premium, last year's claim. */
export function drawDistractor(policy: PolicyRecord | null, rng: Rng, tags: string[]): string | null {
  if (!rng.chance(0.15)) return null;
  const kind = rng.weighted({ deductible: 40, premium: 25, previous: 35 });
  const value = kind === "deductible" ? policy?.deductible || 500 : kind === "premium" ? rng.int(40, 250) * 10 : rng.int(5, 60) * 100;
  const money = renderAmount(value, "dollar-commas", rng);
  tags.push(`distractor:${kind}`);
  if (kind === "deductible") return `My deductible is ${money}, if that matters.`;
  if (kind === "premium") return `For reference, I pay ${money} a year for this policy.`;
  return `Last year I claimed ${money} for something similar and it was paid quickly.`;
}

/** A name that holds no policy in the book: someone who is not a customer. */
export function strangerName(rng: Rng, db: PolicyDb): string {
  for (;;) {
    const name = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    if (db.byHolder(name).length === 0) return name;
  }
}
