"""``st.on_resolved``: a worker thread that hands each arrived review to a handler, typically to
resume its run."""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any, Callable, Optional

from .notices import Notifier
from .resumer import UNREACHABLE, Resumer, review_items
from .wire import ResolvedReview

__all__ = ["ResolvedWorker"]


class ResolvedWorker:
    """Polls ``GET /v1/resumable`` every ``poll_interval`` seconds on a daemon thread and calls the
    handler for each review whose run nobody has resumed yet, or whose resuming worker went away
    (its claim lapsed unrenewed, so the run is offered again). Two workers may both see a review:
    the server lets one resume the run, the other's ``resume()`` answers ``duplicate``. A
    coroutine handler runs on an event loop of the worker's own. Stop it with ``stop()`` or by
    leaving its ``with`` block.

    Example::

        @st.on_resolved
        def handle(review):
            if review["workflow"] == "claims":
                claims.resume(review["runId"], pipeline)
        ...
        handle.stop()
    """

    def __init__(self, resumer: Optional[Resumer], handler: Callable[[ResolvedReview], Any], poll_interval: float, notifier: Notifier) -> None:
        self._resumer = resumer
        self.handler = handler
        self._poll = max(0.05, poll_interval)
        self._notifier = notifier
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._polled = threading.Condition()
        #: Polls completed (each reached the server and handled its whole page).
        self.polls = 0

    def start(self) -> "ResolvedWorker":
        if self._resumer is None:
            self._notifier.once("no_api_key_worker", "on_resolved needs an API key; no reviews will be handled")
            return self
        self._thread = threading.Thread(target=self._loop, name="seamtrace-on-resolved", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: float = 0.0) -> None:
        """Stops polling; with ``wait``, waits up to that long for a handler in progress."""
        self._stop.set()
        thread = self._thread
        if wait > 0 and thread is not None and thread is not threading.current_thread():
            thread.join(wait)

    def wait(self, polls: int = 1, timeout: float = 30.0) -> bool:
        """Waits until ``polls`` more polls have completed, each with every review of its page
        handled (a script doing one pass, or a test); False at the timeout.

        Example::

            worker.wait()  # every review waiting now has been handed to the handler
            worker.stop()
        """
        with self._polled:
            target = self.polls + polls
            return self._polled.wait_for(lambda: self.polls >= target, timeout)

    def __call__(self, review: ResolvedReview) -> Any:
        return self.handler(review)

    def __enter__(self) -> "ResolvedWorker":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _loop(self) -> None:
        assert self._resumer is not None
        while not self._stop.is_set():
            # No cursor: the server lists only reviews whose run nobody has resumed, so a resume that
            # failed for a passing reason is offered again on the next poll.
            page = self._resumer.resolved(None)
            if page is not UNREACHABLE:
                for review in review_items(page):
                    if self._stop.is_set():
                        return
                    self._handle(review)
                with self._polled:
                    self.polls += 1
                    self._polled.notify_all()
            self._stop.wait(self._poll)

    def _handle(self, review: ResolvedReview) -> None:
        try:
            out = self.handler(review)
            if inspect.isawaitable(out):
                asyncio.run(_awaited(out))
        except Exception as err:
            name = getattr(self.handler, "__name__", "handler")
            self._notifier.once(f"on_resolved:{type(err).__name__}", f"the on_resolved handler {name} raised {type(err).__name__}: {err}", err)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
