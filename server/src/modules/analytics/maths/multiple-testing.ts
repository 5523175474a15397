/**
 * Benjamini–Hochberg (1995) adjusted p-values, as statsmodels' `multipletests(p, method="fdr_bh")`:
 * sorted ascending, p₍ᵢ₎ · m / i, made monotone from the largest down, capped at 1. Rejecting
 * where the adjusted value is below α keeps the expected share of false discoveries among the
 * rejections at most α (for independent or positively dependent tests), and when every null
 * holds, the chance of any rejection at most α: what keeps many drift series evaluated together
 * from alerting by chance. Null p-values (no test) stay null and do not count in m.
 */
export function benjaminiHochberg(pvalues: readonly (number | null)[]): (number | null)[] {
  const idx = pvalues.map((p, i) => [p, i] as const).filter((x): x is readonly [number, number] => x[0] !== null);
  const m = idx.length;
  const out: (number | null)[] = pvalues.map(() => null);
  if (m === 0) return out;
  idx.sort((a, b) => a[0] - b[0]);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const [p, i] = idx[r]!;
    running = Math.min(running, (p * m) / (r + 1));
    out[i] = Math.min(1, running);
  }
  return out;
}
