"""Keeps a resume claim alive while the worker that won it runs the rest of the run.

A claim is a lease: unless renewed it expires (5 minutes by default), and the run is offered to
other workers again, so a worker killed in the middle of a resume never strands the run. One
daemon thread per resumed run renews at a third of the lease, so one missed renewal (a slow
network moment) does not lose it.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

from .notices import Notifier

__all__ = ["LeaseKeeper"]


class LeaseKeeper:
    """Calls ``renew()`` every ``lease / 3`` seconds until stopped. ``renew`` answers ``renewed``,
    ``lost``, ``unsupported`` or ``unreachable``; on ``lost`` it calls ``on_lost`` once and stops.

    Example::

        keeper = LeaseKeeper(lambda: resumer.renew(run_id, escalation_id), 300.0, run._lose_lease, notifier)
        keeper.start()
        try:
            ...  # the run's remaining steps
        finally:
            keeper.stop()
    """

    def __init__(self, renew: Callable[[], str], lease: float, on_lost: Callable[[], None], notifier: Notifier, label: str = "") -> None:
        self._renew = renew
        self.interval = max(0.05, lease / 3.0)
        self._on_lost = on_lost
        self._notifier = notifier
        self._label = label
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        #: What the last renewal answered (None before the first).
        self.last: Optional[str] = None
        self.renewals = 0

    def start(self) -> "LeaseKeeper":
        self._thread = threading.Thread(target=self._loop, name="seamtrace-lease", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                outcome = self._renew()
            except Exception as err:  # a renewal that raised is one that did not happen
                self._notifier.debug("renewing a resume lease failed", err)
                continue
            self.last = outcome
            if outcome == "renewed":
                self.renewals += 1
            elif outcome == "unsupported":
                self._notifier.debug("the server does not renew resume leases; the claim stands as made")
                return
            elif outcome == "lost":
                self._notifier.once(f"lease:{self._label}", f"the resume lease of run {self._label} was lost (another worker holds it now); "
                                    "this worker stops the run at its next step")
                try:
                    self._on_lost()
                finally:
                    return
