"""The errors a run can stop with, and how an exception is described on the wire."""

from __future__ import annotations

import json
import math
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
        # the run fails: InvalidConfidence: step "classify" returned confidence 85: a confidence is
        # a finite number in [0, 1], or left out when the step has none (a percentage? divide by 100)
    """

    def __init__(self, value: object, step: Optional[str] = None) -> None:
        self.value = value
        self.step = step
        # Worded as the TypeScript SDK words it, values spelled as JSON would: the same mistake
        # reads the same in the review queue, whichever SDK made it.
        who = f"step {json.dumps(step)} returned confidence" if step is not None else "confidence"
        hint = " (a percentage? divide by 100)" if _number(value) and 1 < value <= 100 else ""  # type: ignore[operator]
        super().__init__(f"{who} {_describe(value)}: a confidence is a finite number in [0, 1], or left out when the step has none{hint}")


class RunStopped(Exception):
    """Raised by ``run.step()`` once the run has stopped: a step failed after its retries, or a
    step escalated at its gate. Later steps raise it too, without calling user code, and
    ``workflow.run()`` returns the recorded outcome instead of raising.
    """

    def __init__(self, run_id: str, reason: str, step: Optional[str], message: str) -> None:
        super().__init__(message)
        self.run_id = run_id
        #: ``failed``, ``escalated``, or ``lease_lost`` (this worker lost its claim on the run's
        #: resume; another worker resumes it).
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


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return json.dumps(value[:100])
    try:
        return (json.dumps(value) if isinstance(value, (list, dict)) else repr(value))[:100]
    except Exception:
        return f"<{type(value).__name__}>"
