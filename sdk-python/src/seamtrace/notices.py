"""Telemetry never raises into user code, and is never silent either: each kind of trouble is told
once, as one line on the ``seamtrace`` logger and one call of the ``on_error`` hook, not once per
event. Everything else goes to the logger at DEBUG level."""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional, Set, Union

__all__ = ["SeamtraceProblem", "Notifier", "LOGGER_NAME"]

LOGGER_NAME = "seamtrace"


class SeamtraceProblem(Exception):
    """What ``on_error`` receives: a problem the SDK worked around, and why it matters.

    ``cause`` names the kind: ``auth`` (the collector refused the API key), ``unreachable``
    (delivery has been failing longer than the grace period), ``dropped:<reason>`` (the first
    event dropped for that reason), ``rejected:<code>`` (the collector refused events),
    ``no_api_key``, ``resume``, ``lease``, ``policies``, ``spool``, ``fork``.
    """

    def __init__(self, cause: str, message: str, error: Optional[BaseException] = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.error = error


class Notifier:
    """Tells each cause once; ``rearm`` lets a cause be told again (a new outage after recovery)."""

    def __init__(self, logger: Union[logging.Logger, bool, None] = None, on_error: Optional[Callable[[SeamtraceProblem], None]] = None) -> None:
        if logger is False:
            self._logger: Optional[logging.Logger] = None
        elif isinstance(logger, logging.Logger):
            self._logger = logger
        else:
            self._logger = logging.getLogger(LOGGER_NAME)
        self._on_error = on_error
        self._told: Set[str] = set()
        self._lock = threading.Lock()
        self.last_error: Optional[str] = None

    def told(self, cause: str) -> bool:
        return cause in self._told

    def once(self, cause: str, message: str, error: Optional[BaseException] = None, level: int = logging.WARNING) -> bool:
        """Logs ``message`` and calls ``on_error``, unless ``cause`` was told already. Never raises."""
        if cause in self._told:
            return False
        with self._lock:
            if cause in self._told:
                return False
            self._told.add(cause)
        self.last_error = message
        self._log(level, message)
        hook = self._on_error
        if hook is not None:
            try:
                hook(SeamtraceProblem(cause, message, error))
            except Exception:
                pass  # a diagnostics hook must not break the SDK, or the host
        return True

    def rearm(self, cause: str) -> None:
        self._told.discard(cause)

    def info(self, message: str) -> None:
        self._log(logging.INFO, message)

    def debug(self, message: str, error: Optional[BaseException] = None) -> None:
        """A problem not worth a line of its own (a retry, one failed refresh): kept as the last error."""
        self.last_error = message if error is None else f"{message}: {_text(error)}"
        self._log(logging.DEBUG, self.last_error)

    def _log(self, level: int, message: str) -> None:
        logger = self._logger
        if logger is None:
            return
        try:
            logger.log(level, "seamtrace: %s", message)
        except Exception:
            pass

    def after_fork(self) -> None:
        self._lock = threading.Lock()


def _text(err: BaseException) -> str:
    try:
        return f"{type(err).__name__}: {err}"
    except Exception:
        return type(err).__name__
