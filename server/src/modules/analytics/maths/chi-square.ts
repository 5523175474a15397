import { gammaQ } from "./gamma.js";

/**
 * Pearson's chi-square test of homogeneity on a contingency table, as
 * `scipy.stats.chi2_contingency(table, correction=…)`: expected counts from the margins,
 * dof = (r−1)(c−1), Yates' continuity correction only when dof = 1 and `correction` is on
 * (SciPy's default; the drift job compares categories, dof > 1, where it never applies).
 *
 * The p-value is the regularized upper incomplete gamma Q(dof/2, χ²/2) (gamma.ts), computed as
 * Q itself rather than 1 − CDF, which would lose every digit of the tiny p-values large drifts
 * produce.
 */

export interface ChiSquareResult {
  statistic: number;
  pvalue: number;
  dof: number;
}

/** Upper tail of the chi-square distribution with `dof` degrees of freedom. */
export function chiSquareSf(x: number, dof: number): number {
  if (!(x > 0)) return 1;
  return gammaQ(dof / 2, x / 2);
}

/**
 * Rows are samples (baseline, current), columns categories. Throws on an expected count of 0
 * (a row or column of zeros), as SciPy does: drop empty categories first ({@link dropEmpty}).
 */
export function chiSquareContingency(table: readonly (readonly number[])[], options: { correction?: boolean } = {}): ChiSquareResult {
  const r = table.length;
  const c = table[0]?.length ?? 0;
  if (r === 0 || c === 0 || table.some((row) => row.length !== c)) throw new RangeError("chiSquareContingency needs a non-empty rectangular table");
  const rows = table.map((row) => row.reduce((s, v) => s + v, 0));
  const cols = Array.from({ length: c }, (_, j) => table.reduce((s, row) => s + row[j]!, 0));
  const total = rows.reduce((s, v) => s + v, 0);
  const dof = (r - 1) * (c - 1);
  if (dof === 0) return { statistic: 0, pvalue: 1, dof };
  const yates = dof === 1 && (options.correction ?? true);
  let statistic = 0;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const expected = (rows[i]! * cols[j]!) / total;
      if (!(expected > 0)) throw new RangeError(`chiSquareContingency: expected count 0 at [${i}][${j}]`);
      let observed = table[i]![j]!;
      if (yates) {
        // Move each observed count half a unit toward its expectation, never past it.
        const diff = expected - observed;
        observed += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      statistic += ((observed - expected) * (observed - expected)) / expected;
    }
  }
  return { statistic, pvalue: chiSquareSf(statistic, dof), dof };
}

/** The table without all-zero columns and rows (categories nobody saw, an empty sample). */
export function dropEmpty(table: readonly (readonly number[])[]): number[][] {
  const keepCols = (table[0] ?? []).map((_, j) => table.some((row) => row[j]! > 0));
  return table.filter((row) => row.some((v) => v > 0)).map((row) => row.filter((_, j) => keepCols[j]));
}
