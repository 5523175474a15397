"""Policies and the gates at every handoff: pure functions from a step's facts and the policy in
force to a decision. The run applies the decision (stop, flag, sample); nothing here has effects.
"""

from __future__ import annotations

import math
import random as _random
from dataclasses import dataclass, fields, replace
from typing import Any, Callable, List, Mapping, Optional, Union

from .wire import ContractIssue, GateKind, GateOutcome, GateResult

__all__ = ["Policy", "PolicyLike", "as_policy", "merge_policies", "failed_gates", "gate_outcome", "gate_result", "is_active", "sampled"]


@dataclass(frozen=True)
class Policy:
    """Thresholds and behaviour at a handoff. Unset fields (None) fall back to the next layer:
    the server's step policy, the server's workflow policy, the step's policy in code, the
    workflow's policy in code.

    Example::

        Policy(min_confidence=0.8, min_cumulative=0.6, on_low="escalate", spot_check_rate=0.02)
    """

    #: A step whose own confidence is below this fails its gate (kind ``confidence``).
    min_confidence: Optional[float] = None
    #: A step whose cumulative confidence is below this fails its gate (kind ``cumulative``).
    min_cumulative: Optional[float] = None
    #: ``escalate`` stops the run for review; ``flag`` goes on and marks everything downstream.
    on_low: Optional[str] = None
    #: Fraction in [0, 1] of passing steps queued for non-blocking review.
    spot_check_rate: Optional[float] = None
    #: A step that gives no confidence fails its gate (kind ``unscored``) instead of passing.
    require_confidence: Optional[bool] = None


PolicyLike = Union[Policy, Mapping[str, Any]]

_FIELDS = tuple(f.name for f in fields(Policy))
# The server serves policies in the wire's camel case.
_CAMEL = {
    "minConfidence": "min_confidence",
    "minCumulative": "min_cumulative",
    "onLow": "on_low",
    "spotCheckRate": "spot_check_rate",
    "requireConfidence": "require_confidence",
}


def as_policy(value: Optional[PolicyLike]) -> Optional[Policy]:
    """A ``Policy`` from a Policy or a mapping with snake- or camel-case keys. Raises ``ValueError``
    for an unknown key or a value out of range: a policy is configuration, and a typo in it must
    show at once rather than leave a gate open."""
    if value is None or isinstance(value, Policy):
        return _checked(value) if value is not None else None
    values = {}
    for key, v in value.items():
        name = _CAMEL.get(key, key)
        if name not in _FIELDS:
            raise ValueError(f"unknown policy field {key!r}; known: {', '.join(_FIELDS)}")
        values[name] = v
    return _checked(Policy(**values))


def _checked(p: Policy) -> Policy:
    for name in ("min_confidence", "min_cumulative", "spot_check_rate"):
        v = getattr(p, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 <= v <= 1)):
            raise ValueError(f"policy {name} must be a number in [0, 1], got {v!r}")
    if p.on_low not in (None, "escalate", "flag"):
        raise ValueError(f"policy on_low must be 'escalate' or 'flag', got {p.on_low!r}")
    if p.require_confidence is not None and not isinstance(p.require_confidence, bool):
        raise ValueError(f"policy require_confidence must be True or False, got {p.require_confidence!r}")
    return p


def merge_policies(base: Optional[Policy], over: Optional[Policy]) -> Optional[Policy]:
    """``over`` wins field by field; a field it leaves unset falls back to ``base``."""
    if base is None:
        return over
    if over is None:
        return base
    return replace(base, **{k: getattr(over, k) for k in _FIELDS if getattr(over, k) is not None})


def failed_gates(rule: Policy, confidence: Optional[float], cumulative: float, stale: bool, contract_violated: bool) -> Optional[List[GateKind]]:
    """The checks that failed, in evaluation order (contract, confidence or unscored, cumulative,
    stale), or None when all held. An unscored step is neutral to ``min_confidence``; only
    ``require_confidence`` stops it.

    Example::

        failed_gates(Policy(min_confidence=0.8), 0.6, 0.6, False, False)  # ['confidence']
    """
    kinds: Optional[List[GateKind]] = None
    if contract_violated:
        kinds = ["contract"]
    if confidence is None:
        if rule.require_confidence:
            kinds = (kinds or []) + ["unscored"]
    elif rule.min_confidence is not None and confidence < rule.min_confidence:
        kinds = (kinds or []) + ["confidence"]
    if rule.min_cumulative is not None and cumulative < rule.min_cumulative:
        kinds = (kinds or []) + ["cumulative"]
    if stale:
        kinds = (kinds or []) + ["stale"]
    return kinds


def gate_outcome(rule: Policy, kinds: Optional[List[GateKind]]) -> GateOutcome:
    """A contract violation always escalates (an output that breaks its contract is never handed
    on, even on a ``flag`` path); everything else follows ``on_low``, default ``escalate``."""
    if not kinds:
        return "pass"
    return "escalate" if "contract" in kinds or rule.on_low != "flag" else "flag"


def gate_result(rule: Policy, kinds: Optional[List[GateKind]], issues: Optional[List[ContractIssue]] = None) -> GateResult:
    """The wire form of a decision, with the thresholds in force so it can be explained later."""
    result: GateResult = {"outcome": gate_outcome(rule, kinds), "kinds": list(kinds or [])}
    if rule.min_confidence is not None:
        result["minConfidence"] = rule.min_confidence
    if rule.min_cumulative is not None:
        result["minCumulative"] = rule.min_cumulative
    if issues is not None:
        result["issues"] = issues
    return result


def is_active(rule: Policy) -> bool:
    """True when the rule asks for any check or sampling, i.e. a step under it needs the gate path."""
    return (
        rule.min_confidence is not None
        or rule.min_cumulative is not None
        or rule.spot_check_rate is not None
        or bool(rule.require_confidence)
    )


def sampled(rate: Optional[float], rand: Callable[[], float] = _random.random) -> bool:
    """True with probability ``rate``. No draw for a rate of 0 or 1 (so an unconfigured policy does
    not move a seeded sequence); a random source that raises or returns garbage samples nothing."""
    if rate is None or not rate > 0:
        return False
    if rate >= 1:
        return True
    try:
        r = rand()
        return isinstance(r, float) and math.isfinite(r) and r < rate
    except Exception:
        return False
