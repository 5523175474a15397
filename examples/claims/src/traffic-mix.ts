/**
 * The input distribution of the synthetic traffic, as a function of one drift knob.
 */

/**
 * What `shift` changes, and how much. At 0 the traffic the version-1 models were tuned on; at 1
 * a month after the insurer launched cyber cover and a web portal, with bigger claims and
 * messier senders. Every knob moves linearly, so drift grows smoothly with `shift`.
 */
export interface TrafficMix {
  /** Share of cyber claims (the product line launched after the version-1 models). */
  cyberShare: number;
  /** Share of emails from the web portal (a layout the version-1 extractor never saw). */
  portalShare: number;
  /** Multiplier on the median loss of every type. */
  lossScale: number;
  /** Chance that a word of the narrative has a typo. */
  typoRate: number;
  missingPolicyNo: number;
  missingAmount: number;
  missingDate: number;
  /** Chance the sender writes numeric dates day first (03/02 for 3 February). */
  dayFirstDates: number;
  /** Chance a customer mistypes their policy number. */
  policyTypo: number;
  /** Chance a narrative is worded like another claim type. */
  misleading: number;
  /** Relative weight of spelled-out amounts among the amount styles (out of about 100). */
  wordAmounts: number;
}

/** The traffic mix at `shift` in [0, 1] (clamped). */
export function trafficMix(shift: number): TrafficMix {
  const s = Math.min(1, Math.max(0, Number.isFinite(shift) ? shift : 0));
  return {
    cyberShare: 0.04 + 0.26 * s,
    portalShare: 0.035 + 0.3 * s,
    lossScale: 1 + 1.5 * s,
    typoRate: 0.015 + 0.06 * s,
    missingPolicyNo: 0.08 + 0.12 * s,
    missingAmount: 0.08 + 0.1 * s,
    missingDate: 0.1 + 0.08 * s,
    dayFirstDates: 0.05 + 0.3 * s,
    policyTypo: 0.04 + 0.04 * s,
    misleading: 0.1,
    wordAmounts: 6 + 10 * s,
  };
}
