/**
 * The extract step: claim fields from an email. Each field is read separately with its own
 * evidence-based confidence; the step's confidence is their product, because the fields are
 * read from different parts of the email and fail for different reasons.
 */
import type { ClaimEmail, ClaimFields } from "./domain.js";
import { readAmount } from "./extract-amount.js";
import { readIncidentDate } from "./extract-date.js";
import { roundConfidence, type ModelOutput, type Reading } from "./model-output.js";
import type { ExtractParams } from "./params.js";
import { sameName, titleCase } from "./text.js";

const NAME = /^[A-Za-z][A-Za-z'-]+(?:\s+[A-Za-z][A-Za-z'-]+){1,2}$/;
const SIGNOFF = /^\s*(thanks|thank you|cheers|regards|kind regards|best regards|best|sincerely|thx)\s*[,.!]*\s*$/i;
const GREETING = /^\s*(hi|hello|hey|dear|to whom|good (morning|afternoon))\b/i;
const LABEL = /^\s*([A-Za-z][A-Za-z #.]{0,24}?)\s*:\s*(.*)$/;

/** The display name of a From header, "Last, First" turned around; null for a bare address. */
function displayName(from: string): string | null {
  const m = /^\s*"?([^"<]*?)"?\s*<[^>]*>\s*$/.exec(from);
  if (!m) return null;
  let name = m[1]!.trim();
  if (name.includes(","))
    name = name
      .split(",")
      .map((s) => s.trim())
      .reverse()
      .join(" ");
  return NAME.test(name) ? titleCase(name) : null;
}

function signatureName(lines: readonly string[]): string | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!SIGNOFF.test(lines[i]!)) continue;
    const next = lines
      .slice(i + 1)
      .find((l) => l.trim().length > 0)
      ?.trim();
    return next !== undefined && NAME.test(next) ? titleCase(next) : null;
  }
  // Short emails skip the sign-off: a last line that is just a name is a signature too.
  const filled = lines.map((l) => l.trim()).filter((l) => l.length > 0);
  const last = filled[filled.length - 1];
  return filled.length > 1 && last !== undefined && NAME.test(last) ? titleCase(last) : null;
}

function labelled(lines: readonly string[], labels: readonly string[]): string | null {
  for (const line of lines) {
    const m = LABEL.exec(line);
    if (m && labels.includes(m[1]!.toLowerCase()) && m[2]!.trim().length > 0) return m[2]!.trim();
  }
  return null;
}

function readClaimant(email: ClaimEmail, lines: readonly string[], params: ExtractParams): Reading<string | null> {
  const c = params.confidence.claimant;
  const header = displayName(email.from);
  const formValue = labelled(lines, params.labels.claimant);
  const form = formValue !== null && NAME.test(formValue) ? titleCase(formValue) : null;
  const signature = signatureName(lines);
  if (form !== null) {
    if (header !== null && sameName(header, form))
      return { value: form, confidence: c.labelAgrees, why: "claimant from a Name field and the From header", kind: "labelAgrees" };
    return {
      value: form,
      confidence: c.labelOnly,
      why: `claimant from a Name field${header ? ` (From header says ${header})` : ""}`,
      kind: "labelOnly",
      ...(header ? { alternatives: [header] } : {}),
    };
  }
  if (header !== null && signature !== null) {
    if (sameName(header, signature))
      return { value: header, confidence: c.headerAndSignature, why: "claimant from the From header and the signature", kind: "headerAndSignature" };
    return {
      value: signature,
      confidence: c.conflict,
      why: `signature (${signature}) and From header (${header}) disagree`,
      alternatives: [header],
      kind: "conflict",
    };
  }
  if (header !== null) return { value: header, confidence: c.headerOnly, why: "claimant from the From header only", kind: "headerOnly" };
  if (signature !== null) return { value: signature, confidence: c.signatureOnly, why: "claimant from the signature only", kind: "signatureOnly" };
  return { value: null, confidence: c.none, why: "no claimant name found", kind: "none" };
}

