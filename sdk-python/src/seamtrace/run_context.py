"""The context-manager form of a run: ``with workflow.start(...) as run:`` and
``async with workflow.start_async(...) as run:``."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from .errors import RunStopped
from .recorder import WonClaim
from .run import AsyncRun, Run
from .run_core import RunCore
from .wire import RunState
from .workflow import RunResult, Workflow

__all__ = ["RunContext", "AsyncRunContext"]


class RunContext:
    """``with workflow.start(...) as run:`` (see ``Workflow.start``)."""

    def __init__(self, wf: Workflow, input: Any, key: Optional[str], run_id: Optional[str], replay: bool) -> None:
        self._wf, self._input, self._key, self._run_id, self._replay = wf, input, key, run_id, replay
        self._run: Optional[Run] = None
        self._claim: Optional[WonClaim] = None
        self._state: Optional[RunState] = None
        self._early: Optional[RunResult[Any]] = None

    def _enter(self, cls: type) -> RunCore:
        wf = self._wf
        state = wf._initial_state(self._run_id, self._key, self._replay)
        if state:
            admitted = wf._admit(state, 0.0)
            if isinstance(admitted, RunResult):
                # Not ours to run: the block's first step raises RunStopped without running anything.
                self._early = admitted
                run = cls((admitted.run_id, wf.name, wf.version), lambda e: None, wf._gates)
                run._stop = RunStopped(admitted.run_id, admitted.status, None, f"the run is {admitted.status}; nothing runs here")
                run.result = admitted
                return run  # type: ignore[no-any-return]
            state, self._claim = admitted
        self._state = state
        run, self._started = wf._new_run(cls, state, self._run_id, self._key, self._input, self._claim)
        wf._arm(run)
        return run  # type: ignore[no-any-return]

    def _exit(self, run: RunCore, exc: Optional[BaseException]) -> bool:
        if self._early is not None:
            return exc is None or isinstance(exc, RunStopped)
        try:
            if exc is not None and not isinstance(exc, RunStopped):
                if not isinstance(exc, Exception):
                    return False  # KeyboardInterrupt, SystemExit: not the run's to swallow
                run._fail_outside(exc)
            run.result = self._wf._finish(run, getattr(run, "output", None), self._started, self._state)  # type: ignore[attr-defined]
            return True
        finally:
            run._recorder.stop()

    def __enter__(self) -> Run:
        self._run = self._enter(_CtxRun)  # type: ignore[assignment]
        return self._run  # type: ignore[return-value]

    def __exit__(self, et: Any, exc: Optional[BaseException], tb: Any) -> bool:
        assert self._run is not None
        return self._exit(self._run, exc)


class AsyncRunContext(RunContext):
    async def __aenter__(self) -> AsyncRun:
        self._run = await asyncio.to_thread(self._enter, _CtxAsyncRun)  # type: ignore
        return self._run  # type: ignore[return-value]

    async def __aexit__(self, et: Any, exc: Optional[BaseException], tb: Any) -> bool:
        assert self._run is not None
        return self._exit(self._run, exc)


class _CtxRun(Run):
    """A run driven by a ``with`` block: it carries the block's output and, after it, the result."""

    output: Any = None
    result: Optional[RunResult[Any]] = None


class _CtxAsyncRun(AsyncRun):
    output: Any = None
    result: Optional[RunResult[Any]] = None
