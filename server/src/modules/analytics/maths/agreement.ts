/**
 * Agreement between an automated judge and reviewer labels:
 * the confusion matrix, raw accuracy, and Cohen's κ = (pₒ − pₑ)/(1 − pₑ), which discounts the
 * agreement two raters reach by chance given how often each uses each label — a judge that
 * says "correct" to everything scores high accuracy on a mostly-correct stream, and κ ≈ 0.
 */

export interface AgreementPair {
  judge: string;
  truth: string;
}

export interface Agreement {
  /** Category names: the order of the matrix's rows and columns. */
  labels: string[];
  /** matrix[t][j]: items the reviewers labelled labels[t] and the judge labels[j]. */
  matrix: number[][];
  n: number;
  accuracy: number | null;
  /** Null when undefined: no items, or both raters used one same label throughout (pₑ = 1). */
  kappa: number | null;
}

export function agreement(pairs: readonly AgreementPair[], labels?: readonly string[]): Agreement {
  const names = labels ? [...labels] : [...new Set(pairs.flatMap((p) => [p.truth, p.judge]))].sort();
  const index = new Map(names.map((l, i) => [l, i]));
  const k = names.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const p of pairs) {
    const t = index.get(p.truth);
    const j = index.get(p.judge);
    if (t === undefined || j === undefined) throw new RangeError(`agreement: label outside ${JSON.stringify(names)}`);
    matrix[t]![j]!++;
  }
  return agreementFromMatrix(names, matrix);
}

/** The same scores from a confusion matrix already counted (rows: truth, columns: judge). */
export function agreementFromMatrix(names: readonly string[], matrix: number[][]): Agreement {
  const k = names.length;
  let n = 0;
  for (const row of matrix) for (const v of row) n += v;
  const labels = [...names];
  if (n === 0) return { labels, matrix, n, accuracy: null, kappa: null };
  let diagonal = 0;
  for (let i = 0; i < k; i++) diagonal += matrix[i]![i]!;
  const po = diagonal / n;
  let chance = 0;
  for (let i = 0; i < k; i++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < k; j++) {
      row += matrix[i]![j]!;
      col += matrix[j]![i]!;
    }
    chance += col * row;
  }
  const pe = chance / n / n;
  return { labels, matrix, n, accuracy: po, kappa: pe === 1 ? null : (po - pe) / (1 - pe) };
}
