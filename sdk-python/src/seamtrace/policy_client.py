"""Server policies for the gates: fetched from ``GET /v1/policies`` in the background with
``If-None-Match``, cached, and merged field by field over the policy in code. The policy in code
applies when the server has none or has never been reached; a refresh that fails keeps the last
policies the server did send. Nothing here raises into the host."""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, List, Optional, Tuple

from .http import RequestFn, error_summary
from .notices import Notifier
from .policy import Policy

__all__ = ["PolicyClient"]

_FIELDS = (("minConfidence", "min_confidence"), ("minCumulative", "min_cumulative"), ("onLow", "on_low"),
           ("spotCheckRate", "spot_check_rate"), ("requireConfidence", "require_confidence"))


class PolicyClient:
    """Keeps the project's server policies current; ``rule_for`` answers the policy in force for a
    step: the server's step policy, then its workflow policy, then the step's policy in code, then
    the workflow's. The client makes one when it has an API key (``st.policies``).

    Example::

        st.policies.ready(2.0)  # short scripts may wait for the first answer
        st.policies.rule_for("claims", "extract", Policy(min_confidence=0.8))
    """

    def __init__(self, endpoint: str, api_key: str, request: RequestFn, notifier: Notifier,
                 refresh: float = 30.0, timeout: float = 10.0) -> None:
        self._url = endpoint.rstrip("/") + "/v1/policies"
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._request = request
        self._notifier = notifier
        self._refresh = max(1.0, refresh)
        self._timeout = timeout
        self._cache: Dict[str, Dict[str, Policy]] = {}
        self._maps: Dict[Tuple[str, str, str], Tuple[List[float], List[float]]] = {}
        self._memo: Dict[Any, Tuple[Optional[Policy], Optional[Policy], Policy]] = {}
        self._etag: Optional[str] = None
        self._loaded = False
        self._reset_threads()

    def _reset_threads(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._stopped = False

    def start(self) -> None:
        """Fetches now, then every ``refresh`` seconds, on a daemon thread. Idempotent."""
        with self._lock:
            if self._thread is not None or self._stopped:
                return
            self._thread = threading.Thread(target=self._loop, name="seamtrace-policies", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped = True
        self._stop.set()
        self._first.set()

    def ready(self, timeout: float = 5.0) -> bool:
        """Waits for the first fetch (at most ``timeout`` seconds): True once the server has sent its
        policy list (an empty one counts), False while the code policies apply because it has not."""
        self.start()
        self._first.wait(max(0.0, timeout))
        return self._loaded

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._first.set()
            # Scheduled after the answer, not on an interval: a slow server never sees overlapping polls.
            self._stop.wait(self._refresh)

    def refresh(self) -> bool:
        """Fetches the policies now: True when the server answered 200 or 304. Never raises."""
        try:
            headers = dict(self._headers)
            if self._etag is not None:
                headers["If-None-Match"] = self._etag
            res = self._request("GET", self._url, headers, None, self._timeout)
            if res.status == 304 and self._etag is not None:
                return True
            if res.status in (401, 403):
                self._notifier.once("auth", f"the collector refused the API key for its policies (GET /v1/policies answered {res.status}{error_summary(res.body)}); "
                                    "the policies in code apply. Check SEAMTRACE_API_KEY.", level=40)
                return False
            if res.status != 200:
                raise RuntimeError(f"GET /v1/policies answered {res.status}{error_summary(res.body)}")
            cache, maps = _parse(res.body)
            self._cache, self._maps, self._memo = cache, maps, {}
            self._etag = res.headers.get("etag")
            self._loaded = True
            return True
        except Exception as err:
            if not self._stopped:
                self._notifier.debug("refreshing the server policies failed", err)
            return False

    def rule_for(self, workflow: str, step: str, code: Optional[Policy] = None, code_step: Optional[Policy] = None) -> Policy:
        """The policy in force for ``step`` of ``workflow``, field by field. Cheap: the step hot path
        calls it; answers are memoised until the next change on the server."""
        # Keyed by identity, not by value: hashing two policy dataclasses per step costs more than
        # the rest of the lookup. The entry keeps the policies, so an id is never reused under it.
        key = (workflow, step, id(code), id(code_step))
        hit = self._memo.get(key)
        if hit is not None and hit[0] is code and hit[1] is code_step:
            return hit[2]
        steps = self._cache.get(workflow) or {}
        layers = (steps.get(step), steps.get(""), code_step, code)
        values: Dict[str, Any] = {}
        for _, name in _FIELDS:
            for layer in layers:
                v = getattr(layer, name, None) if layer is not None else None
                if v is not None:
                    values[name] = v
                    break
        rule = Policy(**values)
        if len(self._memo) < 10_000:  # bounded: step policies passed per call could be many
            self._memo[key] = (code, code_step, rule)
        return rule

    def calibrate(self, workflow: str, version: str, step: str, confidence: float) -> Optional[float]:
        """The calibrated value under the server's recalibration map for this step and version
        (linear between its points, flat beyond them), or None when there is none."""
        m = self._maps.get((workflow, version, step))
        if m is None:
            return None
        x, y = m
        i = 0
        while i < len(x) and x[i] <= confidence:
            i += 1
        if i == 0:
            return y[0]
        if i == len(x):
            return y[-1]
        return y[i - 1] + (confidence - x[i - 1]) / (x[i] - x[i - 1]) * (y[i] - y[i - 1])

    def after_fork_in_child(self) -> None:
        """The child keeps the cached policies and fetches again on a thread of its own."""
        was_running = self._thread is not None and not self._stopped
        self._reset_threads()
        if was_running:
            self.start()


def _parse(body: bytes) -> Tuple[Dict[str, Dict[str, Policy]], Dict[Tuple[str, str, str], Tuple[List[float], List[float]]]]:
    """The answer as a cache. Raises when it is not a policy list at all (the last good cache then
    stays); a single malformed policy, or field, is skipped."""
    data = json.loads(body.decode("utf-8"))
    policies = data.get("policies")
    if not isinstance(policies, list):
        raise TypeError("the policies answer has no `policies` list")
    cache: Dict[str, Dict[str, Policy]] = {}
    for p in policies:
        if not isinstance(p, dict) or not isinstance(p.get("workflow"), str):
            continue
        step = p.get("step")
        if step is not None and not isinstance(step, str):
            continue
        values: Dict[str, Any] = {}
        for wire, name in _FIELDS:
            v = p.get(wire)
            if wire == "onLow":
                ok = v in ("escalate", "flag")
            elif wire == "requireConfidence":
                ok = isinstance(v, bool)
            else:
                ok = isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1
            if ok:
                values[name] = v
        cache.setdefault(p["workflow"], {})[step or ""] = Policy(**values)
    maps = {}
    for c in data.get("calibrations") or []:
        try:
            x, y = [float(v) for v in c["x"]], [float(v) for v in c["y"]]
            if x and len(x) == len(y) and all(0 <= v <= 1 for v in y):
                maps[(str(c["workflow"]), str(c["version"]), str(c["step"]))] = (x, y)
        except (KeyError, TypeError, ValueError):
            continue
    return cache, maps
