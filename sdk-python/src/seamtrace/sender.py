"""The transport's sender: one background thread that takes batches from the buffer (or the
spool) and sends them in order, one in flight at a time, waiting out retries.

While the collector cannot be reached, the front batch waits out a bounded backoff, and a cheap
``GET /healthz`` probe every ``probe_interval`` seconds ends the wait as soon as the collector
answers again: delivery resumes within about that interval of its return, however long the
backoff had grown.
"""

from __future__ import annotations

import gzip as _gzip
import json
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from .backoff import is_retryable_status, parse_retry_after, retry_delay
from .http import RequestFn, error_summary
from .ids import uuidv7
from .jsonwire import to_json
from .ledger import BatchItem, Ledger, ShutdownReport
from .notices import Notifier
from .spool import FileSpool

__all__ = ["Sender"]

_HEAD = b'{"events":['
_TAIL = b"]}"


class _Batch:
    __slots__ = ("items", "body", "gzipped", "attempt")

    def __init__(self, items: List[BatchItem]) -> None:
        self.items = items
        self.body: Optional[bytes] = None  # built once, so a retry resends the same bytes
        self.gzipped = False
        self.attempt = 0


def _wire_json(event: Any) -> Tuple[str, Optional[str]]:
    wire = event.to_wire() if hasattr(event, "to_wire") else event
    if not isinstance(wire, dict):
        raise TypeError("event is not a JSON object")
    eid = wire.get("id")
    return to_json(wire), eid if isinstance(eid, str) else None


def _line_id(line: str) -> Optional[str]:
    # Our events put "id" first; a spooled line from elsewhere is parsed.
    if line.startswith('{"id":"'):
        end = line.find('"', 7)
        if end > 7:
            return line[7:end]
    try:
        eid = json.loads(line).get("id")
    except Exception:
        return None
    return eid if isinstance(eid, str) else None


