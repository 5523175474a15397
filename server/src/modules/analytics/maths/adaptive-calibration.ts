import type { LabelledItem } from "./reliability.js";

/**
 * Adaptive (equal-mass) calibration error (Nixon et al. 2019, "Measuring Calibration in Deep
 * Learning"): the labels sorted by confidence and cut into bins holding equal numbers of them
 * (np.array_split), then Σ_b (W_b / W)·|acc_b − conf_b| as for ECE. Fixed-width bins put most
 * labels of a confident model into one or two bins and leave the rest nearly empty, so ECE
 * mostly measures those two; equal-mass bins give every region of the labels the same say.
 *
 * Needs the labelled items themselves (the analytics store keeps each applied label), not the
 * rollups' fixed bins. Weights (inverse inclusion probabilities) weigh accuracy and confidence
 * inside a bin and each bin's share; the cut itself is by count, as in the definition.
 */
export function adaptiveCalibrationError(items: readonly LabelledItem[], bins = 10): number | null {
  const n = items.length;
  if (n === 0) return null;
  // A stable sort by confidence (numpy argsort kind="stable"): ties keep their input order.
  const order = items.map((_, i) => i).sort((a, b) => items[a]!.confidence - items[b]!.confidence || a - b);
  let total = 0;
  for (const it of items) total += it.weight ?? 1;
  if (!(total > 0)) return null;
  // np.array_split: the first n % bins parts hold one more item.
  const base = Math.floor(n / bins);
  const extra = n % bins;
  let ace = 0;
  let start = 0;
  for (let b = 0; b < bins; b++) {
    const size = base + (b < extra ? 1 : 0);
    if (size === 0) continue;
    let w = 0;
    let wy = 0;
    let wc = 0;
    for (let k = start; k < start + size; k++) {
      const it = items[order[k]!]!;
      const wi = it.weight ?? 1;
      w += wi;
      wy += it.correct ? wi : 0;
      wc += wi * it.confidence;
    }
    start += size;
    if (w > 0) ace += (w / total) * Math.abs(wy / w - wc / w);
  }
  return ace;
}
