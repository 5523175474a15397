/**
 * Reads the incident date from an email: ISO, numeric, month-name and relative forms. Dotted
 * dates (the portal's `03.02.2025`) are deliberately not read by version 1 — it was written
 * before the portal existed — but it notices them and says it is unsure instead of "no date".
 */
import { addDays, isoDay, utcDay, WEEKDAYS, weekday } from "./dates.js";
import type { Reading } from "./model-output.js";
import type { ExtractParams } from "./params.js";
import { parseNumberWords } from "./text.js";

interface Candidate {
  date: string;
  confidence: number;
  why: string;
  index: number;
  /** The confidence table's key, when the confidence is that entry's. */
  kind?: string;
}

const MONTH_RE = "(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)";
const MONTH_INDEX: Readonly<Record<string, number>> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const ISO = /\b(\d{4})-(\d{2})-(\d{2})\b/g;
const NUMERIC = /\b(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})\b/g;
const MONTH_DAY = new RegExp(`\\b${MONTH_RE}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4}))?`, "gi");
const DAY_MONTH = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH_RE}\\b\\.?(?:,?\\s+(\\d{4}))?`, "gi");
const TODAY = /\b(today|this morning|earlier today)\b/gi;
const YESTERDAY = /\b(yesterday|last night)\b/gi;
const WEEKDAY = /\b(?:(?:on|last)\s+)?(sunday|monday|tuesday|wednesday|thursday|friday|saturday)\b/gi;
const DAYS_AGO = /\b(\d{1,2}|[a-z]+(?:-[a-z]+)?)\s+days\s+ago\b/gi;
const UNREADABLE = /\b\d{1,2}\.\d{1,2}\.\d{2,4}\b/;
const DOTTED = /\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b/g;

/** A day without a year is the most recent such day on or before the day the email arrived. */
function withYear(month: number, day: number, year: number | undefined, received: string): string | null {
  const recvYear = Number(received.slice(0, 4));
  let y = year ?? recvYear;
  let ms = utcDay(y, month, day);
  if (Number.isNaN(ms)) return null;
  if (year === undefined && isoDay(ms) > received) {
    y -= 1;
    ms = utcDay(y, month, day);
    if (Number.isNaN(ms)) return null;
  }
  return isoDay(ms);
}

function fullYear(y: string): number {
  return y.length === 2 ? 2000 + Number(y) : Number(y);
}

function candidates(body: string, received: string, params: ExtractParams): Candidate[] {
  const c = params.confidence.incidentDate;
  const out: Candidate[] = [];
  const add = (date: string | null, confidence: number, why: string, index: number, kind?: string): void => {
    if (date !== null) out.push({ date, confidence, why, index, ...(kind ? { kind } : {}) });
  };
  for (const m of body.matchAll(ISO)) add(withYear(Number(m[2]), Number(m[3]), Number(m[1]), received), c.iso, `"${m[0]}" (ISO)`, m.index, "iso");
  for (const m of body.matchAll(NUMERIC)) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    const y = fullYear(m[3]!);
    if (a > 12 && b <= 12) add(withYear(b, a, y, received), c.numeric, `"${m[0]}" (day first: ${a} > 12)`, m.index, "numeric");
    else if (b > 12 && a <= 12) add(withYear(a, b, y, received), c.numeric, `"${m[0]}" (month first: ${b} > 12)`, m.index, "numeric");
    else if (a === b) add(withYear(a, b, y, received), c.numeric, `"${m[0]}"`, m.index, "numeric");
    else {
      const [month, day] = params.dayFirst ? [b, a] : [a, b];
      const preferred = withYear(month, day, y, received);
      const other = withYear(day, month, y, received);
      // Only one reading in the past settles it: incidents are reported after they happen.
      if (preferred !== null && other !== null && preferred > received && other <= received) {
        add(other, c.numeric, `"${m[0]}" read ${params.dayFirst ? "month" : "day"} first (the other reading is in the future)`, m.index, "numeric");
      } else {
        add(preferred, c.numericAmbiguous, `"${m[0]}" read ${params.dayFirst ? "day" : "month"} first (ambiguous)`, m.index, "numericAmbiguous");
      }
    }
  }
  for (const m of body.matchAll(MONTH_DAY)) {
    const month = MONTH_INDEX[m[1]!.toLowerCase().slice(0, 3)]!;
    add(withYear(month, Number(m[2]), m[3] ? Number(m[3]) : undefined, received), c.monthName, `"${m[0]}"`, m.index, "monthName");
  }
  for (const m of body.matchAll(DAY_MONTH)) {
    const month = MONTH_INDEX[m[2]!.toLowerCase().slice(0, 3)]!;
    add(withYear(month, Number(m[1]), m[3] ? Number(m[3]) : undefined, received), c.monthName, `"${m[0]}"`, m.index, "monthName");
  }
  if (params.dottedDates) {
    // Learned from corrections (retrain.ts): the portal writes its dates in one fixed order.
    const { order, confidence } = params.dottedDates;
    for (const m of body.matchAll(DOTTED)) {
      const [a, b] = [Number(m[1]), Number(m[2])];
      const [day, month] = order === "dmy" ? [a, b] : [b, a];
      add(withYear(month, day, fullYear(m[3]!), received), confidence, `"${m[0]}" (dotted, ${order} as learned)`, m.index);
    }
  }
  for (const m of body.matchAll(TODAY)) add(received, c.relative, `"${m[0]}" = day received`, m.index, "relative");
  for (const m of body.matchAll(YESTERDAY)) add(addDays(received, -1), c.relative, `"${m[0]}" = day before received`, m.index, "relative");
  for (const m of body.matchAll(WEEKDAY)) {
    const wd = WEEKDAYS.findIndex((d) => d.toLowerCase() === m[1]!.toLowerCase());
    const back = (weekday(received) - wd + 7) % 7 || 7;
    add(addDays(received, -back), c.relative, `"${m[0]}" = most recent ${WEEKDAYS[wd]} before received`, m.index, "relative");
  }
  for (const m of body.matchAll(DAYS_AGO)) {
    const n = /^\d+$/.test(m[1]!) ? Number(m[1]) : parseNumberWords(m[1]!);
    if (n !== null && n <= 60) add(addDays(received, -n), c.relative, `"${m[0]}"`, m.index, "relative");
  }
  return out;
}

/** The line-start label before `index`, lower-cased, if that line is "label: value". */
function labelAt(body: string, index: number): string | null {
  const start = body.lastIndexOf("\n", index - 1) + 1;
  const m = /^\s*([A-Za-z][A-Za-z #.]{0,24}?)\s*:/.exec(body.slice(start, index + 1));
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * The incident date (`YYYY-MM-DD`) stated in `body`, read against the day the email arrived.
 * @example
 * readIncidentDate("It happened yesterday.", "2025-03-05T10:00:00Z", params).value; // "2025-03-04"
 */
export function readIncidentDate(body: string, receivedAt: string, params: ExtractParams): Reading<string | null> {
  const c = params.confidence.incidentDate;
  const received = isoDay(Date.parse(receivedAt));
  const found = candidates(body, received, params);
  if (found.length === 0) {
    // A date-shaped string we cannot read is not "no date": say so with a low confidence.
    const unreadable = UNREADABLE.exec(body);
    if (unreadable) return { value: null, confidence: c.unreadable, why: `date "${unreadable[0]}" not in a known format`, kind: "unreadable" };
    return { value: null, confidence: c.none, why: "no incident date stated", kind: "none" };
  }
  const labelled = found.filter((f) => {
    const label = labelAt(body, f.index);
    return label !== null && params.labels.incidentDate.includes(label);
  });
  const pool = labelled.length > 0 ? labelled : found;
  const best = [...pool].sort((a, b) => b.confidence - a.confidence || a.index - b.index)[0]!;
  let confidence = best.confidence;
  let why = `date ${best.why}${labelled.length > 0 ? " (labelled)" : ""}`;
  // A claim for an incident in the future means the reading is wrong, whatever the format.
  let kind = best.kind;
  if (best.date > received) {
    confidence *= 0.5;
    why += ", after the email arrived";
    kind = undefined;
  }
  const others = [...new Set(found.map((f) => f.date).filter((d) => d !== best.date))];
  if (others.length > 0) {
    confidence *= c.conflictFactor;
    why += `; other dates mentioned: ${others.join(", ")}`;
    return { value: best.date, confidence, why, alternatives: others };
  }
  return { value: best.date, confidence, why, ...(kind ? { kind } : {}) };
}
