/**
 * The parameters of the heuristic models, versioned together. Everything a model "knows" lives
 * here as plain JSON — keyword weights, cue words, labels, the confidence it assigns to each kind
 * of evidence — so a retraining job can derive a new version from reviewer corrections (count
 * which words sit next to corrected values, which keywords occur in corrected claim types, how
 * often each evidence kind turned out right) without touching model code.
 */
import type { ClaimType } from "./domain.js";

/** Parameters of the extractor. */
export interface ExtractParams {
  /**
   * Words near an amount that make it the amount claimed (positive) or some other figure
   * (negative). Learnable by counting words around corrected vs. rejected amounts.
   */
  amountCues: Record<string, number>;
  /** Line labels (lower case, before a colon) that introduce each field. */
  labels: { claimant: string[]; policyNo: string[]; incidentDate: string[]; amount: string[]; other: string[] };
  /** Read `03/04/2025` as 3 April (true) or 4 March (false) when both readings are valid. */
  dayFirst: boolean;
  /**
   * How to read dotted dates (`03.02.2025`), and how often that reading proved right. Absent in
   * version 1, which predates the portal that writes them: learned from corrected dates.
   */
  dottedDates?: { order: "dmy" | "mdy"; confidence: number } | null;
  /**
   * Read `1.234,50` as 1234.50 (decimal comma), with this confidence. Absent in version 1:
   * learned from corrected amounts.
   */
  decimalComma?: { confidence: number } | null;
  /**
   * The probability each kind of evidence gives the right field value. Learnable as the
   * observed accuracy per evidence kind on labelled outputs.
   */
  confidence: {
    claimant: { labelAgrees: number; labelOnly: number; headerAndSignature: number; headerOnly: number; signatureOnly: number; conflict: number; none: number };
    policyNo: { canonical: number; prefixed: number; ocr: number; afterWord: number; bare: number; none: number; conflictFactor: number };
    incidentDate: {
      iso: number;
      monthName: number;
      numeric: number;
      numericAmbiguous: number;
      relative: number;
      none: number;
      unreadable: number;
      conflictFactor: number;
    };
    amount: {
      labelled: number;
      cued: number;
      uncued: number;
      words: number;
      oddFormat: number;
      none: number;
      onlyOtherFigures: number;
      conflictFactor: number;
    };
  };
}

/** Parameters of the classifier: a linear model over word stems, softmax over claim types. */
export interface ClassifyParams {
  /**
   * Per claim type, stem → weight (log-odds-like). A type with no entry is never predicted:
   * version 1 predates cyber cover. Learnable by counting stems per corrected type.
   */
  weights: Partial<Record<ClaimType, Record<string, number>>>;
  /** Per-type bias (log prior). */
  bias: Partial<Record<ClaimType, number>>;
  /** Softmax temperature: higher spreads probability, lowering confidence. Fitted on labels. */
  temperature: number;
}

/** Parameters of the policy matcher: the confidence of each way of finding a policy. */
export interface MatchPolicyParams {
  confidence: {
    exactWithName: number;
    exactNoName: number;
    exactNameMismatch: number;
    fuzzyWithName: number;
    fuzzyNoName: number;
    nameUnique: number;
    /** Divided by the number of namesake policies. */
    nameAmbiguous: number;
    noneAfterNumber: number;
    noneNothingToGoOn: number;
  };
}

/** Parameters of the reserve estimator. */
export interface ReserveParams {
  /** The loss assumed when the email states no amount (an average-value reserve), USD. */
  standardLoss: Record<ClaimType, number>;
  confidence: {
    stated: number;
    capped: number;
    standard: number;
    standardCapped: number;
    noPolicy: number;
    notCovered: number;
    lapsed: number;
    /** Multiplier when the incident date is unknown (the in-force check was skipped). */
    unknownDateFactor: number;
  };
}

/** Parameters of the router. */
export interface RouteParams {
  /** Within this log-ratio of a band boundary, the route could flip with a refined reserve. */
  boundaryLogMargin: number;
  /** Confidence far from any boundary, and at a boundary (linear in between). */
  far: number;
  atBoundary: number;
  /** Confidence when the reserve is zero. */
  zero: number;
}

/** All the models' parameters. `version` is recorded as the workflow version. */
export interface ModelParams {
  version: string;
  extract: ExtractParams;
  classify: ClassifyParams;
  matchPolicy: MatchPolicyParams;
  reserve: ReserveParams;
  route: RouteParams;
}
