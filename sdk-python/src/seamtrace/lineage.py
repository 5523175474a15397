"""Lineage: cumulative confidence over distinct ancestors, staleness, and the forms of a time."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Optional, Protocol, Sequence, Union

__all__ = ["cumulative_confidence", "is_stale", "to_epoch_seconds", "TimeLike"]

TimeLike = Union[_dt.datetime, float, int, str]
"""A time as people pass it: a datetime (naive means UTC), epoch seconds, or an ISO 8601 string."""


class LineageNode(Protocol):
    @property
    def step_id(self) -> str: ...
    @property
    def confidence(self) -> Optional[float]: ...
    @property
    def cumulative(self) -> float: ...
    @property
    def source(self) -> str: ...
    @property
    def parents(self) -> Sequence["LineageNode"]: ...


def cumulative_confidence(own: Optional[float], source: str, parents: Sequence[LineageNode]) -> float:
    """The product of a step's own confidence and that of every distinct ancestor.

    A shared ancestor in a diamond counts once; a human-verified output counts as 1 and hides its
    own ancestors, so a run resumed from a review does not trip the same cumulative gate again;
    an unscored step (no confidence) is neutral.

    Example::

        cumulative_confidence(0.9, "inferred", [extract])  # 0.9 * extract.cumulative
    """
    if source == "human":
        return 1.0
    base = 1.0 if own is None else own
    if not parents:
        return base
    # One parent cannot share ancestors with itself: its cumulative already is the product over
    # its distinct ancestors, which keeps a long chain O(1) per step.
    if len(parents) == 1:
        return base * parents[0].cumulative
    product = base
    seen = set()
    stack = list(parents)
    while stack:
        node = stack.pop()
        sid = node.step_id
        if sid in seen:
            continue
        seen.add(sid)
        if node.source == "human":
            continue  # counts as 1; its ancestors no longer count
        c = node.confidence
        if c is not None:
            product *= c
        for p in node.parents:
            if p.step_id not in seen:
                stack.append(p)
    return product


def is_stale(observed_at: Optional[float], max_age: Optional[float], now: float) -> bool:
    """True when the output was observed longer ago than ``max_age`` seconds allow."""
    if observed_at is None or max_age is None:
        return False
    return now - observed_at > max_age


def to_epoch_seconds(value: Optional[TimeLike]) -> Optional[float]:
    """Epoch seconds from a datetime, a number of epoch seconds, or an ISO 8601 string; None
    when the value is missing or cannot be read (an unreadable time never breaks a step)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z") or text.endswith("z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = _dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=_dt.timezone.utc)
        return parsed.timestamp()
    return None
