/**
 * Version 1 of the models: hand-written before the insurer sold cyber cover or opened its web
 * portal. Its confidences were set by measuring each evidence kind on shift-0 traffic; they are
 * honest there and drift with the traffic, which is the point of the demo.
 */
import type { ModelParams } from "./params.js";

/** Keyword weights per claim type. Words, not stems: `classify` stems them once when first used. */
const CLASSIFY_WEIGHTS = {
  auto: {
    car: 2, vehicle: 2, driver: 1.5, driving: 1, collided: 2, collision: 2, "rear-ended": 2.5, rear: 1, bumper: 2.5,
    windshield: 2, fender: 2.5, headlight: 2, "tail": 1, highway: 1.5, intersection: 1.5, road: 1, towed: 2,
    parked: 1, parking: 1.5, guardrail: 2, airbags: 2.5, hood: 1.5, mirror: 1, lanes: 1.5, truck: 1, stop: 0.5,
  },
  property: {
    house: 2, home: 1.5, roof: 2, leak: 1.5, leaked: 1.5, water: 1, flooded: 2, flood: 2, pipe: 2, burst: 1.5,
    fire: 2, smoke: 2, kitchen: 1.5, ceiling: 1.5, basement: 2, storm: 1.5, tree: 1, fence: 2, garage: 1,
    mold: 2, furniture: 1.5, carpet: 1.5, jewelry: 2, broke: 0.5, stolen: 1, stole: 1, took: 0.5, walls: 1,
    cabinets: 2, stove: 1.5, heater: 2, hallway: 1.5, window: 0.5, laptop: 0.5, hail: 1, winds: 1.5, floor: 1,
  },
  health: {
    hospital: 2, doctor: 2, surgery: 2.5, clinic: 2, emergency: 1, treatment: 1.5, prescription: 2, prescribed: 2,
    medication: 2, pharmacy: 2.5, physiotherapy: 2.5, therapist: 2, injury: 1, stitches: 2.5, "x-ray": 2,
    wrist: 1.5, knee: 1.5, ankle: 1, dentist: 2.5, dental: 2.5, tooth: 2, ambulance: 1.5, admitted: 1.5,
    infection: 1.5, antibiotics: 2, "urgent": 1, care: 0.5, bill: 0.5, sick: 0.5, drip: 1.5, poisoning: 1,
  },
  travel: {
    flight: 2.5, flights: 2.5, airline: 2.5, airport: 2, luggage: 2.5, baggage: 2.5, trip: 2, vacation: 2,
    holiday: 1.5, hotel: 1.5, booking: 2, "non-refundable": 2, passport: 2.5, cancelled: 1.5, canceled: 1.5,
    delayed: 1.5, connecting: 1.5, ticket: 1.5, abroad: 1.5, skiing: 1, toiletries: 2, cruise: 2,
  },
  liability: {
    neighbour: 2, neighbor: 2, sue: 2.5, lawsuit: 2.5, lawyer: 2.5, customer: 1.5, slipped: 2, tripped: 2,
    visitor: 2, responsible: 2, injuries: 1, bit: 2, dog: 1.5, "delivery": 1, steps: 1, threatening: 1.5,
    owner: 1, below: 1, "pay": 0.5, letter: 1, kid: 1, son: 0.5,
  },
} as const;

/** Frozen all the way down: a retraining job derives a new version from a copy, never edits this one. */
function deepFreeze<T>(o: T): T {
  if (typeof o === "object" && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * The default model parameters (version "1"). Frozen; derive a new version from
 * `structuredClone(defaultModelParams)`.
 * @example
 * const v2 = structuredClone(defaultModelParams);
 * v2.version = "2";
 * v2.classify.weights.cyber = { ransomware: 3, phished: 3, hacker: 3 };
 * const wf = claimsWorkflow(st, { params: v2 });
 */
export const defaultModelParams: ModelParams = deepFreeze({
  version: "1",
  extract: {
    amountCues: {
      cost: 2, costs: 2, quote: 2, estimate: 2, estimated: 2, claim: 1.5, claiming: 2, total: 1.5, bill: 1.5,
      repair: 1, damage: 1, amount: 2, came: 0.5, charged: 1, invoice: 1.5, claimed: 1,
      deductible: -3, premium: -3, year: -1.5, worth: -2, last: -0.5, reference: -1, paid: -0.5,
    },
    labels: {
      claimant: ["name", "full name", "claimant"],
      policyNo: ["policy number", "policy no", "policy no.", "policy", "policy #"],
      incidentDate: ["date of incident", "incident date", "date of loss", "date"],
      amount: ["estimated cost", "amount claimed", "repair estimate", "claim amount", "total", "amount"],
      other: ["email", "reference", "phone"],
    },
    dayFirst: false,
    confidence: {
      claimant: { labelAgrees: 0.99, labelOnly: 0.9, headerAndSignature: 0.99, headerOnly: 0.97, signatureOnly: 0.96, conflict: 0.6, none: 0.95 },
      policyNo: { canonical: 0.995, prefixed: 0.99, ocr: 0.97, afterWord: 0.99, bare: 0.6, none: 0.97, conflictFactor: 0.6 },
      incidentDate: { iso: 0.995, monthName: 0.99, numeric: 0.99, numericAmbiguous: 0.93, relative: 0.98, none: 0.97, unreadable: 0.4, conflictFactor: 0.6 },
      amount: { labelled: 0.99, cued: 0.98, uncued: 0.95, words: 0.95, oddFormat: 0.45, none: 0.95, onlyOtherFigures: 0.75, conflictFactor: 0.7 },
    },
  },
  classify: {
    weights: CLASSIFY_WEIGHTS,
    bias: { auto: 0.3, property: 0.2, health: 0, travel: 0, liability: 0 },
    temperature: 1.4,
  },
  matchPolicy: {
    confidence: {
      exactWithName: 0.96,
      exactNoName: 0.97,
      exactNameMismatch: 0.9,
      fuzzyWithName: 0.97,
      fuzzyNoName: 0.6,
      nameUnique: 0.95,
      nameAmbiguous: 0.9,
      noneAfterNumber: 0.9,
      noneNothingToGoOn: 0.8,
    },
  },
  reserve: {
    standardLoss: { auto: 3_500, property: 8_000, health: 2_500, travel: 1_500, liability: 10_000, cyber: 20_000 },
    confidence: {
      stated: 0.96,
      capped: 0.97,
      standard: 0.15,
      standardCapped: 0.6,
      noPolicy: 0.8,
      // Measured: a matched policy that does not cover the type almost always means a wrong type
      // or a wrongly quoted policy upstream.
      notCovered: 0.1,
      lapsed: 0.97,
      unknownDateFactor: 0.8,
    },
  },
  // A zero reserve is right less than half the time on shift-0 traffic: most zeros come from an
  // upstream mismatch, not from an uncovered claim.
  route: { boundaryLogMargin: 0.2, far: 0.97, atBoundary: 0.8, zero: 0.45 },
});
