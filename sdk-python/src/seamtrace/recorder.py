"""How one execution of a run records its events: each carries the run's resume epoch and its
position in it, so the server orders a run's events without reading any worker's clock."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .lease import ResumeLease
from .wire import RunState

__all__ = ["RunRecorder", "WonClaim"]


@dataclass(frozen=True)
class WonClaim:
    """A resume claim this worker won: the epoch its events carry and the lease to renew
    (``lease`` 0: the server grants none, so there is nothing to renew)."""

    escalation_id: str
    epoch: int
    lease: float
    #: ``time.monotonic()`` when the claim was asked for: the lease runs from no later than this.
    claimed_at: float


class RunRecorder:
    """Stamps each event of one execution with ``epoch`` and ``epochSeq`` and hands it on.

    The epoch is 0 for a run's first execution; a resume takes the epoch its claim was granted; a
    replay without a claim (an interrupted or finished run run again) the one after the latest the
    server knows. A resume renews its claim meanwhile; once the claim is lost the run stops before
    its next step and nothing more is recorded: every later event is dropped here.
    """

    __slots__ = ("epoch", "lease", "_seq", "_send")

    def __init__(self, send: Callable[[Any], None], state: Optional[RunState], claim: Optional[WonClaim],
                 lease: Optional[ResumeLease]) -> None:
        if claim is not None and claim.epoch > 0:
            self.epoch = claim.epoch
        elif state is not None:
            known = state["run"].get("epoch")
            self.epoch = (known if isinstance(known, int) and not isinstance(known, bool) and known > 0 else 0) + 1
        else:
            self.epoch = 0
        self.lease = lease
        self._seq = itertools.count()  # next() is atomic under the GIL: parallel steps get distinct positions
        self._send = send

    @property
    def lost(self) -> bool:
        """True once the resume claim is lost: the run is another worker's now."""
        lease = self.lease
        return lease is not None and not lease.held()

    def emit(self, event: Any) -> None:
        """Records a wire event (a dict) or a step handle (stamped now, serialised later)."""
        lease = self.lease
        if lease is not None and not lease.held():
            return
        if type(event) is dict:
            event["epoch"] = self.epoch
            event["epochSeq"] = next(self._seq)
        else:
            event._epoch = self.epoch
            event._epoch_seq = next(self._seq)
        self._send(event)

    def stop(self) -> None:
        """The execution is over: no more renewals."""
        if self.lease is not None:
            self.lease.stop()
