"""What a step function returns (``StepResult``), what it is handed (``StepContext``), and the
validation of a confidence."""

from __future__ import annotations

import math
import numbers
import threading
from typing import TYPE_CHECKING, Any, Generic, List, Mapping, Optional, TypeVar

from .errors import InvalidConfidence
from .lineage import TimeLike
from .wire import FeatureValue

if TYPE_CHECKING:  # pragma: no cover
    from .step import StepHandle

__all__ = ["StepResult", "StepContext", "valid_confidence", "as_result"]

V = TypeVar("V")

_RESULT_KEYS = frozenset(("value", "confidence", "reasoning", "alternatives", "source", "observed_at", "features"))


class StepResult(Generic[V]):
    """What a step function may return: the value plus what Seamtrace needs to judge it.

    A step may also return a plain value (it is then *unscored*: no confidence), or a dict with
    the same keys (``{"value": ..., "confidence": 0.9}``).

    Example::

        return StepResult({"policy_no": "PX-1043"}, confidence=0.93, reasoning="matched the pattern")
    """

    __slots__ = ("value", "confidence", "reasoning", "alternatives", "source", "observed_at", "features")

    def __init__(
        self,
        value: V,
        confidence: Optional[float] = None,
        reasoning: Optional[str] = None,
        alternatives: Optional[List[Any]] = None,
        source: Optional[str] = None,
        observed_at: Optional[TimeLike] = None,
        features: Optional[Mapping[str, FeatureValue]] = None,
    ) -> None:
        self.value = value
        #: The step's own estimate in [0, 1] that ``value`` is correct; None means unscored.
        self.confidence = confidence
        self.reasoning = reasoning
        self.alternatives = alternatives
        #: Overrides the step option: ``direct``, ``inferred``, ``human`` or ``cache``.
        self.source = source
        #: When the data behind ``value`` was observed (overrides the step option).
        self.observed_at = observed_at
        #: Numeric or categorical features for drift detection, e.g. ``{"amount": 1200}``.
        self.features = features

    def __repr__(self) -> str:
        return f"StepResult(value={self.value!r}, confidence={self.confidence!r})"


def as_result(ret: Any) -> StepResult[Any]:
    if type(ret) is StepResult:
        return ret
    if type(ret) is dict and "value" in ret and ret.keys() <= _RESULT_KEYS:
        return StepResult(**ret)
    if isinstance(ret, StepResult):
        return ret
    return StepResult(ret)


def valid_confidence(c: Any) -> Optional[float]:
    """``c`` as a float when it is a finite number in [0, 1]; None when it is None (unscored);
    otherwise raises ``InvalidConfidence``. Never clamps: a bool, a string, NaN, 1.7 or 85 is an
    error in the glue code, and guessing would let it pass gates."""
    if c is None:
        return None
    t = type(c)
    if t is float:
        if 0.0 <= c <= 1.0:  # NaN fails both comparisons
            return c  # type: ignore[no-any-return]
        raise InvalidConfidence(c)
    if t is int:
        if 0 <= c <= 1:
            return float(c)
        raise InvalidConfidence(c)
    if t is not bool and isinstance(c, numbers.Real) and not isinstance(c, bool):
        try:
            f = float(c)
        except Exception:
            raise InvalidConfidence(c) from None
        if math.isfinite(f) and 0.0 <= f <= 1.0:
            return f
    raise InvalidConfidence(c)


class StepContext:
    """Handed to a step function that takes one argument, on every attempt."""

    __slots__ = ("_handle", "run_id", "attempt", "cancelled")

    def __init__(self, handle: "StepHandle[Any]", run_id: str, attempt: int, cancelled: Optional[threading.Event] = None) -> None:
        self._handle = handle
        self.run_id = run_id
        #: 1 on the first attempt.
        self.attempt = attempt
        #: Set when a synchronous attempt ran past ``timeout``: cooperative code may stop early.
        self.cancelled = cancelled

    @property
    def step_id(self) -> str:
        return self._handle.step_id
