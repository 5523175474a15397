"""The errors a run can stop with, and how an exception is described on the wire."""

from __future__ import annotations

import json
import traceback
from typing import Optional

from .wire import ErrorInfo

__all__ = ["InvalidConfidence", "RunStopped", "ReviewRejected", "ContractUnavailable", "error_info"]


class InvalidConfidence(ValueError):
    """A step gave a confidence that is not a finite number in [0, 1].

    The value is never clamped or guessed at (1.7 is not 1, 85 is not 0.85, ``"0.9"`` is not 0.9):
    the step fails with this error, and the run stops and says why.

    Example::

        run.step("classify", lambda: StepResult("water", confidence=85))
        # the run fails: InvalidConfidence: confidence must be a finite number in [0, 1], got 85
    """

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(f"confidence must be a finite number in [0, 1], got {_describe(value)}")


class RunStopped(Exception):
    """Raised by ``run.step()`` once the run has stopped: a step failed after its retries, or a
    step escalated at its gate. Later steps raise it too, without calling user code, and
    ``workflow.run()`` returns the recorded outcome instead of raising.
    """

    def __init__(self, run_id: str, reason: str, step: Optional[str], message: str) -> None:
        super().__init__(message)
        self.run_id = run_id
        #: ``failed``, ``escalated``, or ``duplicate`` (another worker holds this run's resume).
        self.reason = reason
        self.step = step


class ReviewRejected(Exception):
    """The reviewer rejected the escalated output: the run fails at that step."""


class ContractUnavailable(RuntimeError):
    """A step's contract needs a package that is not installed (``jsonschema``, ``pydantic``)."""


def error_info(err: BaseException) -> ErrorInfo:
    """An exception as the wire's ``ErrorInfo``: its class name, message and traceback."""
    info: ErrorInfo = {"name": type(err).__name__, "message": _message(err)}
    try:
        stack = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    except Exception:  # a broken __str__ somewhere in the chain must not break the run
        stack = ""
    if stack:
        info["stack"] = stack
    return info


def _message(err: BaseException) -> str:
    try:
        text = str(err)
    except Exception:
        return type(err).__name__
    # KeyError('x') prints as "'x'": keep it, it is what Python users recognise.
    return text


def _describe(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__}>"
