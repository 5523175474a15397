#!/usr/bin/python3
"""
Reference values for golden/src/paired-tests.test.ts, computed with SciPy and statsmodels.

Run: `/usr/bin/python3 golden/scripts/make-stats-fixtures.py` (Debian's python3-scipy and
python3-statsmodels). It rewrites golden/src/fixtures/paired-tests.json deterministically.

- One trial per case: statsmodels' `mcnemar(table, exact=True)` (two-sided) and SciPy's
  `binomtest(new passes, discordant, 0.5, alternative="less")` (the one-sided test the executor
  decides by).
- Several trials per case: the exact conditional (stratified) test, as the convolution of each
  case's `scipy.stats.hypergeom` distribution, computed independently of the TypeScript code.
- Paired Brier differences: `scipy.stats.ttest_rel(current, baseline, alternative="greater")`.
"""
import json
import os

import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "fixtures", "paired-tests.json")
rng = np.random.default_rng(20261206)


def mcnemar_case(both_pass, new_fail, new_pass, both_fail):
    table = [[both_pass, new_fail], [new_pass, both_fail]]  # rows: baseline pass/fail; columns: current pass/fail
    r = mcnemar(table, exact=True)
    discordant = new_fail + new_pass
    lower = stats.binomtest(new_pass, discordant, 0.5, alternative="less").pvalue if discordant > 0 else 1.0
    upper = stats.binomtest(new_pass, discordant, 0.5, alternative="greater").pvalue if discordant > 0 else 1.0
    return {
        "table": table,
        "statsmodelsTwoSided": float(r.pvalue),
        "statsmodelsStatistic": float(r.statistic),
        "lower": float(lower),
        "upper": float(upper),
    }


def stratified(strata):
    """strata: [(n_cur, k_cur, n_base, k_base)]; the null distribution of sum k_cur."""
    dist = np.array([1.0])
    offset = 0
    observed = 0
    for n1, k1, n0, k0 in strata:
        observed += k1
        total, s = n1 + n0, k1 + k0
        lo, hi = max(0, s - n0), min(n1, s)
        support = np.arange(lo, hi + 1)
        # hypergeom(M=population, n=successes in it, N=draws): draws are the current run's trials.
        pmf = stats.hypergeom.pmf(support, total, s, n1)
        dist = np.convolve(dist, pmf)
        offset += lo
    at = observed - offset
    lower = float(dist[: at + 1].sum())
    upper = float(dist[at:].sum())
    return {"strata": [list(map(int, x)) for x in strata], "lower": min(1.0, lower), "upper": min(1.0, upper)}


def random_strata(cases, trials_cur, trials_base, p_base, shift):
    out = []
    for _ in range(cases):
        theta = rng.uniform(0.3, 1.0) if p_base is None else p_base
        k0 = int(rng.binomial(trials_base, theta))
        k1 = int(rng.binomial(trials_cur, min(1.0, max(0.0, theta - shift))))
        out.append((trials_cur, k1, trials_base, k0))
    return out


mcnemar_cases = [
    mcnemar_case(250, 5, 0, 65),  # five new failures, none fixed: the "small regression" that hid
    mcnemar_case(200, 65, 0, 20),  # a broken step
    mcnemar_case(300, 4, 0, 16),
    mcnemar_case(300, 3, 0, 17),
    mcnemar_case(280, 7, 5, 28),
    mcnemar_case(280, 12, 3, 25),
    mcnemar_case(100, 0, 0, 0),  # nothing changed
    mcnemar_case(50, 0, 9, 1),  # only fixes
    mcnemar_case(10, 40, 33, 10),
    mcnemar_case(0, 1, 0, 0),
]

stratified_cases = [
    {"name": "one trial each (McNemar)", **stratified([(1, 0, 1, 1)] * 5 + [(1, 1, 1, 1)] * 40 + [(1, 1, 1, 0)] * 1)},
    {"name": "3 trials, no change", **stratified(random_strata(40, 3, 3, None, 0.0))},
    {"name": "3 trials, a drop of 0.2", **stratified(random_strata(40, 3, 3, None, 0.2))},
    {"name": "5 trials against a 1-trial baseline", **stratified(random_strata(30, 5, 1, None, 0.1))},
    {"name": "2 trials against 4", **stratified(random_strata(25, 2, 4, 0.8, 0.0))},
    {"name": "10 trials, p = 0.9 vs 0.7", **stratified(random_strata(20, 10, 10, 0.9, 0.2))},
]

ttest_cases = []
for name, n, shift in [("no shift", 30, 0.0), ("small shift", 60, 0.01), ("large shift", 40, 0.05), ("down", 25, -0.03), ("tiny n", 3, 0.02)]:
    base = np.round(rng.beta(1, 12, size=n), 6)
    cur = np.round(np.clip(base + shift + rng.normal(0, 0.03, size=n), 0, 1), 6)
    r = stats.ttest_rel(cur, base, alternative="greater")
    ttest_cases.append({"name": name, "current": [float(x) for x in cur], "baseline": [float(x) for x in base], "t": float(r.statistic), "upper": float(r.pvalue)})

with open(OUT, "w") as f:
    json.dump(
        {
            "generator": f"make-stats-fixtures.py (scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, numpy {np.__version__})",
            "mcnemar": mcnemar_cases,
            "stratified": stratified_cases,
            "ttest": ttest_cases,
        },
        f,
        separators=(",", ":"),
    )
    f.write("\n")
print(f"wrote {os.path.relpath(OUT)}")
