"""The server calls durable resume needs. Every call is bounded in time and answers ``UNREACHABLE``
instead of raising: telemetry never raises into user code.

Resume claims are leases: the server lets one worker resume a reviewed run, and (once it supports
lease renewal) expires the claim unless that worker renews it while it runs, so a worker that
died does not strand the run. This module assumes the renewal API the server is getting:

- ``POST /v1/runs/:id/resume`` answers ``{"claimed": true, "state": ..., "lease": {"ttlMs": n,
  "expiresAt": iso}}`` (``lease`` absent on servers without leases);
- ``POST /v1/runs/:id/resume/renew`` with ``{"escalationId"}`` answers 200 ``{"lease": {...}}``
  while the claim is this worker's, 409 once it expired and another worker took it (or the run
  moved on), and 404 ``no route`` on a server without it (renewal is then skipped quietly).
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, cast

from .http import RequestFn
from .notices import Notifier
from .wire import ResolvedReview

__all__ = ["Resumer", "Claim", "UNREACHABLE", "DEFAULT_LEASE"]


class _Unreachable:
    def __repr__(self) -> str:
        return "UNREACHABLE"

    def __bool__(self) -> bool:
        return False


#: The answer of a call that could not reach the server (or got an answer it could not read).
UNREACHABLE: Any = _Unreachable()

#: The claim's lifetime when the server does not say: the server's default lease, 5 minutes.
DEFAULT_LEASE = 300.0


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a resume: ``won`` is False when another worker holds it."""

    won: bool
    #: Seconds the claim lasts unless renewed (the server's, or ``DEFAULT_LEASE``).
    lease: float = DEFAULT_LEASE


class Resumer:
    def __init__(self, endpoint: str, api_key: str, request: RequestFn, notifier: Notifier, timeout: float = 10.0) -> None:
        self._base = endpoint.rstrip("/")
        self._key = api_key
        self._request = request
        self._notifier = notifier
        self._timeout = timeout

    def state(self, run_id: str) -> Any:
        """The run's state; None when the server has no such run; UNREACHABLE when it could not be asked."""
        return self._checked(self._call("GET", f"/v1/runs/{_q(run_id)}/state"))

    def state_by_key(self, workflow: str, key: str) -> Any:
        return self._checked(self._call("GET", f"/v1/run-state?workflow={_q(workflow)}&key={_q(key)}"))

    def claim(self, run_id: str, escalation_id: str) -> Any:
        """A ``Claim``, or UNREACHABLE. At most one worker wins a run's resume."""
        res = self._call("POST", f"/v1/runs/{_q(run_id)}/resume", {"escalationId": escalation_id}, conflict_is_none=True)
        if res is UNREACHABLE:
            return UNREACHABLE
        if res is None or not isinstance(res, dict) or res.get("claimed") is not True:
            return Claim(False)
        return Claim(True, _lease_seconds(res.get("lease")))

    def renew(self, run_id: str, escalation_id: str) -> str:
        """Extends this worker's claim: ``renewed``, ``lost`` (another worker holds the run now),
        ``unsupported`` (the server has no leases), or ``unreachable`` (try again next time)."""
        status, body = self._exchange("POST", f"/v1/runs/{_q(run_id)}/resume/renew", {"escalationId": escalation_id})
        if status is None:
            return "unreachable"
        if 200 <= status < 300:
            return "renewed"
        if status in (404, 405, 501) and (status != 404 or _error(body)[1].startswith("no route")):
            return "unsupported"
        if status in (404, 409, 410):
            return "lost"
        self._notifier.debug(f"renewing the resume lease of run {run_id} answered {status}")
        return "unreachable"

    def resolved(self, after: Optional[str] = None) -> Any:
        """A page ``{"items": [ResolvedReview...], "nextCursor"}``, or UNREACHABLE."""
        res = self._call("GET", "/v1/resumable" + (f"?after={_q(after)}" if after else ""))
        if res is UNREACHABLE or res is None:
            return UNREACHABLE
        if not isinstance(res, dict) or not isinstance(res.get("items"), list):
            self._notifier.debug("the server's list of resolved reviews has an unexpected shape")
            return UNREACHABLE
        return res

    def _checked(self, state: Any) -> Any:
        # An answer that is not a run state (a proxy's page, an older server) is no answer at all.
        if state is None or state is UNREACHABLE:
            return state
        if isinstance(state, dict) and isinstance(state.get("run"), dict) and isinstance(state["run"].get("id"), str) and isinstance(state.get("steps"), list):
            return state
        self._notifier.once("resume", "the server's run state has an unexpected shape; the run starts afresh")
        return UNREACHABLE

    def _call(self, method: str, path: str, body: Any = None, conflict_is_none: bool = False) -> Any:
        """2xx: the parsed body; 404 (and 409 with ``conflict_is_none``): None; else UNREACHABLE."""
        status, data = self._exchange(method, path, body)
        if status is None:
            return UNREACHABLE
        if 200 <= status < 300:
            try:
                return json.loads(data.decode("utf-8"))
            except Exception as err:
                self._notifier.debug(f"{method} {path} answered unreadable JSON", err)
                return UNREACHABLE
        if status == 404 or (conflict_is_none and status == 409):
            return None
        code, message = _error(data)
        if status in (401, 403):
            self._notifier.once("auth", f"the collector refused the API key for durable resume ({status} {code}: {message}). Check SEAMTRACE_API_KEY.", level=40)
        else:
            self._notifier.once("resume", f"{method} {path.split('?')[0]} answered {status} {code}: {message}; resume is unavailable until it answers")
        return UNREACHABLE

    def _exchange(self, method: str, path: str, body: Any = None) -> "tuple[Optional[int], bytes]":
        headers: Dict[str, str] = {"Authorization": f"Bearer {self._key}", "Accept": "application/json"}
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body).encode("utf-8")
        try:
            res = self._request(method, self._base + path, headers, payload, self._timeout)
        except Exception as err:
            self._notifier.once("resume", f"the server could not be reached for durable resume ({type(err).__name__}: {err})", err)
            return None, b""
        return res.status, res.body


def _lease_seconds(lease: Any) -> float:
    if isinstance(lease, dict):
        ttl = lease.get("ttlMs")
        if isinstance(ttl, (int, float)) and not isinstance(ttl, bool) and ttl > 0:
            return ttl / 1000.0
    return DEFAULT_LEASE


def _error(body: bytes) -> "tuple[str, str]":
    try:
        e = json.loads(body.decode("utf-8")).get("error") or {}
        return str(e.get("code", "")), str(e.get("message", ""))
    except Exception:
        return "", body[:200].decode("utf-8", "replace")


def _q(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")


def review_items(page: Any) -> List[ResolvedReview]:
    return [cast(ResolvedReview, r) for r in page.get("items", []) if isinstance(r, dict) and isinstance(r.get("runId"), str)]
