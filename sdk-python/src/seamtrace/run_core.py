"""What a run does around each step, shared by the synchronous and the asyncio run: the replay of
recorded steps, recording a step's outcome, its gates, and stopping the run."""

from __future__ import annotations

import inspect
import itertools
import random as _random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from .contract import check_contract
from .errors import InvalidConfidence, ReviewRejected, RunStopped, error_info
from .ids import uuidv7
from .lineage import to_epoch_seconds
from .policy import Policy, failed_gates, gate_outcome, is_active, merge_policies, sampled
from .step import StepHandle, StepResult, as_result
from .wire import ErrorInfo, GateKind, RecordedEscalation, RecordedStep, RunState

__all__ = ["Escalation", "Failure", "Gates", "RunCore", "Retry"]


@dataclass(frozen=True)
class Retry:
    """Retries of a step that raises: ``attempts`` in all (the first included), waiting ``backoff``
    seconds before the second and twice as long before each later one.

    Example::

        run.step("lookup", lookup, retry=Retry(attempts=3, backoff=0.2))
    """

    attempts: int = 1
    backoff: float = 0.0


@dataclass(frozen=True)
class Escalation:
    """The escalation a run stopped on: ``run()`` returns it at once, before any review exists."""

    id: str
    step: str
    step_id: str
    #: The checks that failed, in evaluation order.
    kinds: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    """Why a run failed: the step, its error and the attempts made."""

    error: ErrorInfo
    step: Optional[str] = None
    step_id: Optional[str] = None
    attempts: Optional[int] = None


@dataclass
class Gates:
    """What a workflow's runs need to apply their gates; one per workflow, shared by its runs."""

    policies: Any  # a PolicyClient, or None for the policy in code alone
    policy: Optional[Policy] = None
    steps: Dict[str, Policy] = field(default_factory=dict)
    random: Callable[[], float] = _random.random
    contracts_sent: Set[str] = field(default_factory=set)
    recalibrate: bool = False
    now: Callable[[], float] = time.time
    intercept: Optional[Callable[..., Any]] = None

    @property
    def idle(self) -> bool:
        """No policy can apply to any step unless the step brings its own."""
        return self.policies is None and self.policy is None and not self.steps and not self.recalibrate


_arity_cache: Dict[Any, bool] = {}


def wants_context(fn: Callable[..., Any]) -> bool:
    """True when ``fn`` takes a positional argument without a default: it gets the StepContext."""
    code = getattr(fn, "__code__", None)
    if code is not None:
        bound = getattr(fn, "__self__", None) is not None
        key = (code, bound, len(getattr(fn, "__defaults__", None) or ()))
        wants = _arity_cache.get(key)
        if wants is None:
            n = code.co_argcount - (1 if bound else 0) - key[2]
            wants = n > 0 or bool(code.co_flags & inspect.CO_VARARGS)
            if len(_arity_cache) < 4096:
                _arity_cache[key] = wants
        return wants
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) and p.default is p.empty for p in params)


