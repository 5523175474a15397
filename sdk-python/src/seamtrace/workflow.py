"""A named, versioned workflow: ``run`` (synchronous), ``run_async`` (asyncio), their explicit
resume forms, a context-manager form and a decorator form."""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Generic, Mapping, Optional, Tuple, TypeVar, Union

from .errors import RunStopped
from .ids import iso_time, uuidv7
from .lease import ResumeLease
from .policy import PolicyLike, as_policy
from .recorder import RunRecorder, WonClaim
from .resumer import UNREACHABLE
from .run import AsyncRun, Run
from .run_core import Escalation, Failure, Gates, RunCore
from .step import StepHandle
from .wire import RunState

if TYPE_CHECKING:  # pragma: no cover
    from .client import Seamtrace
    from .run_context import AsyncRunContext, RunContext

__all__ = ["Workflow", "RunResult"]

T = TypeVar("T")


@dataclass(frozen=True)
class RunResult(Generic[T]):
    """What ``run()`` returns. It never raises for a step's failure: it stops and explains.

    ``status``: ``completed``; ``escalated`` (a step failed its gate; ``escalation`` says which and
    why); ``failed`` (``failure`` names the step, its error and the attempts made);
    ``duplicate`` (another worker is resuming, or has resumed, this run from its review; nothing
    ran here); or ``lease_lost`` (this worker was resuming the run but lost its claim: it could not
    renew it in time, or another worker took the run over; it stopped before its next step and
    recorded nothing more, and the other worker finishes the run).
    """

    status: str
    run_id: str
    output: Optional[T] = None
    failure: Optional[Failure] = None
    escalation: Optional[Escalation] = None

    @property
    def ok(self) -> bool:
        return self.status == "completed"


