"""One execution of a workflow: ``Run`` for synchronous code, ``AsyncRun`` for asyncio."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from typing import Any, Awaitable, Callable, List, Mapping, Optional, Sequence, TypeVar, Union

from .errors import RunStopped, error_info
from .policy import PolicyLike, as_policy
from .run_core import RunCore, retry_of, wants_context
from .step import StepContext, StepHandle, StepResult
from .wire import ErrorInfo, FeatureValue

__all__ = ["Run", "AsyncRun", "StepTimeout"]

V = TypeVar("V")
StepReturn = Union[StepResult[V], V]


class StepTimeout(TimeoutError):
    """An attempt ran longer than the step's ``timeout``."""


class Run(RunCore):
    """One execution of a workflow, for synchronous code. Made by ``workflow.run()``.

    Example::

        def pipeline(run: Run):
            fields = run.step("extract", lambda: StepResult(parse(email), confidence=0.93), input=email)
            kind = run.step("classify", lambda: StepResult(classify(fields.value), confidence=0.8), from_=[fields])
            return kind.value
    """

    def step(
        self,
        name: str,
        fn: Callable[..., StepReturn[V]],
        *,
        input: Any = None,
        from_: Sequence[StepHandle[Any]] = (),
        source: str = "inferred",
        observed_at: Any = None,
        max_age: Optional[float] = None,
        retry: Any = None,
        timeout: Optional[float] = None,
        features: Optional[Mapping[str, FeatureValue]] = None,
        schema: Any = None,
        contract_schema: Optional[Mapping[str, Any]] = None,
        policy: Optional[PolicyLike] = None,
    ) -> StepHandle[V]:
        """Runs one step: calls ``fn`` (with retries), records its output, confidence, cumulative
        confidence and lineage, checks its gates, and returns a handle for downstream steps.

        ``fn`` takes no argument, or one (a ``StepContext``). It returns a ``StepResult``, a dict
        with its keys, or a plain value (unscored). ``from_`` lists the handles this step's input
        came from; ``max_age`` is in seconds; ``retry`` is a ``Retry`` or a number of attempts;
        ``schema`` is the output contract (callable, JSON Schema or Pydantic model).

        Raises ``RunStopped`` when the run stops here (the step failed after its retries, or
        escalated at its gate) or stopped earlier; ``workflow.run()`` turns it into its result.
        """
        p = as_policy(policy) if policy is not None else None
        replayed, handle = self._begin(name, from_, source, input, observed_at, max_age, features, schema, contract_schema)
        if replayed is not None:
            return replayed
        intercept = self._gates.intercept
        if intercept is not None:
            fn = intercept(self._identity, name, handle.call, fn)
        r = retry_of(retry)
        if r.attempts <= 1 and timeout is None:
            # The common case stays off the retry loop: one call, no extra frame.
            try:
                ret = fn(StepContext(handle, self.id, 1)) if wants_context(fn) else fn()
            except RunStopped:
                raise
            except Exception as err:
                raise self._fail_step(handle, 1, None, err) from None
            return self._finish(handle, ret, 1, None, p, schema, contract_schema, max_age)
        errors: Optional[List[ErrorInfo]] = None
        attempt = 1
        while True:
            try:
                ret = self._attempt(handle, fn, attempt, timeout)
            except RunStopped:
                raise
            except Exception as err:
                if attempt >= r.attempts:
                    raise self._fail_step(handle, attempt, errors, err) from None
                errors = (errors or []) + [error_info(err)]
                if r.backoff > 0:
                    time.sleep(r.backoff * 2 ** (attempt - 1))
                if self._stop is not None:
                    raise self._stop from None  # a parallel branch stopped the run meanwhile
                attempt += 1
                continue
            return self._finish(handle, ret, attempt, errors, p, schema, contract_schema, max_age)

    def _attempt(self, handle: StepHandle[Any], fn: Callable[..., Any], attempt: int, timeout: Optional[float]) -> Any:
        if timeout is None:
            return fn(StepContext(handle, self.id, attempt)) if wants_context(fn) else fn()
        # Python cannot interrupt a running function: the attempt runs on a helper thread and is
        # abandoned at the deadline (its context's ``cancelled`` is set, for code that checks it).
        cancelled = threading.Event()
        box: List[Any] = []
        ctx = StepContext(handle, self.id, attempt, cancelled)

        def target() -> None:
            try:
                box.append((True, fn(ctx) if wants_context(fn) else fn()))
            except BaseException as err:  # handed to the caller's thread
                box.append((False, err))

        worker = threading.Thread(target=target, name=f"seamtrace-step-{handle.name}", daemon=True)
        worker.start()
        worker.join(timeout)
        if not box:
            cancelled.set()
            raise StepTimeout(f"step attempt exceeded {timeout} s")
        ok, value = box[0]
        if ok:
            return value
        raise value


class AsyncRun(RunCore):
    """One execution of a workflow, for asyncio. Made by ``workflow.run_async()``. Independent
    steps run in parallel with ``asyncio.gather``.

    Example::

        async def pipeline(run: AsyncRun):
            fields = await run.step("extract", extract, input=email)
            kind, policy = await asyncio.gather(
                run.step("classify", classify, from_=[fields]),
                run.step("match-policy", match, from_=[fields], source="direct"),
            )
            return kind.value
    """

    async def step(
        self,
        name: str,
        fn: Callable[..., Union[StepReturn[V], Awaitable[StepReturn[V]]]],
        *,
        input: Any = None,
        from_: Sequence[StepHandle[Any]] = (),
        source: str = "inferred",
        observed_at: Any = None,
        max_age: Optional[float] = None,
        retry: Any = None,
        timeout: Optional[float] = None,
        features: Optional[Mapping[str, FeatureValue]] = None,
        schema: Any = None,
        contract_schema: Optional[Mapping[str, Any]] = None,
        policy: Optional[PolicyLike] = None,
    ) -> StepHandle[V]:
        """Runs one step, like ``Run.step``; ``fn`` may be a coroutine function or a plain one.
        A ``timeout`` cancels the attempt's coroutine."""
        p = as_policy(policy) if policy is not None else None
        replayed, handle = self._begin(name, from_, source, input, observed_at, max_age, features, schema, contract_schema)
        if replayed is not None:
            return replayed
        intercept = self._gates.intercept
        if intercept is not None:
            fn = intercept(self._identity, name, handle.call, fn)
        r = retry_of(retry)
        errors: Optional[List[ErrorInfo]] = None
        attempt = 1
        while True:
            try:
                ret = fn(StepContext(handle, self.id, attempt)) if wants_context(fn) else fn()
                if inspect.isawaitable(ret):
                    ret = await (asyncio.wait_for(ret, timeout) if timeout is not None else ret)
            except RunStopped:
                raise
            except asyncio.TimeoutError:
                err: Exception = StepTimeout(f"step attempt exceeded {timeout} s")
                if attempt >= r.attempts:
                    raise self._fail_step(handle, attempt, errors, err) from None
                errors = (errors or []) + [error_info(err)]
            except Exception as e:
                if attempt >= r.attempts:
                    raise self._fail_step(handle, attempt, errors, e) from None
                errors = (errors or []) + [error_info(e)]
            else:
                return self._finish(handle, ret, attempt, errors, p, schema, contract_schema, max_age)
            if r.backoff > 0:
                await asyncio.sleep(r.backoff * 2 ** (attempt - 1))
            if self._stop is not None:
                raise self._stop  # a parallel branch stopped the run meanwhile
            attempt += 1