class RunCore:
    """State of one run, and the bookkeeping every step goes through."""

    def __init__(self, identity: Tuple[str, str, str], emit: Callable[[Any], None], gates: Gates) -> None:
        self.id = identity[0]
        self._identity = identity
        self._emit = emit
        self._gates = gates
        self._now = gates.now
        self._idle = gates.idle
        #: The run's input: as given to ``run()``, or as recorded when the run is resumed.
        self.input: Any = None
        self._stop: Optional[RunStopped] = None
        self._failure: Optional[Failure] = None
        self._escalation: Optional[Escalation] = None
        self._calls: Dict[str, "itertools.count[int]"] = {}
        self._replay: Optional[Tuple[Dict[Tuple[int, str], RecordedStep], Optional[RecordedEscalation]]] = None
        #: How this execution records its events (set by the workflow that runs it).
        self._recorder: Any = None

    # --- outcome ---

    @property
    def stopped(self) -> Optional[RunStopped]:
        return self._stop

    @property
    def failure(self) -> Optional[Failure]:
        return self._failure

    @property
    def escalation(self) -> Optional[Escalation]:
        return self._escalation

    def _fail_outside(self, err: BaseException) -> None:
        """Records a failure that did not come from a step (user code raised between steps)."""
        if self._stop is not None:
            return  # the first stop explains the run; an escalation stays an escalation
        self._failure = Failure(error=error_info(err))
        self._stop = RunStopped(self.id, "failed", None, self._failure.error["message"])

    def _lose(self, reason: str) -> None:
        """This worker's resume claim is lost (another worker resumes the run): stop where we are."""
        if self._stop is None:
            self._stop = RunStopped(self.id, "lease_lost", None,
                                    f"stopped resuming run {self.id}: its claim was lost ({reason}); another worker resumes it")

    # --- replay ---

    def _replay_from(self, state: RunState) -> None:
        # The latest record of each (call, name) wins: a step re-run after a resume supersedes
        # its earlier, unreviewed attempt. Steps come in execution order.
        by_call = {(s.get("call", 0) or 0, s["name"]): s for s in state["steps"]}
        esc = state.get("escalation")
        self._replay = (by_call, esc if esc is not None and esc["status"] == "resolved" else None)

    # --- one step ---

    def _begin(self, name: str, from_: Sequence[StepHandle[Any]], source: str, input: Any, observed_at: Any,
               max_age: Optional[float], features: Optional[Mapping[str, Any]], schema: Any, contract_schema: Any
               ) -> Tuple[Optional[StepHandle[Any]], StepHandle[Any]]:
        """(replayed handle or None, handle to run). Raises RunStopped once the run has stopped."""
        if self._stop is not None:
            raise self._stop
        counter = self._calls.get(name)
        if counter is None:
            counter = self._calls.setdefault(name, itertools.count())
        call = next(counter)  # atomic under the GIL: parallel calls of one name get distinct numbers
        handle: StepHandle[Any] = StepHandle(self._identity, name, self._now(), from_, source, input,
                                             to_epoch_seconds(observed_at) if observed_at is not None else None,
                                             max_age, features, schema, contract_schema)
        handle.call = call
        if self._replay is not None:
            replayed = self._replayed(handle, name, call)
            if replayed is not None:
                return replayed, handle
        return None, handle

    def _replayed(self, handle: StepHandle[Any], name: str, call: int) -> Optional[StepHandle[Any]]:
        assert self._replay is not None
        by_call, esc = self._replay
        recorded = by_call.get((call, name))
        if recorded is None or recorded["status"] != "completed":
            return None  # never ran, or failed: run it
        reviewed = esc is not None and esc["stepId"] == recorded["stepId"] and recorded["source"] != "human"
        # An output that failed its gate and was never reviewed must not reach a later step: run it again.
        if recorded.get("gated") and not reviewed and recorded["source"] != "human":
            return None
        handle._restore(recorded)
        if not reviewed:
            return handle
        assert esc is not None
        if esc["decision"] == "reject":
            raise self._fail_step(handle, 1, None, ReviewRejected(esc.get("reason") or "rejected by a reviewer"))
        # The reviewer's output: human-verified, so confidence 1 and a re-based cumulative; fresh now.
        now = self._now()
        handle._complete(StepResult(esc["output"], confidence=1, source="human", observed_at=now), 1, None, now)
        self._emit(handle)
        return handle

    def _finish(self, handle: StepHandle[Any], ret: Any, attempts: int, attempt_errors: Optional[List[ErrorInfo]],
                policy: Optional[Policy], schema: Any, contract_schema: Any, max_age: Optional[float]) -> StepHandle[Any]:
        """Records the step's outcome and runs its gates. Raises RunStopped when the step escalates,
        or fails (an invalid confidence, a contract that cannot be checked)."""
        try:
            handle._complete(as_result(ret), attempts, attempt_errors, self._now())
        except InvalidConfidence as err:  # checked before anything is recorded; never retried
            raise self._fail_step(handle, attempts, attempt_errors, InvalidConfidence(err.value, handle.name)) from None
        except Exception as err:  # a result that is not one
            raise self._fail_step(handle, attempts, attempt_errors, err) from None
        g = self._gates
        if g.recalibrate and handle._own is not None and g.policies is not None:
            try:
                c = g.policies.calibrate(self._identity[1], self._identity[2], handle.name, handle._own)
            except Exception:  # a broken map must not break the step: the raw confidence stands
                c = None
            if c is not None:
                handle._recalibrated(c)
        # No policy anywhere, no contract, no freshness bound: the step leaves here after a few
        # attribute reads, without a policy lookup (the overhead benchmark measures this path).
        if self._idle and policy is None and schema is None and contract_schema is None and max_age is None:
            self._emit(handle)
            return handle
        return self._gate(handle, policy, schema, contract_schema, max_age)

    def _gate(self, handle: StepHandle[Any], policy: Optional[Policy], schema: Any, contract_schema: Any, max_age: Optional[float]) -> StepHandle[Any]:
        g = self._gates
        name = handle.name
        code_step = merge_policies(g.steps.get(name), policy)
        if g.policies is not None:
            try:
                rule = g.policies.rule_for(self._identity[1], name, g.policy, code_step)
            except Exception:  # a broken policy source must not break the step: the code policy applies
                rule = merge_policies(g.policy, code_step) or _NO_RULE
        else:
            rule = merge_policies(g.policy, code_step) or _NO_RULE
        if schema is None and contract_schema is None and max_age is None and not is_active(rule):
            self._emit(handle)
            return handle
        issues = None
        if schema is not None:
            try:
                issues = check_contract(schema, handle._value)
            except Exception as err:  # ContractUnavailable, or a schema of no known form
                raise self._fail_step(handle, handle._attempts, handle._attempt_errors, err) from None
        return self._decide(handle, rule, issues, schema is not None or contract_schema is not None)

    def _decide(self, handle: StepHandle[Any], rule: Policy, issues: Any, has_contract: bool) -> StepHandle[Any]:
        g = self._gates
        name = handle.name
        kinds: Optional[List[GateKind]] = failed_gates(rule, handle._own, handle._cum, handle._stale, issues is not None)
        outcome = gate_outcome(rule, kinds)
        spot = outcome == "pass" and sampled(rule.spot_check_rate, g.random)
        first = has_contract and name not in g.contracts_sent
        if first:
            g.contracts_sent.add(name)
        # A step that fails its gate after the run already stopped is recorded but opens no second
        # review item: the run waits on one escalation, and a replay re-runs this step.
        escalation_id = None if (outcome == "escalate" and self._stop is not None) or (outcome == "pass" and not spot) else uuidv7()
        handle._gated(rule, kinds, outcome, issues, escalation_id, rule.spot_check_rate if spot else None, first)
        self._emit(handle)
        if outcome != "escalate":
            return handle
        if self._stop is None:
            assert escalation_id is not None and kinds is not None
            self._escalation = Escalation(escalation_id, name, handle.step_id, tuple(kinds))
            self._stop = RunStopped(self.id, "escalated", name, f"step {name!r} escalated at its gate ({', '.join(kinds)})")
        raise self._stop

    def _fail_step(self, handle: StepHandle[Any], attempt: int, attempt_errors: Optional[List[ErrorInfo]], err: BaseException) -> RunStopped:
        error = error_info(err)
        self._emit(handle._failed_event(attempt, attempt_errors, error, self._now()))
        if self._stop is None:
            self._failure = Failure(error=error, step=handle.name, step_id=handle.step_id, attempts=attempt)
            plural = "" if attempt == 1 else "s"
            self._stop = RunStopped(self.id, "failed", handle.name, f"step {handle.name!r} failed after {attempt} attempt{plural}: {error['message']}")
        return self._stop


_NO_RULE = Policy()


def retry_of(retry: Any) -> Retry:
    if retry is None:
        return _ONCE
    if isinstance(retry, Retry):
        return retry
    if isinstance(retry, int) and not isinstance(retry, bool):
        return Retry(attempts=retry)
    if isinstance(retry, Mapping):
        return Retry(**retry)
    raise TypeError("retry must be a Retry, a number of attempts, or a mapping")


_ONCE = Retry()