class Workflow:
    """A handle on one named, versioned workflow; runs go through ``run()``.

    Example::

        claims = st.workflow("claims", version="3", policy=Policy(min_confidence=0.8))
        result = claims.run(pipeline, input=email, key=email["message_id"])
        if result.status == "escalated":
            print("waiting on review", result.escalation.id)
    """

    def __init__(self, client: "Seamtrace", name: str, version: str = "1", policy: Optional[PolicyLike] = None,
                 steps: Optional[Mapping[str, PolicyLike]] = None, recalibrate: bool = False) -> None:
        self._client = client
        self.name = name
        self.version = str(version)
        self.policy = as_policy(policy)
        step_policies = {k: as_policy(v) for k, v in (steps or {}).items()}
        self._gates = Gates(policies=client.policies, policy=self.policy, steps={k: v for k, v in step_policies.items() if v is not None},
                            random=client._random, contracts_sent=client._contracts_sent(f"{name}@{self.version}"),
                            recalibrate=recalibrate, now=client._now, intercept=client._intercept)

    # --- synchronous ---

    def run(self, fn: Callable[[Run], T], *, input: Any = None, key: Optional[str] = None, run_id: Optional[str] = None,
            replay: bool = True, wait: Optional[float] = None) -> RunResult[T]:
        """Runs ``fn(run)`` as one run of this workflow and returns its ``RunResult``.

        With ``run_id`` or ``key``, a run the server already has is replayed: recorded steps return
        their outputs without calling your code, the escalated step returns the reviewer's output,
        and the run goes on from there (``replay=False`` always starts afresh). ``wait`` (seconds)
        holds the call until an escalation is reviewed, then resumes in place.
        """
        if inspect.iscoroutinefunction(fn):
            raise TypeError("fn is a coroutine function: use `await workflow.run_async(fn, ...)`")
        deadline = time.monotonic() + wait if wait else 0.0
        state = self._initial_state(run_id, key, replay)
        while True:
            claim = None
            if state:
                admitted = self._admit(state, deadline)
                if isinstance(admitted, RunResult):
                    return admitted
                state, claim = admitted
            run, started = self._new_run(Run, state, run_id, key, input, claim)
            try:
                result = self._finish(run, self._call(run, fn), started, state)
            finally:
                run._recorder.stop()
            reviewed = self._after(result, deadline)
            if reviewed is None:
                return result
            state = reviewed

    def resume(self, run_id: str, fn: Callable[[Run], T], *, wait: Optional[float] = None) -> RunResult[T]:
        """Continues an escalated (or interrupted) run by id. ``failed`` when the server has no such
        run or cannot be reached.

        Example::

            claims.resume(review["runId"], pipeline)
        """
        unavailable = self._unavailable(run_id)
        if unavailable is not None:
            return unavailable
        return self.run(fn, run_id=run_id, wait=wait)

    def start(self, *, input: Any = None, key: Optional[str] = None, run_id: Optional[str] = None, replay: bool = True) -> "RunContext":
        """The context-manager form of ``run``: the block is the run's body; set ``run.output``; the
        result is ``ctx.result`` after the block. A step failing or escalating ends the block (the
        ``RunStopped`` it raises is swallowed), as does any exception, which fails the run.

        Example::

            with claims.start(input=email, key=email["message_id"]) as run:
                fields = run.step("extract", extract, input=email)
                run.output = run.step("route", route, from_=[fields]).value
            print(run.result.status)
        """
        from .run_context import RunContext

        return RunContext(self, input, key, run_id, replay)

    def runner(self, fn: Optional[Callable[..., Any]] = None, *, key: Optional[Callable[[Any], str]] = None) -> Any:
        """Decorator: ``fn(run, input)`` becomes ``process(input, key=..., run_id=..., wait=...)``
        returning a ``RunResult`` (awaitable for a coroutine function). ``key`` may derive the run's
        key from the input.

        Example::

            @claims.runner(key=lambda email: email["message_id"])
            def process(run, email):
                return run.step("extract", lambda: extract(email), input=email).value

            result = process(email)
        """
        def wrap(f: Callable[..., Any]) -> Any:
            if inspect.iscoroutinefunction(f):
                @functools.wraps(f)
                async def arunner(input: Any = None, **kw: Any) -> RunResult[Any]:
                    if key is not None and "key" not in kw:
                        kw["key"] = key(input)
                    async def fn(run: AsyncRun) -> Any:
                        return await f(run, input)

                    return await self.run_async(fn, input=input, **kw)
                return arunner

            @functools.wraps(f)
            def runner(input: Any = None, **kw: Any) -> RunResult[Any]:
                if key is not None and "key" not in kw:
                    kw["key"] = key(input)
                return self.run(lambda run: f(run, input), input=input, **kw)
            return runner
        return wrap(fn) if fn is not None else wrap

    # --- asyncio ---

    async def run_async(self, fn: Callable[[AsyncRun], Awaitable[T]], *, input: Any = None, key: Optional[str] = None,
                        run_id: Optional[str] = None, replay: bool = True, wait: Optional[float] = None) -> RunResult[T]:
        """``run`` for asyncio: ``fn`` is a coroutine function taking an ``AsyncRun``. The server
        calls of a replay run on a worker thread, so the event loop never blocks on the network."""
        deadline = time.monotonic() + wait if wait else 0.0
        state = await asyncio.to_thread(self._initial_state, run_id, key, replay)
        while True:
            claim = None
            if state:
                admitted = await asyncio.to_thread(self._admit, state, deadline)
                if isinstance(admitted, RunResult):
                    return admitted
                state, claim = admitted
            run, started = self._new_run(AsyncRun, state, run_id, key, input, claim)
            try:
                result = self._finish(run, await self._acall(run, fn), started, state)
            finally:
                run._recorder.stop()
            reviewed = await asyncio.to_thread(self._after, result, deadline)
            if reviewed is None:
                return result
            state = reviewed

    async def resume_async(self, run_id: str, fn: Callable[[AsyncRun], Awaitable[T]], *, wait: Optional[float] = None) -> RunResult[T]:
        unavailable = await asyncio.to_thread(self._unavailable, run_id)
        if unavailable is not None:
            return unavailable
        return await self.run_async(fn, run_id=run_id, wait=wait)

    def start_async(self, *, input: Any = None, key: Optional[str] = None, run_id: Optional[str] = None, replay: bool = True) -> "AsyncRunContext":
        """``start`` for asyncio: ``async with claims.start_async(...) as run: ...``."""
        from .run_context import AsyncRunContext

        return AsyncRunContext(self, input, key, run_id, replay)

    # --- shared ---

    def _initial_state(self, run_id: Optional[str], key: Optional[str], replay: bool) -> Optional[RunState]:
        resumer = self._client._resumer
        if resumer is None or not replay or (run_id is None and key is None):
            return None
        state = resumer.state(run_id) if run_id is not None else resumer.state_by_key(self.name, key)  # type: ignore[arg-type]
        # Unreachable: the run goes ahead as a new one; the notice has been given.
        return state or None

    def _unavailable(self, run_id: str) -> Optional[RunResult[Any]]:
        resumer = self._client._resumer
        state = resumer.state(run_id) if resumer is not None else UNREACHABLE
        if state:
            return None
        message = f"no run {run_id} to resume" if state is None else "the server could not be reached to resume the run"
        return RunResult("failed", run_id, failure=Failure(error={"name": "ResumeUnavailable", "message": message}))

    def _admit(self, state: RunState, deadline: float) -> Union[RunResult[Any], Tuple[RunState, Optional[WonClaim]]]:
        """Whether a run with recorded state may go on here (with the resume claim won), or what
        ``run()`` answers instead."""
        run_id = state["run"]["id"]
        esc = state.get("escalation")
        finished = state["run"].get("status") in ("completed", "failed")
        if esc is not None and esc["status"] == "resolved" and not finished:
            # Another worker holds the claim on this review and is running the rest: not ours to run.
            # A claim whose worker went away lapses, and the server says the run is resumable again.
            resumable = esc.get("resumable")
            if not (resumable if isinstance(resumable, bool) else esc.get("resumedAt") is None):
                return RunResult("duplicate", run_id)
        elif state["run"].get("status") != "paused" or esc is None:
            return state, None
        if esc["status"] == "open":
            reviewed = self._await_review(run_id, deadline, esc["id"]) if time.monotonic() < deadline else None
            if reviewed is None or reviewed.get("escalation") is None:
                return RunResult("escalated", run_id, escalation=Escalation(esc["id"], esc["step"], esc["stepId"]))
            state = reviewed
            esc = reviewed["escalation"]
            assert esc is not None
        resumer: Any = self._client._resumer
        assert resumer is not None
        # Reviewed: one worker resumes it, whichever asks first, under a lease it renews as it runs.
        claimed_at = time.monotonic()
        claim = resumer.claim(run_id, esc["id"])
        if claim is UNREACHABLE:
            return RunResult("escalated", run_id, escalation=Escalation(esc["id"], esc["step"], esc["stepId"]))
        if not claim.won:
            return RunResult("duplicate", run_id)
        return state, WonClaim(esc["id"], claim.epoch, claim.lease, claimed_at)

    def _await_review(self, run_id: str, deadline: float, escalation_id: Optional[str]) -> Optional[RunState]:
        resumer = self._client._resumer
        assert resumer is not None
        while time.monotonic() < deadline:
            state = resumer.state(run_id)
            esc = state.get("escalation") if state else None
            if esc is not None and esc["status"] == "resolved" and (escalation_id is None or esc["id"] == escalation_id):
                return state  # type: ignore[no-any-return]
            time.sleep(max(0.0, min(0.5, deadline - time.monotonic())))
        return None

    def _after(self, result: RunResult[Any], deadline: float) -> Optional[RunState]:
        """With ``wait``: the reviewed state to resume from, or None when ``run()`` is done."""
        if result.status != "escalated" or self._client._resumer is None or time.monotonic() >= deadline:
            return None
        # The reviewer must see the escalation before it can be reviewed.
        self._client.flush(timeout=max(0.0, deadline - time.monotonic()))
        return self._await_review(result.run_id, deadline, result.escalation.id if result.escalation else None)

    def _new_run(self, cls: Any, state: Optional[RunState], run_id: Optional[str], key: Optional[str], input: Any,
                 claim: Optional[WonClaim] = None) -> Tuple[Any, float]:
        """Emits ``run.started`` and makes the run object (replaying ``state`` when there is one),
        recording through a ``RunRecorder`` that holds the resume claim's lease, if any."""
        rid = state["run"]["id"] if state else (run_id or uuidv7())
        started = self._client._now()
        event: Dict[str, Any] = {"id": uuidv7(), "type": "run.started", "time": iso_time(started), "runId": rid, "workflow": self.name, "version": self.version}
        # A replay keeps the run's recorded key and input: its recorded steps were computed from them.
        k = state["run"].get("key") if state else key
        i = state["run"].get("input") if state else input
        if k is not None:
            event["key"] = k
        if i is not None:
            event["input"] = i
        recorder = RunRecorder(self._client._emit, state, claim, self._lease(rid, claim))
        recorder.emit(event)
        run = cls((rid, self.name, self.version), recorder.emit, self._gates)
        run._recorder = recorder
        run.input = i
        if state:
            run._replay_from(state)
        return run, started

    def _lease(self, run_id: str, claim: Optional[WonClaim]) -> Optional[ResumeLease]:
        resumer = self._client._resumer
        if claim is None or claim.lease <= 0 or resumer is None:
            return None
        esc_id, epoch, renew = claim.escalation_id, claim.epoch, resumer.renew
        return ResumeLease(lambda: renew(run_id, esc_id, epoch), claim.lease, claim.claimed_at,
                           lambda reason: None, self._client._notifier, run_id)

    def _call(self, run: Run, fn: Callable[[Run], Any]) -> Any:
        self._arm(run)
        try:
            return fn(run)
        except RunStopped:
            return None
        except Exception as err:
            run._fail_outside(err)
            return None

    async def _acall(self, run: AsyncRun, fn: Callable[[AsyncRun], Awaitable[Any]]) -> Any:
        self._arm(run)
        try:
            return await fn(run)
        except RunStopped:
            return None
        except Exception as err:
            run._fail_outside(err)
            return None

    def _arm(self, run: RunCore) -> None:
        """Starts renewing the run's resume claim; losing it stops the run before its next step."""
        lease = run._recorder.lease
        if lease is not None:
            lease._on_lost = run._lose
            lease.start()

    def _finish(self, run: RunCore, output: Any, started: float, state: Optional[RunState]) -> RunResult[Any]:
        """Emits the run's end (or pause) and returns its result."""
        stop = run.stopped
        if run._recorder.lost or (stop is not None and stop.reason == "lease_lost"):
            return RunResult("lease_lost", run.id)
        escalation = run.escalation if stop is not None and stop.reason == "escalated" else None
        status = "paused" if escalation else ("failed" if stop is not None else "completed")
        ended = self._client._now()
        event: Dict[str, Any] = {"id": uuidv7(), "type": f"run.{status}", "time": iso_time(ended), "runId": run.id,
                                 "workflow": self.name, "version": self.version, "durationMs": max(0, int(round((ended - started) * 1000)))}
        emit = run._emit  # the run's recorder: epoch-stamped, and silent once its claim is lost
        if escalation is not None:
            event["stepId"] = escalation.step_id
            event["escalationId"] = escalation.id
            emit(event)
            self._client._flush_soon()  # escalations should reach reviewers promptly
            return RunResult("escalated", run.id, escalation=escalation)
        if status == "failed":
            failure = run.failure
            assert failure is not None
            event["error"] = failure.error
            if failure.step_id is not None:
                event["stepId"] = failure.step_id
            emit(event)
            return RunResult("failed", run.id, failure=failure)
        # A run that returns a step handle means that step's value.
        recorded = output.value if isinstance(output, StepHandle) else output
        if recorded is not None:
            event["output"] = recorded
        emit(event)
        return RunResult("completed", run.id, output=output)
