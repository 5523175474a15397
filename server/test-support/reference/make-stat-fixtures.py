#!/usr/bin/python3
"""
Reference values for the statistics of drift verdicts, Learn-then-Test thresholds, trend tests
and adaptive calibration error (server/src/modules/analytics/maths/*.test.ts).

Run with the Debian Python, which has statsmodels (python3-statsmodels, python3-scipy):
`/usr/bin/python3 server/test-support/reference/make-stat-fixtures.py`. make-fixtures.py beside it
needs a newer SciPy (isotonic_regression) and writes the other files. Deterministic (seeded RNG).

SciPy is the reference for the binomial tails (binom.cdf, betainc for fractional counts),
wasserstein_distance and jensenshannon; statsmodels for Clopper-Pearson intervals
(proportion_confint, method='beta'), Benjamini-Hochberg (multipletests, 'fdr_bh') and the
quasi-binomial trend test (a binomial GLM with the Pearson dispersion, scale='X2', t tests).
The adaptive (equal-mass) calibration error has no library function: it is written here in NumPy
as Nixon et al. (2019) define it (np.array_split of the labels sorted by confidence).
"""
import json
import os

import numpy as np
import scipy
import statsmodels
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261207)


def write(name, cases):
    path = os.path.join(HERE, name)
    gen = f"make-stat-fixtures.py (scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, numpy {np.__version__})"
    with open(path, "w") as f:
        json.dump({"generator": gen, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


def fl(a):
    return [float(x) for x in a]


def simulate(n, skew):
    c = rng.beta(8, 2, n)
    y = rng.uniform(0, 1, n) < np.clip(c - skew, 0, 1)
    return c, y


# --- binomial tails and Clopper-Pearson (scipy.stats.binom, statsmodels proportion_confint) --
from scipy.special import betainc
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.multitest import multipletests
import statsmodels.api as sm


def binomial_case(k, n, p, alpha):
    lo, hi = proportion_confint(k, n, alpha=alpha, method="beta")
    case = {"k": k, "n": n, "p": p, "alpha": alpha, "interval": [float(lo), float(hi)]}
    if float(k).is_integer() and float(n).is_integer():
        case["cdf"] = float(stats.binom.cdf(int(k), int(n), p))
    else:
        # The continuous extension P(X <= k) = I_{1-p}(n - k, k + 1), used for weighted labels.
        case["cdf"] = float(betainc(n - k, k + 1, 1 - p))
    return case


binomial = [binomial_case(*c) for c in [
    (0, 59, 0.05, 0.05), (2, 100, 0.05, 0.1), (5, 40, 0.1, 0.05), (30, 1000, 0.05, 0.05), (7, 7, 0.5, 0.05),
    (0, 1, 0.05, 0.05), (1, 250, 0.02, 0.01), (3.4, 71.6, 0.05, 0.1), (120, 400, 0.2, 0.05),
]]
write("binomial.json", binomial)


# --- Benjamini-Hochberg (statsmodels multipletests, method='fdr_bh') ------------------------
def bh_case(name, p, alpha):
    rej, adj, _, _ = multipletests(p, alpha=alpha, method="fdr_bh")
    return {"name": name, "pvalues": fl(p), "alpha": alpha, "adjusted": fl(adj), "rejected": [bool(r) for r in rej]}


bh = [
    bh_case("textbook", [0.01, 0.04, 0.03, 0.005, 0.2, 0.5], 0.05),
    bh_case("ties and ones", [0.02, 0.02, 1.0, 0.001, 0.02], 0.05),
    bh_case("uniform nulls", list(rng.uniform(0, 1, 40)), 0.01),
    bh_case("one signal among nulls", [1e-9] + list(rng.uniform(0, 1, 24)), 0.01),
]
write("benjamini-hochberg.json", bh)


# --- effect sizes: Wasserstein-1 and Jensen-Shannon (scipy.stats, scipy.spatial) -------------
from scipy.spatial.distance import jensenshannon


def wasserstein_case(name, a, b):
    a = np.round(np.asarray(a, dtype=float), 6)
    b = np.round(np.asarray(b, dtype=float), 6)
    w = float(stats.wasserstein_distance(a, b))
    return {"name": name, "a": fl(a), "b": fl(b), "distance": w, "baselineStd": float(np.std(a)), "normalised": w / float(np.std(a))}


wasserstein = [
    wasserstein_case("normal, mean shift 0.5", rng.normal(0, 1, 300), rng.normal(0.5, 1, 250)),
    wasserstein_case("confidence drift", rng.beta(8, 2, 500), rng.beta(6, 3, 400)),
    wasserstein_case("same distribution", rng.lognormal(7, 1, 400), rng.lognormal(7, 1, 400)),
    wasserstein_case("ties", np.round(rng.normal(0, 1, 80), 1), np.round(rng.normal(0, 2, 60), 1)),
]
write("wasserstein.json", wasserstein)


def js_case(name, p, q):
    return {"name": name, "p": fl(p), "q": fl(q), "distance": float(jensenshannon(np.asarray(p, float), np.asarray(q, float), base=2))}


js = [
    js_case("shifted categories", [500, 300, 150, 50], [200, 250, 300, 250]),
    js_case("same proportions", [10, 20, 30], [20, 40, 60]),
    js_case("disjoint", [5, 0], [0, 7]),
    js_case("one point moved", [5000, 3000, 2000], [4900, 3100, 2000]),
    js_case("new category", [100, 100, 0], [90, 90, 20]),
]
write("jensen-shannon.json", js)


# --- quasi-binomial trend test: a binomial GLM (logit) on windows, Pearson dispersion ---------
def quasi_case(name, counts, totals):
    counts = np.asarray(counts, float)
    totals = np.asarray(totals, float)
    m = len(counts)
    current = np.zeros(m)
    current[-1] = 1
    exog = np.column_stack([np.ones(m), current])
    # Proportions with var_weights = trials: statsmodels' two-column form leaves the trials out of
    # the Pearson statistic, and with them the dispersion is on the count scale, as it should be.
    r = sm.GLM(counts / totals, exog, family=sm.families.Binomial(), var_weights=totals).fit(scale="X2", use_t=True)
    return {"name": name, "counts": fl(counts), "totals": fl(totals), "coef": float(r.params[1]), "se": float(r.bse[1]),
            "t": float(r.tvalues[1]), "pvalue": float(r.pvalues[1]), "dispersion": float(r.scale), "df": int(r.df_resid)}


quasi = [
    quasi_case("steady, overdispersed days", [120, 95, 140, 101, 130, 88, 125], [1000, 1000, 1000, 1000, 1000, 1000, 1000]),
    quasi_case("real jump", [50, 55, 48, 52, 51, 49, 160], [1000, 1000, 1000, 1000, 1000, 1000, 1000]),
    quasi_case("unequal windows", [30, 80, 12, 45, 60, 22, 70], [300, 700, 150, 400, 500, 200, 400]),
    quasi_case("three windows", [10, 14, 30], [100, 120, 110]),
]
write("quasi-binomial.json", quasi)


# --- adaptive calibration error: equal-mass bins over the sorted labels (np.array_split) -----
def adaptive_case(name, conf, correct, weight, bins):
    conf = np.asarray(conf, float)
    y = np.asarray(correct, float)
    w = np.asarray(weight, float)
    order = np.argsort(conf, kind="stable")
    total = w.sum()
    ace = 0.0
    for part in np.array_split(order, bins):
        if len(part) == 0:
            continue
        wb = w[part].sum()
        ace += wb / total * abs(np.sum(w[part] * y[part]) / wb - np.sum(w[part] * conf[part]) / wb)
    return {"name": name, "confidence": fl(conf), "correct": [bool(v) for v in y], "weight": fl(w), "bins": bins, "ace": float(ace)}


ca, ya = simulate(400, 0.1)
cb, yb = simulate(137, 0.0)
adaptive = [
    adaptive_case("overconfident, 10 bins", ca, ya, np.ones(400), 10),
    adaptive_case("weighted spot checks, 15 bins", cb, yb, np.where(rng.uniform(0, 1, 137) < 0.4, 10.0, 1.0), 15),
    adaptive_case("fewer labels than bins", [0.9, 0.8, 0.95], [True, False, True], [1, 1, 1], 10),
]
write("adaptive-calibration.json", adaptive)


# --- the regularized incomplete beta I_x(a, b) (scipy.special.betainc) -----------------------
# A fixed grid (no RNG, so the files above stay as they were): both sides of the switch at
# x = (a + 1) / (a + b + 2), the half-integer b of Student's t, large a and b of many labels,
# and tails far below 1e-100.
def beta_cases():
    cases = []
    for a in [0.5, 1.0, 2.5, 7.0, 30.0, 120.5, 1000.0, 25000.0]:
        for b in [0.5, 1.0, 3.0, 12.0, 59.0, 400.0, 5000.0]:
            mean = a / (a + b)
            for x in sorted({1e-6, 0.01, 0.2, 0.5, 0.9, 0.999, mean * 0.5, mean, min(0.999999, mean * 1.5 + 1e-3)}):
                if 0 < x < 1:
                    v = float(betainc(a, b, x))
                    if v > 1e-300:
                        cases.append({"x": float(x), "a": a, "b": b, "value": v})
    return cases


write("beta.json", beta_cases())
print("fixtures written to", HERE)