const PREFIXED = /\b(P[O0]L)([\s\-#.:]*)(\d{3})[\s-]?(\d{4})\b/gi;
const AFTER_WORD = /\bpolicy\b[^\d\n]{0,25}?(\d{3})[\s-]?(\d{4})\b/gi;
const BARE = /(?<![\w-])(\d{7})(?![\d-])/g;

function readPolicyNo(text: string, params: ExtractParams): Reading<string | null> {
  const c = params.confidence.policyNo;
  const found = new Map<string, { confidence: number; why: string; kind: string }>();
  const add = (digits: string, kind: "canonical" | "prefixed" | "ocr" | "afterWord" | "bare", why: string): void => {
    const confidence = c[kind];
    const seen = found.get(digits);
    if (!seen || seen.confidence < confidence) found.set(digits, { confidence, why, kind });
  };
  for (const m of text.matchAll(PREFIXED)) {
    const [, prefix, sep] = m as unknown as [string, string, string];
    const kind = prefix.includes("0") ? "ocr" : prefix === "POL" && sep === "-" ? "canonical" : "prefixed";
    add(m[3]! + m[4]!, kind, `policy "${m[0]}"${prefix.includes("0") ? " (0 read as O)" : ""}`);
  }
  for (const m of text.matchAll(AFTER_WORD)) add(m[1]! + m[2]!, "afterWord", `policy number after the word "policy"`);
  if (found.size === 0) for (const m of text.matchAll(BARE)) add(m[1]!, "bare", `bare 7-digit number "${m[1]}" (no policy cue)`);
  if (found.size === 0) return { value: null, confidence: c.none, why: "no policy number found", kind: "none" };
  const ranked = [...found.entries()].sort((a, b) => b[1].confidence - a[1].confidence);
  const [digits, best] = ranked[0]!;
  if (ranked.length === 1) return { value: `POL-${digits}`, confidence: best.confidence, why: best.why, kind: best.kind };
  const others = ranked.slice(1).map(([d]) => `POL-${d}`);
  return {
    value: `POL-${digits}`,
    confidence: best.confidence * c.conflictFactor,
    why: `${best.why}; other numbers: ${others.join(", ")}`,
    alternatives: others,
  };
}

/** The narrative: the body without greeting, sign-off, signature and labelled field lines. */
function describe(lines: readonly string[], params: ExtractParams): string {
  const known = new Set([...params.labels.claimant, ...params.labels.policyNo, ...params.labels.incidentDate, ...params.labels.amount, ...params.labels.other]);
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (SIGNOFF.test(line)) break;
    if (line.length === 0 || (i === 0 && GREETING.test(line))) continue;
    const m = LABEL.exec(line);
    if (m && known.has(m[1]!.toLowerCase())) continue;
    kept.push(line);
  }
  return kept.join(" ").replace(/\s+/g, " ").trim();
}

/** Each structured field's reading, with the kind of evidence behind it (what retraining calibrates). */
export interface FieldReadings {
  claimant: Reading<string | null>;
  policyNo: Reading<string | null>;
  incidentDate: Reading<string | null>;
  amount: Reading<number | null>;
}

/** Reads the four structured fields of an email. */
export function readFields(email: ClaimEmail, params: ExtractParams): FieldReadings {
  const lines = email.body.split(/\r?\n/);
  return {
    claimant: readClaimant(email, lines, params),
    // The subject often carries the policy number ("Claim for policy POL-…"): read both.
    policyNo: readPolicyNo(`${email.body}\n${email.subject}`, params),
    incidentDate: readIncidentDate(email.body, email.receivedAt, params),
    amount: readAmount(email.body, params),
  };
}

/**
 * Extracts the claim fields from an email.
 * @example
 * const r = extractClaim(email, defaultModelParams.extract);
 * r.value.policyNo; r.confidence; r.reasoning;
 */
export function extractClaim(email: ClaimEmail, params: ExtractParams): ModelOutput<ClaimFields> {
  const lines = email.body.split(/\r?\n/);
  const { claimant, policyNo, incidentDate, amount } = readFields(email, params);
  const value: ClaimFields = {
    claimant: claimant.value,
    policyNo: policyNo.value,
    incidentDate: incidentDate.value,
    amount: amount.value,
    description: describe(lines, params),
  };
  const alternatives: ClaimFields[] = [];
  for (const alt of claimant.alternatives ?? []) alternatives.push({ ...value, claimant: alt });
  for (const alt of policyNo.alternatives ?? []) alternatives.push({ ...value, policyNo: alt });
  for (const alt of incidentDate.alternatives ?? []) alternatives.push({ ...value, incidentDate: alt });
  for (const alt of amount.alternatives ?? []) alternatives.push({ ...value, amount: alt });

  const features: Record<string, number | string | boolean> = {
    bodyLength: email.body.length,
    hasPolicyNo: value.policyNo !== null,
    hasDate: value.incidentDate !== null,
    hasAmount: value.amount !== null,
  };
  if (value.amount !== null) features.amount = value.amount;
  const out: ModelOutput<ClaimFields> = {
    value,
    confidence: roundConfidence(claimant.confidence * policyNo.confidence * incidentDate.confidence * amount.confidence),
    reasoning: [claimant.why, policyNo.why, incidentDate.why, amount.why].join("; "),
    features,
  };
  if (alternatives.length > 0) out.alternatives = alternatives.slice(0, 3);
  return out;
}
