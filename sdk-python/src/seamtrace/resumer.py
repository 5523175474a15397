"""The server calls durable resume needs. Every call is bounded in time and answers ``UNREACHABLE``
instead of raising: telemetry never raises into user code.

Resume claims are leases, so a worker that died does not strand the run:

- ``POST /v1/runs/:id/resume`` with ``{"escalationId"}`` answers 200 ``{"claimed": true, "epoch": n,
  "leaseMs": ms, "leaseExpiresAt": iso, "state": ...}`` to the one worker that wins, and 409
  (``already_resumed``, ``not_resolved``) to the others; a server without leases grants neither
  ``epoch`` nor ``leaseMs``, and there is nothing to renew.
- ``POST /v1/runs/:id/resume/renew`` with ``{"escalationId", "epoch"}`` answers 200 ``{"renewed":
  true, "leaseExpiresAt": iso}`` while the claim is this worker's, and 409 ``lease_lost`` once it
  lapsed or another worker took the run over (404 when the escalation is gone).
- A claim ends when the run's end (or next pause) from its epoch arrives; one left unrenewed lapses
  and the run is listed in ``GET /v1/resumable`` again.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, cast

from .http import RequestFn
from .notices import Notifier
from .wire import ResolvedReview

__all__ = ["Resumer", "Claim", "UNREACHABLE"]


class _Unreachable:
    def __repr__(self) -> str:
        return "UNREACHABLE"

    def __bool__(self) -> bool:
        return False


#: The answer of a call that could not reach the server (or got an answer it could not read).
UNREACHABLE: Any = _Unreachable()

@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a resume: ``won`` is False when another worker holds it."""

    won: bool
    #: The resume epoch the winner's events carry (0: the server hands out none).
    epoch: int = 0
    #: Seconds the claim lasts unless renewed (0: the server grants no lease; nothing to renew).
    lease: float = 0.0


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
        return Claim(True, _count(res.get("epoch")), _count(res.get("leaseMs")) / 1000.0)

    def renew(self, run_id: str, escalation_id: str, epoch: int) -> str:
        """Extends the claim won with ``epoch``: ``renewed``; ``lost`` when the server refuses (it
        lapsed, or another worker took the run over); ``unreachable`` (try again next time)."""
        res = self._call("POST", f"/v1/runs/{_q(run_id)}/resume/renew", {"escalationId": escalation_id, "epoch": epoch}, conflict_is_none=True)
        if res is UNREACHABLE:
            return "unreachable"
        return "renewed" if isinstance(res, dict) and res.get("renewed") is True else "lost"

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


def _count(n: Any) -> int:
    """A positive whole number from the wire, or 0 (absent, or not one)."""
    return int(n) if isinstance(n, (int, float)) and not isinstance(n, bool) and n > 0 and n == n and n != float("inf") else 0


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
