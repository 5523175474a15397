/**
 * Agreement among human raters (and judges) who label the same items with nominal categories:
 * pairwise percent agreement, Fleiss' κ (a fixed number of raters per item), and Krippendorff's
 * α (any number of raters per item, so items some raters skipped still count). Cohen's κ for one
 * pair of raters is `agreement()` in agreement.ts. Each item is the list of labels it received.
 */

/** Share of agreeing pairs among all pairs of labels given to the same item (items with ≥ 2 labels). */
export function percentAgreement(items: ReadonlyArray<readonly string[]>): number | null {
  let pairs = 0;
  let agreeing = 0;
  for (const labels of items) {
    const m = labels.length;
    if (m < 2) continue;
    pairs += (m * (m - 1)) / 2;
    for (const c of counts(labels).values()) agreeing += (c * (c - 1)) / 2;
  }
  return pairs === 0 ? null : agreeing / pairs;
}

function counts(labels: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of labels) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

/**
 * Fleiss' κ for items each rated by the same number n ≥ 2 of raters:
 * κ = (P̄ − P̄ₑ) / (1 − P̄ₑ), with P̄ the mean per-item share of agreeing rater pairs and P̄ₑ the
 * chance agreement Σⱼ pⱼ² from the overall category shares. Null when undefined: no items, or
 * every label the same category (P̄ₑ = 1). Throws when items have different numbers of labels.
 */
export function fleissKappa(items: ReadonlyArray<readonly string[]>): number | null {
  if (items.length === 0) return null;
  const n = items[0]!.length;
  if (n < 2 || items.some((l) => l.length !== n)) throw new RangeError("fleissKappa: every item needs the same number (≥ 2) of labels");
  const total = new Map<string, number>();
  let meanP = 0;
  for (const labels of items) {
    let sq = 0;
    for (const [k, c] of counts(labels)) {
      sq += c * c;
      total.set(k, (total.get(k) ?? 0) + c);
    }
    meanP += (sq - n) / (n * (n - 1));
  }
  meanP /= items.length;
  let pe = 0;
  for (const c of total.values()) pe += (c / (items.length * n)) ** 2;
  return pe === 1 ? null : (meanP - pe) / (1 - pe);
}

/**
 * Krippendorff's α for nominal data: 1 − Dₒ/Dₑ, from the coincidence matrix of the pairable
 * labels (items with at least two; an item of m labels adds 1/(m − 1) per ordered pair), so
 * α = 1 − (n − 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k. Null when undefined: fewer than two
 * pairable labels, or one category throughout (Dₑ = 0).
 */
export function krippendorffAlpha(items: ReadonlyArray<readonly string[]>): number | null {
  const coincidence = new Map<string, number>();
  const nc = new Map<string, number>();
  let n = 0;
  for (const labels of items) {
    const m = labels.length;
    if (m < 2) continue;
    const c = counts(labels);
    for (const [a, ca] of c) {
      nc.set(a, (nc.get(a) ?? 0) + ca);
      n += ca;
      // Ordered pairs of distinct labels from different raters: ca · cb of them for a ≠ b.
      for (const [b, cb] of c) if (a !== b) coincidence.set(`${a}\u0000${b}`, (coincidence.get(`${a}\u0000${b}`) ?? 0) + (ca * cb) / (m - 1));
    }
  }
  if (n < 2) return null;
  let observed = 0;
  for (const v of coincidence.values()) observed += v;
  let sum = 0;
  let sumSq = 0;
  for (const t of nc.values()) {
    sum += t;
    sumSq += t * t;
  }
  const expected = sum * sum - sumSq; // Σ_{c≠k} n_c n_k
  return expected === 0 ? null : 1 - ((n - 1) * observed) / expected;
}
