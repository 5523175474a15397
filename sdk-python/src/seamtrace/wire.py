"""The Seamtrace wire format, as ``TypedDict`` s.

The TypeScript SDK's ``sdk/src/types.ts`` is the definition; these mirror it key for key (camel
case, as the JSON carries them), so the events this SDK sends are the ones the collector parses.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Optional, Union

if sys.version_info >= (3, 11):  # pragma: no cover - which branch runs depends on the interpreter
    from typing import Literal, NotRequired, TypedDict
else:  # pragma: no cover
    from typing import Literal

    try:
        from typing_extensions import NotRequired, TypedDict
    except ImportError:  # the SDK needs no packages: without typing_extensions, plain dicts
        from typing import TypedDict

        NotRequired = Optional

Source = Literal["direct", "inferred", "human", "cache"]
"""Where an output came from: read directly, inferred by a model, decided by a human, or cached."""

GateOutcome = Literal["pass", "escalate", "flag"]
GateKind = Literal["confidence", "cumulative", "contract", "stale", "unscored"]
"""Which check a gate failed on. ``unscored``: the step gave no confidence and the policy requires one."""

FeatureValue = Union[float, int, str, bool]
Decision = Literal["accept", "correct", "reject"]


class ErrorInfo(TypedDict):
    name: str
    message: str
    stack: NotRequired[str]


class ContractIssue(TypedDict):
    message: str
    path: NotRequired[List[Union[str, int]]]


class GateResult(TypedDict):
    outcome: GateOutcome
    kinds: List[GateKind]
    minConfidence: NotRequired[float]
    minCumulative: NotRequired[float]
    issues: NotRequired[List[ContractIssue]]


class StepContract(TypedDict):
    jsonSchema: Dict[str, Any]
    vendor: NotRequired[str]


class StepEvent(TypedDict):
    id: str
    type: Literal["step.completed", "step.failed"]
    time: str
    runId: str
    workflow: str
    version: str
    stepId: str
    step: str
    parents: List[str]
    call: NotRequired[int]
    #: The run's resume epoch (0: its first execution) and the event's position within it: with
    #: them the server orders a run's events without comparing the clocks of the workers.
    epoch: NotRequired[int]
    epochSeq: NotRequired[int]
    input: NotRequired[Any]
    output: NotRequired[Any]
    confidence: NotRequired[float]
    calibrated: NotRequired[float]
    cumulative: NotRequired[float]
    source: Source
    observedAt: NotRequired[str]
    maxAgeMs: NotRequired[float]
    stale: bool
    reasoning: NotRequired[str]
    alternatives: NotRequired[List[Any]]
    features: NotRequired[Dict[str, FeatureValue]]
    attempt: int
    attemptErrors: NotRequired[List[ErrorInfo]]
    durationMs: float
    startedAt: str
    error: NotRequired[ErrorInfo]
    gate: NotRequired[GateResult]
    flagged: NotRequired[bool]
    escalationId: NotRequired[str]
    spotCheck: NotRequired[Dict[str, float]]
    contract: NotRequired[StepContract]


class RecordedStep(TypedDict):
    """One completed step in ``GET /v1/runs/:id/state``: what a replay hands back."""

    stepId: str
    name: str
    status: Literal["completed", "failed"]
    output: Any
    confidence: Optional[float]
    cumulative: Optional[float]
    source: Source
    stale: bool
    flagged: bool
    parents: List[str]
    escalationId: Optional[str]
    gated: bool
    call: int


class RecordedEscalation(TypedDict):
    id: str
    stepId: str
    step: str
    status: Literal["open", "resolved"]
    decision: Optional[Decision]
    output: Any
    reason: Optional[str]
    #: When a worker last claimed the resume.
    resumedAt: Optional[str]
    #: True when a worker may claim the resume now: reviewed, and never claimed or its claim lapsed.
    resumable: NotRequired[bool]
    #: When the live claim lapses unless renewed; None when no claim is live.
    leaseExpiresAt: NotRequired[Optional[str]]


class RunState(TypedDict):
    """``GET /v1/runs/:id/state``: what a resumed run needs to replay itself."""

    run: Dict[str, Any]
    steps: List[RecordedStep]
    escalation: Optional[RecordedEscalation]


class ResolvedReview(TypedDict):
    """A resolved review whose run nobody has resumed yet, or whose resuming worker went away
    (``GET /v1/resumable``)."""

    runId: str
    escalationId: str
    workflow: str
    version: str
    step: str
    decision: Decision
    resolvedAt: str