class Sender:
    """The sending half of ``Transport``; every method runs on the sender thread unless noted."""

    # Set up by Transport.__init__ and _reset_state.
    endpoint: str
    _url: str
    _probe_url: str
    _headers: Dict[str, str]
    _request: RequestFn
    _max_batch: int
    _max_bytes: int
    _flush_interval: float
    _gzip: bool
    _min_backoff: float
    _max_backoff: float
    _timeout: float
    _probe_interval: float
    _grace: float
    _clock: Callable[[], float]
    _random: Callable[[], float]
    _notifier: Notifier
    _spool: Optional[FileSpool]
    _cond: threading.Condition
    _ledger: Ledger
    _queue: Deque[Any]
    _pending: Deque["_Batch"]
    _inflight: int
    _taken: int
    _drain_to: int
    _next_flush: float
    _retry_at: Optional[float]
    _probe_at: Optional[float]
    _failing_since: Optional[float]
    _closed: bool
    _halted: bool
    _deadline: float
    _kicked: bool
    _thread: Optional[threading.Thread]
    _needs_start: bool
    _report: Optional[ShutdownReport]

    def buffered(self) -> int:
        if self._spool is not None:
            return self._spool.pending
        return len(self._queue) + self._inflight

    def _start(self) -> None:
        with self._cond:
            if not self._needs_start:
                return
            self._needs_start = False
            self._thread = threading.Thread(target=self._loop, name="seamtrace-transport", daemon=True)
            self._thread.start()

    def _kick(self) -> None:
        with self._cond:
            self._kick_locked()

    def _kick_locked(self) -> None:
        self._kicked = True
        self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            try:
                delay = self._tick()
            except Exception as err:  # a bug here must not kill delivery for good
                self._notifier.debug("the transport's sender failed", err)
                delay = self._flush_interval or 1.0
            with self._cond:
                self._cond.notify_all()  # flush and shutdown callers re-check
                if self._halted:
                    break
                if delay > 0 and not self._kicked:
                    self._cond.wait(delay)
                self._kicked = False
        close = getattr(self._request, "close_thread", None)
        if close is not None:
            close()

    def _tick(self) -> float:
        """One round: waits out a retry (probing), or sends one batch if one is due. Returns the
        seconds until the next round is needed; a kick wakes the thread sooner."""
        now = self._clock()
        if self._spool is not None:
            self._spool.sync_if_due()
        self._check_grace(now)
        if self._retry_at is not None:
            wait = self._retry_wait(now)
            if wait > 0:
                return wait
            self._retry_at = self._probe_at = None
        with self._cond:
            batch = self._pending[0] if self._pending else self._take_batch(now)
        if batch is None:
            return max(0.001, self._next_flush - now) if self._untaken() else (self._flush_interval or 1.0)
        self._send(batch)
        return 0.0

    def _retry_wait(self, now: float) -> float:
        assert self._retry_at is not None
        if now >= self._retry_at:
            return 0.0
        if self._probe_at is not None and now >= self._probe_at:
            if self._probe():
                return 0.0
            now = self._clock()
            self._probe_at = now + self._probe_interval
        wake = self._retry_at if self._probe_at is None else min(self._retry_at, self._probe_at)
        return max(0.001, wake - now)

    def _probe(self) -> bool:
        """Any HTTP answer from the collector means it is reachable again."""
        try:
            self._request("GET", self._probe_url, {"User-Agent": self._headers["User-Agent"]}, None, max(0.5, min(2.0, self._probe_interval)))
            return True
        except Exception:
            return False

    def _untaken(self) -> int:
        return self._spool.untaken() if self._spool is not None else len(self._queue)

    def _take_batch(self, now: float) -> Optional[_Batch]:
        untaken = self._untaken()
        due = self._ledger.reports or self._taken < self._drain_to or untaken >= self._max_batch or (untaken and now >= self._next_flush)
        if not due:
            return None
        self._next_flush = now + self._flush_interval
        # Drop reports ride at the front of the next batch, outside the buffer bound.
        items = self._ledger.take_reports(self._max_batch, uuidv7)
        size = len(_HEAD) + len(_TAIL) + sum(len(i[0]) + 1 for i in items)
        if self._spool is not None:
            for line in self._spool.take(self._max_batch - len(items), self._max_bytes - size):
                items.append((line.encode("utf-8"), _line_id(line), self._taken))
                self._taken += 1
        else:
            q = self._queue
            while len(items) < self._max_batch and q:
                event = q[0]
                try:
                    line, eid = _wire_json(event)
                except Exception as err:
                    q.popleft()
                    self._ledger.drop_taken(range(self._taken, self._taken + 1), "serialize_error")
                    self._taken += 1
                    self._notifier.debug("an event could not be serialised", err)
                    continue
                data = line.encode("utf-8")
                # An event over the limit on its own still goes, alone: the server decides (413).
                if items and size + len(data) + 1 > self._max_bytes:
                    break
                q.popleft()
                items.append((data, eid, self._taken))
                self._taken += 1
                size += len(data) + 1
        if not items:
            return None
        batch = _Batch(items)
        self._pending.append(batch)
        self._inflight += sum(1 for it in items if it[2] >= 0)
        return batch

    def _send(self, batch: _Batch) -> None:
        if batch.body is None:
            body = _HEAD + b",".join(it[0] for it in batch.items) + _TAIL
            if self._gzip:
                body = _gzip.compress(body, compresslevel=6, mtime=0)
                batch.gzipped = True
            batch.body = body
        headers = dict(self._headers)
        if batch.gzipped:
            headers["Content-Encoding"] = "gzip"
        with self._cond:
            self._ledger.batches += 1
        try:
            res = self._request("POST", self._url, headers, batch.body, self._timeout)
        except Exception as err:
            with self._cond:
                if self._halted:
                    return
                self._notifier.debug(f"POST {self._url} failed", err)
                self._retry_later(batch, None, probe=True)
            return
        with self._cond:
            if self._halted:
                return
            status = res.status
            if 200 <= status < 300:
                self._settle_front(batch)
                self._ledger.answered(batch.items, res.body)
                return self._reachable()
            message = f"POST /v1/events answered {status}{error_summary(res.body)}"
            self._notifier.debug(message)
            if is_retryable_status(status):
                return self._retry_later(batch, parse_retry_after(res.headers.get("retry-after"), time.time()), probe=False)
            self._reachable()
            if status in (401, 403):
                self._notifier.once("auth", f"the collector at {self.endpoint} refused the API key ({message}); events are dropped. Check SEAMTRACE_API_KEY.", level=40)
            if status == 413 and len(batch.items) > 1:
                # Too big for this server: the halves go in order, each halved again if need be.
                half = (len(batch.items) + 1) // 2
                self._pending.popleft()
                self._pending.extendleft((_Batch(batch.items[half:]), _Batch(batch.items[:half])))
                return
            self._settle_front(batch)
            self._ledger.drop(batch.items, "too_large" if status == 413 else f"http_{status}")

    def _retry_later(self, batch: _Batch, retry_after: Optional[float], probe: bool) -> None:
        delay = retry_delay(batch.attempt, retry_after, self._min_backoff, self._max_backoff, self._random)
        now = self._clock()
        if self._failing_since is None:
            self._failing_since = now
        # The front batch cannot go before the shutdown deadline, and nothing may overtake it.
        if self._closed and now + delay >= self._deadline:
            self._halted = True
            return
        batch.attempt += 1
        self._ledger.retries += 1
        self._retry_at = now + delay
        self._probe_at = now + self._probe_interval if probe and 0 < self._probe_interval < delay else None

    def _check_grace(self, now: float) -> None:
        since = self._failing_since
        if since is not None and now - since >= self._grace and not self._notifier.told("unreachable"):
            self._notifier.once(
                "unreachable",
                f"events have not reached {self.endpoint} for {now - since:.0f} s ({self._notifier.last_error}); "
                f"{self.buffered()} buffered, retrying",
                level=40,
            )

    def _reachable(self) -> None:
        since = self._failing_since
        self._failing_since = None
        if since is not None and self._notifier.told("unreachable"):
            self._notifier.info(f"delivery to {self.endpoint} resumed after {self._clock() - since:.1f} s")
            self._notifier.rearm("unreachable")

    def _settle_front(self, batch: _Batch) -> None:
        self._pending.popleft()
        self._inflight -= sum(1 for it in batch.items if it[2] >= 0)
        if self._spool is not None:
            try:
                self._spool.ack(sum(1 for it in batch.items if it[2] >= 0))
            except OSError as err:
                self._notifier.debug("the spool could not forget delivered events", err)

    def _drop_remaining(self) -> None:
        for batch in self._pending:
            self._ledger.drop(batch.items, "shutdown")
        self._pending.clear()
        self._inflight = 0
        n = self._untaken()
        self._ledger.drop_taken(range(self._taken, self._taken + n), "shutdown")
        self._taken += n
        self._queue.clear()

    # --- notices ---

    def _on_drop(self, reason: str, count: int) -> None:
        if reason == "shutdown":
            # Drops at the deadline are in shutdown's report; an event emitted after it is not.
            if self._report is not None:
                self._notifier.once("dropped:after_shutdown", "an event was emitted after shutdown() and is dropped; "
                                    "later ones are counted (stats())")
            return
        why = _DROP_WHY.get(reason) or (f"the collector refused them with HTTP {reason[5:]}" if reason.startswith("http_") else reason)
        self._notifier.once(f"dropped:{reason}", f"dropped {count} event(s) ({reason}): {why}; later drops are counted (stats())")

    def _on_rejected(self, code: str, message: str, count: int) -> None:
        self._notifier.once(f"rejected:{code}", f"the collector rejected an event ({code}: {message}); it is not stored")


_DROP_WHY = {
    "buffer_full": "the buffer is full (the collector is slow or unreachable); raise max_buffer_events or add a FileSpool",
    "spool_full": "the spool is full; raise its max_bytes",
    "serialize_error": "an event could not be serialised",
    "too_large": "the collector refused a batch as too large",
    "shutdown": "the client was shut down",
}
