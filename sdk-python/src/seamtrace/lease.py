"""The resume claim a worker holds while it runs the rest of a reviewed run.

The server's claim is a lease: unless renewed it lapses (5 minutes by default,
``SEAMTRACE_RESUME_LEASE_MS`` on the server) and the run is offered to other workers again, so a
worker killed in the middle of a resume never strands the run. One daemon thread per resumed run
renews it every third of the lease, so one missed renewal (a slow network moment) does not lose it.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from .notices import Notifier

__all__ = ["ResumeLease"]


class ResumeLease:
    """Renews a resume claim every ``lease / 3`` seconds until stopped, and says whether it is
    still this worker's. ``renew`` answers ``renewed``, ``lost`` (the server refused: the claim
    lapsed, or another worker took the run over) or ``unreachable`` (try again at the next turn).

    The lease is lost when a renewal is refused, or when no renewal has succeeded within the lease.
    That deadline counts from when the last successful renewal was *sent*, on this machine's
    monotonic clock, so it falls no later than the server's own expiry (which counts from when the
    request arrived): the worker gives the run up before the server can offer it to another. No
    clock of another machine is read.

    Example::

        lease = ResumeLease(lambda: resumer.renew(run_id, escalation_id, epoch), 300.0, claimed_at,
                            on_lost, notifier, run_id).start()
        try:
            ...  # the run's remaining steps; each checks lease.held() first
        finally:
            lease.stop()
    """

    def __init__(self, renew: Callable[[], str], lease: float, claimed_at: float, on_lost: Callable[[str], None],
                 notifier: Notifier, label: str = "", clock: Callable[[], float] = time.monotonic) -> None:
        self._renew = renew
        self.lease = lease
        self._clock = clock
        self._deadline = claimed_at + lease
        self._sent = claimed_at
        self._on_lost = on_lost
        self._notifier = notifier
        self._label = label
        self._state = "held"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        #: What the last renewal answered (None before the first).
        self.last: Optional[str] = None
        self.renewals = 0

    def start(self) -> "ResumeLease":
        self._thread = threading.Thread(target=self._loop, name="seamtrace-lease", daemon=True)
        self._thread.start()
        return self

    def held(self) -> bool:
        """True while the claim is this worker's. Checked before anything is recorded, so a lease
        that ran out while the renewal thread could not run (a hung renewal) is noticed there."""
        if self._state == "held" and self._clock() >= self._deadline:
            self._lose("no renewal succeeded within the lease")
        return self._state != "lost"

    def stop(self) -> None:
        """The run is over (or the lease no longer matters): no more renewals. Idempotent."""
        with self._lock:
            if self._state == "held":
                self._state = "stopped"
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(max(0.001, self._sent + self.lease / 3.0 - self._clock())):
            if not self._tick():
                return

    def _tick(self) -> bool:
        """One renewal; False once there is nothing more to renew."""
        if not self.held() or self._state != "held":
            return False
        sent = self._clock()
        try:
            outcome = self._renew()
        except Exception as err:  # a renewal that raised is one that did not happen
            self._notifier.debug("renewing a resume lease failed", err)
            outcome = "unreachable"
        self.last = outcome
        if self._state != "held":
            return False
        if outcome == "renewed":
            self.renewals += 1
            self._deadline = max(self._deadline, sent + self.lease)
        elif outcome == "lost":
            self._lose("the server refused to renew it: it lapsed, or another worker took the run over")
            return False
        # Unanswered: try again a third of the lease after this one was sent; the deadline decides.
        self._sent = sent
        return self.held()

    def _lose(self, reason: str) -> None:
        with self._lock:
            if self._state != "held":
                return
            self._state = "lost"
        self._stop.set()
        self._notifier.once(f"lease:{self._label}", f"the resume claim on run {self._label} was lost ({reason}); "
                            "this worker stops the run at its next step and records nothing more; another worker resumes it")
        self._on_lost(reason)
