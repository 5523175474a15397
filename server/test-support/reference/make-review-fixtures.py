#!/usr/bin/python3
"""
Reference values for server/src/modules/analytics/maths/rater-agreement.test.ts: agreement among
several raters labelling the same items (percent agreement, Fleiss' kappa, Krippendorff's alpha,
Cohen's kappa per pair).

Run with Debian's python3, which has statsmodels and scikit-learn:
`/usr/bin/python3 server/test-support/reference/make-review-fixtures.py`. It rewrites
rater-agreement.json beside it (inputs and expected outputs together), deterministically.

Fleiss' kappa is statsmodels' `fleiss_kappa` (method "fleiss") on the subjects x categories
table from `aggregate_raters`; Cohen's kappa is scikit-learn's `cohen_kappa_score`. Krippendorff's
alpha has no function in either, so it is written here in NumPy from its coincidence-matrix
definition (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability", nominal metric),
independent of the TypeScript; percent agreement (agreeing pairs over all pairs) likewise.
"""
import json
import os
from itertools import combinations

import numpy as np
import sklearn
import statsmodels
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261201)


def write(name, cases):
    generator = f"make-review-fixtures.py (statsmodels {statsmodels.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__})"
    with open(os.path.join(HERE, name), "w") as f:
        json.dump({"generator": generator, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


def none_if_nan(x):
    x = float(x)
    return None if np.isnan(x) else x


def krippendorff_nominal(items):
    """items: list of label lists (any length; items with fewer than 2 labels are not pairable)."""
    cats = sorted({l for labels in items for l in labels})
    idx = {c: i for i, c in enumerate(cats)}
    o = np.zeros((len(cats), len(cats)))
    for labels in items:
        m = len(labels)
        if m < 2:
            continue
        v = np.zeros(len(cats))
        for l in labels:
            v[idx[l]] += 1
        # Ordered pairs from different raters: outer(v, v) minus each label paired with itself.
        o += (np.outer(v, v) - np.diag(v)) / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n < 2:
        return None
    off = ~np.eye(len(cats), dtype=bool)
    d_o = o[off].sum()
    d_e = (np.outer(n_c, n_c)[off]).sum()
    if d_e == 0:
        return None
    return float(1 - (n - 1) * d_o / d_e)


def percent_pairs(items):
    pairs = agreeing = 0
    for labels in items:
        for a, b in combinations(labels, 2):
            pairs += 1
            agreeing += a == b
    return None if pairs == 0 else agreeing / pairs


def fleiss(items):
    n = {len(l) for l in items}
    if len(items) == 0 or len(n) != 1 or n.pop() < 2:
        return None
    cats = sorted({l for labels in items for l in labels})
    codes = np.array([[cats.index(l) for l in labels] for labels in items])
    table, _ = aggregate_raters(codes, n_cat=len(cats))
    # One category throughout makes chance agreement 1 and kappa 0/0: undefined, not a warning.
    with np.errstate(invalid="ignore", divide="ignore"):
        return none_if_nan(fleiss_kappa(table, method="fleiss"))


def case(name, items):
    return {
        "name": name,
        "items": items,
        "percentAgreement": percent_pairs(items),
        "fleissKappa": fleiss(items),
        "krippendorffAlpha": krippendorff_nominal(items),
    }


def rated(n_items, n_raters, cats, p_agree):
    """Items where each rater gives the item's true category with probability p_agree."""
    out = []
    for _ in range(n_items):
        truth = cats[rng.integers(len(cats))]
        out.append([truth if rng.random() < p_agree else cats[rng.integers(len(cats))] for _ in range(n_raters)])
    return out


decisions = ["accept", "reject", 'correct:{"amount":5}']
with_missing = [l[: int(rng.integers(2, 5))] for l in rated(60, 4, decisions, 0.7)] + [["accept"]]
cases = [
    case("two raters, binary, mostly agreeing", rated(40, 2, ["accept", "reject"], 0.85)),
    case("three raters, three decisions", rated(50, 3, decisions, 0.75)),
    case("five raters, chance level", rated(80, 5, ["accept", "reject"], 0.0)),
    case("three raters, perfect agreement on two categories", [["accept"] * 3, ["reject"] * 3, ["accept"] * 3]),
    case("one category throughout", [["accept"] * 3] * 4),
    case("varying raters per item (alpha only), with an unpairable item", with_missing),
    case("Fleiss 1971-sized table: 10 items, 6 raters, 4 categories", rated(10, 6, ["a", "b", "c", "d"], 0.5)),
]

pairs = []
for name, n, p in [("binary pair", 50, 0.8), ("three categories", 70, 0.6), ("disagreeing", 30, 0.1)]:
    cats = decisions if "three" in name else ["accept", "reject"]
    items = rated(n, 2, cats, p)
    a = [i[0] for i in items]
    b = [i[1] for i in items]
    labels = sorted(set(a) | set(b))
    pairs.append({"name": name, "a": a, "b": b, "labels": labels, "kappa": none_if_nan(cohen_kappa_score(a, b, labels=labels))})

write("rater-agreement.json", {"multi": cases, "pairs": pairs})
