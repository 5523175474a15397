"""The transport: a bounded buffer drained by one background thread (see ``sender.py``), one
gzipped batch in flight at a time so events arrive in order. It never raises into the host, never
retries what the server refused, counts every drop by reason, and says so once per cause. With a
spool, the spool is the buffer: nothing is dropped until it is full.
"""

from __future__ import annotations

import collections
import os
import random as _random
import threading
import time
from typing import Any, Callable, Deque, Dict, Optional

from .http import HttpRequest, RequestFn
from .ledger import FlushResult, Ledger, ShutdownReport
from .notices import Notifier
from .sender import Sender, _Batch, _wire_json
from .spool import FileSpool

__all__ = ["Transport"]


class Transport(Sender):
    """Batches events to ``POST /v1/events`` from a background thread. ``enqueue`` is O(1) and never
    raises; ``flush`` and ``shutdown`` never raise."""

    def __init__(
        self,
        endpoint: str,
        api_key: Optional[str],
        notifier: Notifier,
        *,
        request: Optional[RequestFn] = None,
        max_batch_events: int = 500,
        max_batch_bytes: int = 1_000_000,
        flush_interval: float = 1.0,
        max_buffer_events: int = 10_000,
        gzip: bool = True,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        request_timeout: float = 30.0,
        probe_interval: float = 1.0,
        grace_period: float = 10.0,
        spool: Optional[FileSpool] = None,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = _random.random,
        start_thread: bool = True,
    ) -> None:
        base = endpoint.rstrip("/")
        self.endpoint = base
        self._url = base + "/v1/events"
        self._probe_url = base + "/healthz"
        self._headers = {"Content-Type": "application/json", "User-Agent": "seamtrace-python/0.1"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._request: RequestFn = request or HttpRequest()
        self._max_batch = max(1, min(1000, int(max_batch_events)))  # the collector's limits
        self._max_bytes = max(1, min(5_000_000, int(max_batch_bytes)))
        self._flush_interval = max(0.0, flush_interval)
        self._max_buffer = max(1, int(max_buffer_events))
        self._gzip = gzip
        self._min_backoff = max(0.0, min_backoff)
        self._max_backoff = max(self._min_backoff, max_backoff)
        self._timeout = max(0.001, request_timeout)
        self._probe_interval = probe_interval
        self._grace = grace_period
        self._clock = clock
        self._random = random
        self._notifier = notifier
        self._spool = spool
        self._start_thread = start_thread
        self._reset_state()

    def _reset_state(self) -> None:
        self._cond = threading.Condition()
        self._ledger = Ledger(self._on_drop, self._on_rejected)
        self._ledger.cond = self._cond
        self._queue: Deque[Any] = collections.deque()
        #: Batches taken from the buffer and not yet settled; the first is the one being sent.
        self._pending: Deque[_Batch] = collections.deque()
        self._inflight = 0
        self._taken = 0
        self._drain_to = 0
        self._next_flush = self._clock() + self._flush_interval
        self._retry_at: Optional[float] = None
        self._probe_at: Optional[float] = None
        self._failing_since: Optional[float] = None
        self._closed = False
        self._halted = False
        self._deadline = float("inf")
        self._kicked = False
        self._thread: Optional[threading.Thread] = None
        self._needs_start = self._start_thread
        self._report: Optional[ShutdownReport] = None

    # --- the host's side ---

    def enqueue(self, event: Any) -> None:
        """Buffers a wire event (a dict) or a deferred one (with ``to_wire()``, called on the sender
        thread). Past the bound, or after shutdown, the event is dropped and counted."""
        try:
            if self._closed:
                return self._refuse("shutdown")
            if self._spool is not None:
                return self._enqueue_spooled(event)
            q = self._queue
            n = len(q)
            if n + self._inflight >= self._max_buffer:
                return self._refuse("buffer_full")
            q.append(event)
            if n + 1 == self._max_batch:
                self._kick()
            if self._needs_start:
                self._start()
        except Exception as err:  # never into user code
            self._notifier.debug("could not buffer an event", err)

    def _enqueue_spooled(self, event: Any) -> None:
        assert self._spool is not None
        try:
            line, _ = _wire_json(event)
        except Exception as err:
            self._notifier.debug("an event could not be serialised", err)
            return self._refuse("serialize_error")
        try:
            stored = self._spool.append(line)
        except OSError as err:
            self._notifier.once("spool", f"the spool at {self._spool.dir} failed to store an event ({err}); it is dropped", err)
            return self._refuse("spool_error")
        if not stored:
            return self._refuse("spool_full")
        if self._needs_start:
            self._start()

    def _refuse(self, reason: str) -> None:
        with self._cond:
            self._ledger.drop_refused(reason)

    def stats(self) -> Dict[str, Any]:
        with self._cond:
            return self._ledger.snapshot(self.buffered(), self._notifier.last_error)

    def flush_soon(self) -> None:
        """Sends what is buffered now rather than at the flush interval, without waiting."""
        with self._cond:
            self._drain_to = max(self._drain_to, self._taken + self._untaken())
            self._kick_locked()
        if self._needs_start:
            self._start()

    def flush(self, timeout: float = 5.0) -> FlushResult:
        """Sends everything buffered now and waits until it is delivered, refused or dropped, or
        ``timeout`` seconds pass (what is unsent then stays buffered and counts as undelivered)."""
        try:
            if self._needs_start:
                self._start()
            deadline = time.monotonic() + max(0.0, timeout)
            with self._cond:
                untaken = self._untaken()
                in_batch = self._inflight
                up_to = self._taken + untaken
                waiter = self._ledger.wait(up_to, untaken + in_batch)
                self._drain_to = max(self._drain_to, up_to)
                self._kick_locked()
                while waiter.remaining > 0 and not self._halted:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                if waiter in self._ledger.waiters:
                    self._ledger.waiters.remove(waiter)
                return FlushResult(waiter.delivered, waiter.undelivered + max(0, waiter.remaining))
        except Exception as err:
            self._notifier.debug("flush failed", err)
            return FlushResult(0, 0)

    def shutdown(self, timeout: float = 5.0) -> ShutdownReport:
        """Stops accepting events, drains the buffer until ``timeout`` seconds, then drops what is
        left as ``shutdown`` (with a spool it stays on disk for the next process). Idempotent."""
        with self._cond:
            if self._report is not None:
                return self._report
            first = not self._closed
            self._closed = True
            deadline = time.monotonic() + max(0.0, timeout)
            if first:
                self._deadline = self._clock() + max(0.0, timeout)
                self._drain_to = self._taken + self._untaken()
                self._kick_locked()
        if self._needs_start and (self._untaken() or self._ledger.reports):
            self._start()
        with self._cond:
            while not self._halted and self._report is None and (self._untaken() or self._pending or self._ledger.reports):
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None:
                    break
                self._cond.wait(left)
            if self._report is not None:
                return self._report
            timed_out = bool(self._untaken() or self._pending)
            self._halted = True
            self._cond.notify_all()
            self._drop_remaining()
            self._ledger.reports.clear()  # nothing is left to carry them
            report = ShutdownReport(self._ledger.sent + self._ledger.duplicates, self._ledger.undelivered(), self._notifier.last_error, timed_out)
            self._report = report
        if self._spool is not None:
            try:
                self._spool.close()
            except OSError as err:
                self._notifier.debug("closing the spool failed", err)
        if report.undelivered:
            self._notifier.once("undelivered", f"shut down with events undelivered: {report}")
        return report

    # --- the sender thread ---

    # --- fork ---

    def after_fork_in_child(self) -> None:
        """The child starts its own transport: an empty buffer (the parent's events are the
        parent's to send), fresh locks and counters, and no thread until it has events."""
        spool = self._spool
        if isinstance(self._request, HttpRequest):
            self._request.reset()
        closed = self._closed
        self._reset_state()
        self._closed = closed
        if spool is not None:
            spool.release_after_fork()
            self._spool = None
            self._notifier.after_fork()
            self._notifier.once("fork", f"this forked process (pid {os.getpid()}) buffers in memory only: the spool at {spool.dir} "
                                "stays its parent's. Create the client after the fork for a spool of its own.")
