"""A step's result as user code returns it, and the handle a step hands downstream.

The handle is also the step's record until the next flush: the hot path keeps numbers and
references in this one object, and ``to_wire()`` turns them into the wire event (ISO times, ids)
on the transport's thread. The step id is made when first read.
"""

from __future__ import annotations

from typing import Any, Dict, Generic, List, Mapping, Optional, Sequence, Tuple, TypeVar

from .contract import describe_contract
from .ids import iso_time, uuidv7
from .result import StepContext, StepResult, as_result, valid_confidence
from .lineage import cumulative_confidence, is_stale, to_epoch_seconds
from .policy import Policy, gate_result
from .wire import ContractIssue, ErrorInfo, FeatureValue, GateKind, RecordedStep, StepEvent

__all__ = ["StepResult", "StepContext", "StepHandle", "valid_confidence", "as_result"]

V = TypeVar("V")

_NO_PARENTS: Sequence["StepHandle[Any]"] = ()


class StepHandle(Generic[V]):
    """A step's outcome, handed to downstream steps through ``from_``.

    Example::

        fields = run.step("extract", extract, input=email)
        fields.value, fields.confidence, fields.cumulative, fields.stale, fields.flagged
    """

    __slots__ = (
        "_id", "_event_id", "_identity", "name", "call", "_value", "_own", "_raw", "_cum", "_source",
        "_stale", "_flagged", "_reasoning", "_alternatives", "_features", "_observed_at", "_started",
        "_ended", "_attempts", "_attempt_errors", "_parents", "_input", "_max_age", "_opt_features",
        "_mark", "_schema", "_contract_schema", "_epoch", "_epoch_seq",
    )

    def __init__(self, identity: "tuple[str, str, str]", name: str, started: float, parents: Sequence["StepHandle[Any]"], source: str,
                 input: Any, observed_at: Optional[float], max_age: Optional[float], features: Optional[Mapping[str, FeatureValue]],
                 schema: Any = None, contract_schema: Any = None) -> None:
        self._id: Optional[str] = None
        self._event_id: Optional[str] = None
        self._identity = identity  # (run id, workflow, version)
        self.name = name
        self.call = 0
        self._value: Any = None
        self._own: Optional[float] = None
        self._raw: Optional[float] = None
        self._cum = 1.0
        self._source = source
        self._stale = False
        self._flagged = False
        self._reasoning: Optional[str] = None
        self._alternatives: Optional[List[Any]] = None
        self._features = features
        self._observed_at = observed_at
        self._started = started
        self._ended = started
        self._attempts = 1
        self._attempt_errors: Optional[List[ErrorInfo]] = None
        self._parents = parents
        self._input = input
        self._max_age = max_age
        self._opt_features = features
        self._mark: Optional[Tuple[Any, ...]] = None
        self._schema = schema
        self._contract_schema = contract_schema
        # The run's resume epoch and this event's position in it, stamped when the step is recorded.
        self._epoch = 0
        self._epoch_seq: Optional[int] = None

    @property
    def step_id(self) -> str:
        """UUIDv7 of this step."""
        sid = self._id
        if sid is None:
            sid = self._id = uuidv7()
        return sid

    @property
    def value(self) -> V:
        return self._value  # type: ignore[no-any-return]

    @property
    def confidence(self) -> Optional[float]:
        """Own confidence in [0, 1] (calibrated, when the workflow recalibrates); None when unscored."""
        return self._own

    @property
    def cumulative(self) -> float:
        """Own confidence times that of every distinct ancestor; unscored steps count as 1."""
        return self._cum

    @property
    def source(self) -> str:
        return self._source

    @property
    def stale(self) -> bool:
        """True when the output was observed longer ago than ``max_age`` allows."""
        return self._stale

    @property
    def flagged(self) -> bool:
        """True when this output was flagged at its gate, or rests on a flagged upstream output."""
        return self._flagged

    @property
    def parents(self) -> Sequence["StepHandle[Any]"]:
        return self._parents

    def __repr__(self) -> str:
        return f"StepHandle({self.name!r}, value={self._value!r}, confidence={self._own!r}, cumulative={self._cum!r})"

    # --- internal: filled in by the run ---

    def _complete(self, r: StepResult[Any], attempts: int, attempt_errors: Optional[List[ErrorInfo]], ended: float) -> None:
        own = valid_confidence(r.confidence)  # raises InvalidConfidence before anything is recorded
        self._ended = ended
        self._attempts = attempts
        self._attempt_errors = attempt_errors
        self._value = r.value
        if r.source is not None:
            self._source = r.source
        self._own = own
        parents = self._parents
        self._cum = cumulative_confidence(own, self._source, parents)
        if r.observed_at is not None:
            self._observed_at = to_epoch_seconds(r.observed_at)
        if self._max_age is not None:
            self._stale = is_stale(self._observed_at, self._max_age, ended)
        for p in parents:
            if p._flagged:
                self._flagged = True
        if r.reasoning is not None:
            self._reasoning = r.reasoning
        if r.alternatives is not None:
            self._alternatives = list(r.alternatives)
        if r.features is not None:
            self._features = {**self._opt_features, **r.features} if self._opt_features else dict(r.features)

    def _restore(self, r: RecordedStep) -> "StepHandle[V]":
        self._id = r["stepId"]
        self.call = r.get("call", 0) or 0
        self._value = r["output"]
        self._own = r["confidence"]
        cum = r["cumulative"]
        self._cum = cum if cum is not None else (self._own if self._own is not None else 1.0)
        self._source = r["source"]
        self._stale = bool(r["stale"])
        self._flagged = bool(r["flagged"])
        return self

    def _recalibrated(self, c: float) -> None:
        if self._own is None:
            return
        self._raw = self._own
        self._own = c
        self._cum = cumulative_confidence(c, self._source, self._parents)

    def _gated(self, rule: Policy, kinds: Optional[List[GateKind]], outcome: str, issues: Optional[List[ContractIssue]],
               escalation_id: Optional[str], spot_rate: Optional[float], send_contract: bool) -> None:
        self._mark = (rule, kinds, issues, escalation_id, spot_rate, send_contract)
        if outcome == "flag":
            self._flagged = True

    def to_wire(self) -> StepEvent:
        """The wire event; called by the transport when it builds a batch."""
        if self._event_id is None:
            self._event_id = uuidv7()  # kept, so a resent batch carries the same event id
        run_id, workflow, version = self._identity
        event: Dict[str, Any] = {
            "id": self._event_id,
            "type": "step.completed",
            "time": iso_time(self._ended),
            "runId": run_id,
            "workflow": workflow,
            "version": version,
            "stepId": self.step_id,
            "step": self.name,
            "parents": [p.step_id for p in self._parents],
        }
        if self.call:
            event["call"] = self.call
        event["output"] = self._value
        event["cumulative"] = self._cum
        event["source"] = self._source
        event["stale"] = self._stale
        event["attempt"] = self._attempts
        event["durationMs"] = _ms(self._ended - self._started)
        event["startedAt"] = iso_time(self._started)
        if self._input is not None:
            event["input"] = self._input
        if self._own is not None:
            event["confidence"] = self._raw if self._raw is not None else self._own
        if self._raw is not None:
            event["calibrated"] = self._own
        if self._observed_at is not None:
            event["observedAt"] = iso_time(self._observed_at)
        if self._max_age is not None:
            event["maxAgeMs"] = _ms(self._max_age)
        if self._reasoning is not None:
            event["reasoning"] = self._reasoning
        if self._alternatives is not None:
            event["alternatives"] = self._alternatives
        if self._features is not None:
            event["features"] = dict(self._features)
        if self._attempt_errors:
            event["attemptErrors"] = self._attempt_errors
        if self._flagged:
            event["flagged"] = True
        mark = self._mark
        if mark is not None:
            rule, kinds, issues, escalation_id, spot_rate, send_contract = mark
            event["gate"] = gate_result(rule, kinds, issues)
            if escalation_id is not None:
                event["escalationId"] = escalation_id
            if spot_rate is not None:
                event["spotCheck"] = {"rate": spot_rate}
            if send_contract:
                contract = describe_contract(self._schema, self._contract_schema)
                if contract is not None:
                    event["contract"] = contract
        if self._epoch_seq is not None:  # last, as the TypeScript SDK sends it
            event["epoch"] = self._epoch
            event["epochSeq"] = self._epoch_seq
        return event  # type: ignore[return-value]

    def _failed_event(self, attempt: int, attempt_errors: Optional[List[ErrorInfo]], error: ErrorInfo, ended: float) -> StepEvent:
        """The ``step.failed`` event; failures are rare, so it is built at once, off the hot path."""
        run_id, workflow, version = self._identity
        event: Dict[str, Any] = {
            "id": uuidv7(),
            "type": "step.failed",
            "time": iso_time(ended),
            "runId": run_id,
            "workflow": workflow,
            "version": version,
            "stepId": self.step_id,
            "step": self.name,
            "parents": [p.step_id for p in self._parents],
        }
        if self.call:
            event["call"] = self.call
        event.update(source=self._source, stale=False, attempt=attempt, durationMs=_ms(ended - self._started), startedAt=iso_time(self._started), error=error)
        if self._input is not None:
            event["input"] = self._input
        if self._observed_at is not None:
            event["observedAt"] = iso_time(self._observed_at)
        if self._max_age is not None:
            event["maxAgeMs"] = _ms(self._max_age)
        if self._opt_features is not None:
            event["features"] = dict(self._opt_features)
        if attempt_errors:
            event["attemptErrors"] = attempt_errors
        return event  # type: ignore[return-value]

    def to_dict(self) -> Dict[str, Any]:
        """The handle without its lineage graph, which can be as large as the run."""
        return {"name": self.name, "stepId": self.step_id, "value": self._value, "confidence": self._own,
                "cumulative": self._cum, "source": self._source, "stale": self._stale, "flagged": self._flagged}


def _ms(seconds: float) -> int:
    return max(0, int(round(seconds * 1000)))
