"""The Seamtrace client: one per process. Owns the transport, the policy client and durable
resume's server calls."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import random as _random
import time
import weakref
from typing import Any, Callable, Dict, Mapping, Optional, Set, Union

from .http import HttpRequest, RequestFn
from .ledger import FlushResult, ShutdownReport
from .notices import Notifier, SeamtraceProblem
from .policy import PolicyLike
from .policy_client import PolicyClient
from .resumer import Resumer
from .spool import FileSpool
from .transport import Transport
from .worker import ResolvedWorker
from .workflow import Workflow

__all__ = ["Seamtrace", "DEFAULT_ENDPOINT"]

DEFAULT_ENDPOINT = "http://localhost:7077"

_clients: "weakref.WeakSet[Seamtrace]" = weakref.WeakSet()


class Seamtrace:
    """The client. ``endpoint`` and ``api_key`` default to ``SEAMTRACE_ENDPOINT`` and
    ``SEAMTRACE_API_KEY``. Events go to a bounded buffer and are sent in gzip batches by a
    background thread; nothing here blocks a step on the network or raises into your code.
    Problems are told once per cause on the ``seamtrace`` logger and to ``on_error``.

    Example::

        st = Seamtrace()  # SEAMTRACE_ENDPOINT, SEAMTRACE_API_KEY
        claims = st.workflow("claims", version="3", policy=Policy(min_confidence=0.8))
        result = claims.run(pipeline, input=email, key=email["message_id"])
        print(st.shutdown(timeout=5))  # delivered 6, undelivered 0
    """

    def __init__(
        self,
        endpoint: Optional[str] = None,
        api_key: Optional[str] = None,
        *,
        request: Optional[RequestFn] = None,
        on_error: Optional[Callable[[SeamtraceProblem], None]] = None,
        logger: Union[logging.Logger, bool, None] = None,
        spool: Optional[FileSpool] = None,
        random: Optional[Callable[[], float]] = None,
        now: Optional[Callable[[], float]] = None,
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
        policy_refresh: float = 30.0,
        shutdown_at_exit: Optional[float] = 2.0,
        intercept_step: Optional[Callable[..., Any]] = None,
    ) -> None:
        """
        :param request: replaces the HTTP client (tests, custom transports); see ``RequestFn``.
        :param on_error: called once per cause with a ``SeamtraceProblem``; its own errors are ignored.
        :param logger: where the notices go (default the ``seamtrace`` logger); False silences them.
        :param spool: a ``FileSpool``: events survive a crash, and the spool holds what memory cannot.
        :param random: spot-check sampling source in [0, 1); pass a seeded one for reproducible tests.
        :param now: the clock events are stamped with, in epoch seconds (back-filling history).
        :param probe_interval: while the collector is unreachable, how often ``/healthz`` is tried.
        :param grace_period: seconds of failed delivery before the ``unreachable`` notice.
        :param shutdown_at_exit: at interpreter exit, drain for at most this long (None: don't).
        """
        self.endpoint = (endpoint or os.environ.get("SEAMTRACE_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        key = api_key if api_key is not None else os.environ.get("SEAMTRACE_API_KEY")
        self._notifier = Notifier(logger, on_error)
        self._random = random or _random.random
        self._now = now or time.time
        self._intercept = intercept_step
        self._sent_contracts: Dict[str, Set[str]] = {}
        self._workers: "weakref.WeakSet[ResolvedWorker]" = weakref.WeakSet()
        self._transport = Transport(
            self.endpoint, key, self._notifier, request=request, max_batch_events=max_batch_events,
            max_batch_bytes=max_batch_bytes, flush_interval=flush_interval, max_buffer_events=max_buffer_events, gzip=gzip,
            min_backoff=min_backoff, max_backoff=max_backoff, request_timeout=request_timeout,
            probe_interval=probe_interval, grace_period=grace_period, spool=spool,
        )
        #: Bound once: the step hot path calls it for every event.
        self._emit = self._transport.enqueue
        self._flush_soon = self._transport.flush_soon
        side_request = request or HttpRequest(keep_alive=False)
        if key:
            self.policies: Optional[PolicyClient] = PolicyClient(self.endpoint, key, side_request, self._notifier, refresh=policy_refresh)
            self.policies.start()
            self._resumer: Optional[Resumer] = Resumer(self.endpoint, key, side_request, self._notifier)
        else:
            self.policies = None
            self._resumer = None
            self._notifier.once("no_api_key", f"no API key (pass api_key or set SEAMTRACE_API_KEY): {self.endpoint} will refuse every event, "
                                "and policies and durable resume are off", level=40)
        _clients.add(self)
        if shutdown_at_exit:
            ref = weakref.ref(self)
            atexit.register(_at_exit, ref, shutdown_at_exit)

    def workflow(self, name: str, version: str = "1", policy: Optional[PolicyLike] = None,
                 steps: Optional[Mapping[str, PolicyLike]] = None, recalibrate: bool = False) -> Workflow:
        """A handle on one named, versioned workflow. ``policy`` is the policy in code (the server's
        take precedence field by field); ``steps`` per-step policies over it; ``recalibrate`` applies
        the server's recalibration map to each step's confidence before its gates."""
        return Workflow(self, name, version, policy, steps, recalibrate)

    def stats(self) -> Dict[str, Any]:
        """Counters: buffered, sent, duplicates, rejected (by code), dropped (by reason), batches, retries, last_error."""
        return self._transport.stats()

    def flush(self, timeout: float = 5.0) -> FlushResult:
        """Sends everything buffered and waits (at most ``timeout`` seconds) until it is delivered,
        refused or dropped. Never raises."""
        return self._transport.flush(timeout)

    async def aflush(self, timeout: float = 5.0) -> FlushResult:
        return await asyncio.to_thread(self._transport.flush, timeout)

    def shutdown(self, timeout: float = 5.0) -> ShutdownReport:
        """Stops background work, drains the buffer within ``timeout`` seconds, and reports the
        client's delivery: delivered, undelivered by reason, and the last error. Idempotent."""
        for worker in list(self._workers):
            worker.stop()
        if self.policies is not None:
            self.policies.stop()
        return self._transport.shutdown(timeout)

    async def ashutdown(self, timeout: float = 5.0) -> ShutdownReport:
        return await asyncio.to_thread(self.shutdown, timeout)

    def __enter__(self) -> "Seamtrace":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    def on_resolved(self, handler: Optional[Callable[..., Any]] = None, *, poll_interval: float = 2.0) -> Any:
        """Calls ``handler(review)`` for each review that has arrived and whose run nobody has
        resumed yet, or whose resuming worker went away (its claim lapsed unrenewed), on a worker
        thread; returns the ``ResolvedWorker`` (``.stop()`` ends it). Works as a decorator, with
        or without arguments.

        Example::

            @st.on_resolved(poll_interval=1.0)
            def resume(review):
                claims.resume(review["runId"], pipeline)
        """
        def start(h: Callable[..., Any]) -> ResolvedWorker:
            worker = ResolvedWorker(self._resumer, h, poll_interval, self._notifier).start()
            self._workers.add(worker)
            return worker
        return start(handler) if handler is not None else start

    def _contracts_sent(self, key: str) -> Set[str]:
        return self._sent_contracts.setdefault(key, set())

    def _after_fork_in_child(self) -> None:
        self._notifier.after_fork()
        self._transport.after_fork_in_child()
        self._emit = self._transport.enqueue
        self._flush_soon = self._transport.flush_soon
        if self.policies is not None:
            self.policies.after_fork_in_child()
        # The parent's on_resolved workers stay the parent's: a review must be resumed once.
        self._workers = weakref.WeakSet()


def _at_exit(ref: "weakref.ref[Seamtrace]", timeout: float) -> None:
    client = ref()
    if client is not None:
        client.shutdown(timeout)


def _after_fork_in_child() -> None:
    for client in list(_clients):
        try:
            client._after_fork_in_child()
        except Exception:  # never break the child over telemetry
            pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
