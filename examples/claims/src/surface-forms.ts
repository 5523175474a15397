/**
 * The many ways people write the same amount, date or policy number. The generator renders a
 * known value in one of these forms; the extractor has to read it back. Forms marked "shifted"
 * are rare at shift 0 and common at shift 1: the version-1 extractor reads them badly, which is
 * the drift the demo shows.
 */
import { daysBetween, MONTHS, WEEKDAYS, weekday } from "./dates.js";
import type { Rng } from "./prng.js";

export type AmountStyle =
  | "dollar-commas" // $1,234
  | "dollar-plain" // $1234
  | "dollar-cents" // $1,234.50
  | "usd-suffix" // 1234 USD
  | "usd-prefix" // USD 1,234
  | "dollars-word" // 1,234 dollars
  | "k" // $1.2k (round amounts only)
  | "words" // twelve hundred dollars (round amounts only)
  | "euro-format"; // 1.234,50 USD — shifted: the portal writes amounts European style

const ONES = [
  "",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

function below100(n: number): string {
  if (n < 20) return ONES[n]!;
  const t = TENS[Math.floor(n / 10)]!;
  return n % 10 === 0 ? t : `${t}-${ONES[n % 10]}`;
}

/** English words for a multiple of 100 below 100,000 ("twelve hundred" for 1,100–1,900 half the time). */
export function amountInWords(n: number, rng: Rng): string {
  if (n % 100 !== 0 || n <= 0 || n >= 100_000) throw new RangeError(`no words for ${n}`);
  if (n > 1_000 && n < 2_000 && rng.chance(0.5)) return `${below100(n / 100)} hundred`;
  const thousands = Math.floor(n / 1_000);
  const hundreds = (n % 1_000) / 100;
  const parts: string[] = [];
  if (thousands > 0) parts.push(`${below100(thousands)} thousand`);
  if (hundreds > 0) parts.push(`${ONES[hundreds]} hundred`);
  return parts.join(" ");
}

function commas(n: number): string {
  return Math.trunc(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function cents(n: number): string {
  return Math.round((n % 1) * 100)
    .toString()
    .padStart(2, "0");
}

/** True when `style` can express `amount` exactly. */
export function amountStyleFits(style: AmountStyle, amount: number): boolean {
  const whole = Number.isInteger(amount);
  switch (style) {
    case "k":
      return amount >= 1_000 && amount % 100 === 0;
    case "words":
      return amount % 100 === 0 && amount > 0 && amount < 100_000;
    case "dollar-cents":
    case "euro-format":
      return true;
    default:
      return whole;
  }
}

/** Renders an amount; callers check `amountStyleFits` first. */
export function renderAmount(amount: number, style: AmountStyle, rng: Rng): string {
  switch (style) {
    case "dollar-commas":
      return `$${commas(amount)}`;
    case "dollar-plain":
      return `$${amount}`;
    case "dollar-cents":
      return `$${commas(amount)}.${cents(amount)}`;
    case "usd-suffix":
      return `${amount} USD`;
    case "usd-prefix":
      return `USD ${commas(amount)}`;
    case "dollars-word":
      return `${commas(amount)} dollars`;
    case "k":
      return `$${(amount / 1_000).toString()}k`;
    case "words":
      return `${amountInWords(amount, rng)} dollars`;
    case "euro-format":
      return `${commas(amount).replace(/,/g, ".")},${cents(amount)} USD`;
  }
}

export type DateStyle =
  | "iso" // 2025-02-03
  | "us-numeric" // 02/03/2025
  | "us-short" // 2/3/25
  | "month-day" // February 3
  | "month-day-year" // February 3rd, 2025
  | "day-month-year" // 3 February 2025
  | "abbr" // Feb 3
  | "relative" // yesterday, last Tuesday, 4 days ago
  | "dmy-numeric" // 03/02/2025 — shifted: day first, as written outside the US
  | "dotted"; // 03.02.2025 — shifted: the portal's format

/** How a date reads on its own (after a label) and inside a sentence. */
export interface DateText {
  bare: string;
  inline: string;
}

function ordinal(d: number): string {
  if (d % 100 >= 11 && d % 100 <= 13) return `${d}th`;
  return `${d}${["th", "st", "nd", "rd"][d % 10] ?? "th"}`;
}

const pad = (n: number): string => n.toString().padStart(2, "0");

/** True when a relative phrase can name `date` as seen from `received` (up to two weeks back). */
export function relativeFits(date: string, received: string): boolean {
  const ago = daysBetween(date, received);
  return ago >= 0 && ago <= 14;
}

/** Renders `date` (`YYYY-MM-DD`) as seen by someone writing on day `received`. */
export function renderDate(date: string, received: string, style: DateStyle, rng: Rng): DateText {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const month = MONTHS[m - 1]!;
  const on = (s: string): DateText => ({ bare: s, inline: `on ${s}` });
  switch (style) {
    case "iso":
      return on(date);
    case "us-numeric":
      return on(`${pad(m)}/${pad(d)}/${y}`);
    case "us-short":
      return on(`${m}/${d}/${y % 100}`);
    case "month-day":
      return on(`${month} ${d}`);
    case "month-day-year":
      return on(`${month} ${ordinal(d)}, ${y}`);
    case "day-month-year":
      return on(`${d} ${month} ${y}`);
    case "abbr":
      return on(`${month.slice(0, 3)} ${rng.chance(0.5) ? ordinal(d) : d}`);
    case "dmy-numeric":
      return on(`${pad(d)}/${pad(m)}/${y}`);
    case "dotted":
      return on(`${pad(d)}.${pad(m)}.${y}`);
    case "relative": {
      const ago = daysBetween(date, received);
      if (ago === 0) return { bare: "today", inline: rng.pick(["this morning", "earlier today"]) };
      if (ago === 1) return { bare: "yesterday", inline: rng.pick(["yesterday", "last night", "yesterday afternoon"]) };
      if (ago <= 6) {
        const day = WEEKDAYS[weekday(date)]!;
        // "on Tuesday" and "last Tuesday" both mean the most recent Tuesday before today.
        return rng.chance(0.5) ? { bare: `last ${day}`, inline: `last ${day}` } : { bare: day, inline: `on ${day}` };
      }
      const n = rng.chance(0.5) ? String(ago) : below100(ago);
      return { bare: `${n} days ago`, inline: `${n} days ago` };
    }
  }
}

export type PolicyStyle =
  | "canonical" // POL-1234567
  | "lower-space" // pol 1234567
  | "hash" // #1234567 after the word policy
  | "split" // 123-4567 after the word policy
  | "spaced" // POL 123 4567
  | "ocr" // P0L-1234567 (zero for O: pasted from a scanned card)
  | "bare"; // 1234567 — shifted: the portal drops the prefix

/** Renders a canonical `POL-1234567` number in one of the forms customers use. */
export function renderPolicyNo(policyNo: string, style: PolicyStyle): string {
  const digits = policyNo.slice(4);
  switch (style) {
    case "canonical":
      return policyNo;
    case "lower-space":
      return `pol ${digits}`;
    case "hash":
      return `#${digits}`;
    case "split":
      return `${digits.slice(0, 3)}-${digits.slice(3)}`;
    case "spaced":
      return `POL ${digits.slice(0, 3)} ${digits.slice(3)}`;
    case "ocr":
      return `P0L-${digits}`;
    case "bare":
      return digits;
  }
}
