"""The transport's books: what was delivered, refused and dropped (by reason), the drops not yet
reported to the server, and the ``flush()`` callers waiting for events to settle."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from .ids import iso_time

__all__ = ["Ledger", "FlushResult", "ShutdownReport", "BatchItem"]

BatchItem = Tuple[bytes, Optional[str], int]
"""(wire JSON as UTF-8, event id, sequence number; -1 for the SDK's own ``sdk.dropped`` reports)."""


@dataclass(frozen=True)
class FlushResult:
    """What became of the events buffered when ``flush()`` was called."""

    #: Accepted or duplicate.
    delivered: int
    #: Rejected, dropped, or still buffered when the flush timed out.
    undelivered: int


@dataclass(frozen=True)
class ShutdownReport:
    """The client's delivery over its lifetime, returned by ``shutdown()``.

    Example::

        report = st.shutdown(timeout=5)
        print(report)  # delivered 42, undelivered {'http_401': 12}, last error: ...
    """

    #: Events the collector accepted (or already had).
    delivered: int
    #: Events not delivered, by reason: ``buffer_full``, ``http_<status>``, ``rejected:<code>``,
    #: ``shutdown`` (still buffered at the deadline; with a spool they stay on disk), ...
    undelivered: Dict[str, int] = field(default_factory=dict)
    last_error: Optional[str] = None
    #: True when the deadline came with events unsent.
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return not self.undelivered

    def __str__(self) -> str:
        text = f"delivered {self.delivered}, undelivered {dict(self.undelivered) or 0}"
        return text + (f", last error: {self.last_error}" if self.last_error else "")


class _Waiter:
    __slots__ = ("up_to", "remaining", "delivered", "undelivered")

    def __init__(self, up_to: int, remaining: int) -> None:
        self.up_to = up_to
        self.remaining = remaining
        self.delivered = 0
        self.undelivered = 0


class Ledger:
    """Counters and flush waiters; every method is called with the transport's lock held."""

    def __init__(self, on_drop: Callable[[str, int], None], on_rejected: Callable[[str, str, int], None]) -> None:
        self.sent = 0
        self.duplicates = 0
        self.rejected = 0
        self.rejected_by_code: Dict[str, int] = {}
        self.dropped: Dict[str, int] = {}
        self.dropped_total = 0
        self.batches = 0
        self.retries = 0
        #: reason -> [count, first time, last time]: drops waiting to ride the next batch.
        self.reports: Dict[str, List[Any]] = {}
        self.waiters: List[_Waiter] = []
        self._on_drop = on_drop
        self._on_rejected = on_rejected
        self.cond = threading.Condition()

    def answered(self, items: List[BatchItem], body: bytes) -> None:
        """Settles a batch the collector answered with a 2xx, item by item."""
        results = _results(body, items)
        for (_, _, seq), r in zip(items, results):
            status = r.get("status") if r is not None else None
            if status == "rejected" or status == "conflict":
                code = str(r.get("code") or status) if r is not None else "rejected"
                self.rejected += 1
                self.rejected_by_code[code] = self.rejected_by_code.get(code, 0) + 1
                self._on_rejected(code, str((r or {}).get("message") or ""), 1)
                self.settle(seq, False)
            else:
                # A 2xx is sent only after the events are committed: an item the answer does not
                # mention was stored all the same.
                if status == "duplicate":
                    self.duplicates += 1
                else:
                    self.sent += 1
                self.settle(seq, True)

    def drop(self, items: List[BatchItem], reason: str) -> None:
        events = 0
        for _, _, seq in items:
            if seq >= 0:
                events += 1
            self.settle(seq, False)
        self._count(reason, len(items), events)

    def drop_taken(self, seqs: range, reason: str) -> None:
        for seq in seqs:
            self.settle(seq, False)
        self._count(reason, len(seqs), len(seqs))

    def drop_refused(self, reason: str) -> None:
        """An event that never entered the buffer."""
        self._count(reason, 1, 1)

    def _count(self, reason: str, items: int, events: int) -> None:
        # Counted in events: the SDK's own drop reports are bookkeeping, not the user's events.
        if events == 0:
            return
        self.dropped[reason] = self.dropped.get(reason, 0) + events
        self.dropped_total += events
        # Drops of reports are not reported again (that could loop), nor at shutdown: nothing is
        # left to carry the report.
        if events > 0 and reason != "shutdown":
            now = _now()
            gap = self.reports.get(reason)
            if gap is None:
                self.reports[reason] = [events, now, now]
            else:
                gap[0] += events
                gap[2] = now
        self._on_drop(reason, events)

    def take_reports(self, max_items: int, make_id: Callable[[], str]) -> List[BatchItem]:
        out: List[BatchItem] = []
        for reason in list(self.reports)[:max_items]:
            count, first, last = self.reports.pop(reason)
            event = {"id": make_id(), "type": "sdk.dropped", "time": iso_time(last), "reason": reason,
                     "count": count, "from": iso_time(first), "to": iso_time(last)}
            out.append((json.dumps(event, separators=(",", ":")).encode("utf-8"), event["id"], -1))
        return out

    def wait(self, up_to: int, remaining: int) -> _Waiter:
        waiter = _Waiter(up_to, remaining)
        if remaining > 0:
            self.waiters.append(waiter)
        return waiter

    def settle(self, seq: int, delivered: bool) -> None:
        if seq < 0 or not self.waiters:
            return
        done = False
        for w in self.waiters:
            if seq < w.up_to:
                if delivered:
                    w.delivered += 1
                else:
                    w.undelivered += 1
                w.remaining -= 1
                done = done or w.remaining <= 0
        if done:
            self.waiters = [w for w in self.waiters if w.remaining > 0]
            self.cond.notify_all()

    def undelivered(self) -> Dict[str, int]:
        out = dict(self.dropped)
        for code, n in self.rejected_by_code.items():
            out[f"rejected:{code}"] = out.get(f"rejected:{code}", 0) + n
        return out

    def snapshot(self, buffered: int, last_error: Optional[str]) -> Dict[str, Any]:
        stats: Dict[str, Any] = {
            "buffered": buffered, "sent": self.sent, "duplicates": self.duplicates, "rejected": self.rejected,
            "rejected_by_code": dict(self.rejected_by_code), "dropped": dict(self.dropped),
            "dropped_total": self.dropped_total, "batches": self.batches, "retries": self.retries,
        }
        if last_error is not None:
            stats["last_error"] = last_error
        return stats


def _results(body: bytes, items: List[BatchItem]) -> List[Optional[Dict[str, Any]]]:
    """Per-item results aligned with ``items``; ids are checked, so a reordered answer cannot
    credit the wrong event."""
    out: List[Optional[Dict[str, Any]]] = [None] * len(items)
    try:
        results = json.loads(body.decode("utf-8")).get("results")
    except Exception:
        return out
    if not isinstance(results, list):
        return out
    by_id: Optional[Dict[Any, Any]] = None
    for i, (_, eid, _) in enumerate(items):
        r = results[i] if i < len(results) else None
        rid = r.get("id") if isinstance(r, dict) else None
        if not isinstance(r, dict) or (rid is not None and rid != eid):
            if by_id is None:
                by_id = {x.get("id"): x for x in results if isinstance(x, dict)}
            r = by_id.get(eid) if eid is not None else None
        out[i] = r if isinstance(r, dict) else None
    return out


def _now() -> float:
    import time

    return time.time()
