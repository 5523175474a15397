"""Test helpers: a real Seamtrace server on 127.0.0.1 (``node server/dist/cli/index.js serve``, built by
``npm run build``), a reviewer session on it, a recording request function and a fake clock.

The server is started once per test process and stopped at exit. ``SEAMTRACE_TEST_ENDPOINT`` with
``SEAMTRACE_TEST_API_KEY`` and ``SEAMTRACE_TEST_DATA_DIR`` point the tests at a running one instead.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_ROOT = os.path.dirname(HERE)
REPO_ROOT = os.environ.get("SEAMTRACE_REPO") or os.path.dirname(SDK_ROOT)
sys.path.insert(0, os.path.join(SDK_ROOT, "src"))

from seamtrace.http import Response  # noqa: E402


class Server:
    def __init__(self, url: str, api_key: str, data_dir: str, proc: Optional[subprocess.Popen] = None, env: Optional[Dict[str, str]] = None) -> None:
        self.url, self.api_key, self.data_dir, self.proc, self.env = url, api_key, data_dir, proc, env or {}
        self._cookie: Optional[str] = None

    # --- API helpers ---

    def get(self, path: str, key: Optional[str] = None) -> Any:
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {key or self.api_key}"})
        with urllib.request.urlopen(req, timeout=10) as res:
            return json.loads(res.read())

    def reviewer(self) -> str:
        """A signed-in reviewer's session cookie (the user is made once per server)."""
        if self._cookie is None:
            env = {"PATH": os.environ.get("PATH", ""), "SEAMTRACE_DATA_DIR": self.data_dir, "PW": "correct horse battery staple"}
            subprocess.run(["node", cli_path(), "users", "create", "--email", "reviewer@example.test",
                            "--role", "reviewer", "--password-env", "PW"], env=env, check=True, capture_output=True, timeout=60)
            req = urllib.request.Request(self.url + "/v1/auth/login", method="POST", headers={"content-type": "application/json"},
                                         data=json.dumps({"email": "reviewer@example.test", "password": "correct horse battery staple"}).encode())
            with urllib.request.urlopen(req, timeout=10) as res:
                self._cookie = res.headers["set-cookie"].split(";")[0]
        return self._cookie

    def review(self, escalation_id: str, decision: str, output: Any = None, reason: str = "checked") -> None:
        """Claims and decides an escalation as a reviewer would, through the review API."""
        cookie = self.reviewer()
        self.wait_for(lambda: self._session("GET", f"/v1/escalations/{escalation_id}", cookie)[0] == 200, what=f"escalation {escalation_id}")
        status, body = self._session("POST", f"/v1/escalations/{escalation_id}/claim", cookie, {})
        assert status == 200, (status, body)
        payload: Dict[str, Any] = {"decision": decision, "reason": reason}
        if decision == "correct":
            payload["output"] = output
        status, body = self._session("POST", f"/v1/escalations/{escalation_id}/decision", cookie, payload)
        assert status == 200, (status, body)

    def _session(self, method: str, path: str, cookie: str, body: Any = None) -> Tuple[int, Any]:
        req = urllib.request.Request(self.url + path, method=method, headers={"cookie": cookie, "content-type": "application/json"},
                                     data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.loads(res.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def run_detail(self, run_id: str) -> Dict[str, Any]:
        return self.get(f"/v1/runs/{run_id}")

    def events(self, run_id: str) -> List[Dict[str, Any]]:
        """The events the server stored for a run, as sent, from the audit trail."""
        req = urllib.request.Request(self.url + f"/v1/audit/export?format=jsonl&runId={run_id}", headers={"Authorization": f"Bearer {self.api_key}"})
        with urllib.request.urlopen(req, timeout=10) as res:
            lines = res.read().decode().splitlines()
        entries = [json.loads(line) for line in lines if line.strip()]
        # Entries of events carry the event as sent; others (escalations, gate decisions) do not.
        return [e["payload"] for e in entries if isinstance(e.get("payload"), dict) and "type" in e["payload"]]

    @staticmethod
    def wait_for(cond: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if cond():
                    return
            except Exception:
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    # --- lifecycle ---

    def stop(self, kill: bool = False) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            self.proc.wait(20)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


def cli_path() -> str:
    path = os.path.join(REPO_ROOT, "server/dist/cli/index.js")
    if not os.path.exists(path):
        raise RuntimeError(f"the server is not built: run `npm run build` in {REPO_ROOT} first")
    return path


def start_server(data_dir: Optional[str] = None, port: int = 0, env: Optional[Dict[str, str]] = None) -> Server:
    cli = cli_path()
    data_dir = data_dir or tempfile.mkdtemp(prefix="seamtrace-py-")
    # A first start prints the API key after the listening line; a restart prints none.
    fresh = not os.path.exists(os.path.join(data_dir, "seamtrace.db"))
    full_env = {"PATH": os.environ.get("PATH", ""), "HOST": "127.0.0.1", "PORT": str(port), "SEAMTRACE_DATA_DIR": data_dir,
                "SEAMTRACE_JOBS": "off", **(env or {})}
    proc = subprocess.Popen(["node", cli, "serve"], cwd=REPO_ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out: List[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            out.append(raw.decode("utf-8", "replace"))

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = "".join(out)
        m = re.search(r"listening on (http://\S+)", text)
        k = re.search(r"SEAMTRACE_API_KEY=(st_\w+)", text)
        if m and (k or not fresh):
            return Server(m.group(1), k.group(1) if k else "", data_dir, proc, full_env)
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{text}")
        time.sleep(0.02)
    proc.kill()
    raise RuntimeError("server did not start in time:\n" + "".join(out))


_shared: Optional[Server] = None
_shared_lock = threading.Lock()


def server() -> Server:
    """The test process's shared server."""
    global _shared
    with _shared_lock:
        if _shared is None:
            if os.environ.get("SEAMTRACE_TEST_ENDPOINT"):
                _shared = Server(os.environ["SEAMTRACE_TEST_ENDPOINT"], os.environ["SEAMTRACE_TEST_API_KEY"], os.environ.get("SEAMTRACE_TEST_DATA_DIR", ""))
            else:
                _shared = start_server()
                atexit.register(_dispose, _shared)
        return _shared


def _dispose(s: Server) -> None:
    s.stop()
    shutil.rmtree(s.data_dir, ignore_errors=True)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- in-process fakes for the transport's unit tests ---


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Recorder:
    """A request function that records requests and answers from a script: a callable
    ``answer(method, url, body_events) -> Response`` or raise for a network error."""

    def __init__(self, answer: Optional[Callable[[str, str, List[Dict[str, Any]]], Response]] = None) -> None:
        self.requests: List[Tuple[str, str, Dict[str, str], List[Dict[str, Any]]]] = []
        self.delivered: List[Dict[str, Any]] = []
        self.answer = answer or accept_all
        self.lock = threading.Lock()

    def __call__(self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float) -> Response:
        events: List[Dict[str, Any]] = []
        if body is not None and url.endswith("/v1/events"):
            import gzip

            raw = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
            events = json.loads(raw)["events"]
        with self.lock:
            self.requests.append((method, url, headers, events))
        res = self.answer(method, url, events)
        if 200 <= res.status < 300:
            with self.lock:
                self.delivered.extend(events)
        return res

    def events(self) -> List[Dict[str, Any]]:
        """Events in batches the answer accepted (2xx)."""
        with self.lock:
            return list(self.delivered)

    def posts(self) -> int:
        with self.lock:
            return sum(1 for (m, u, _, _) in self.requests if u.endswith("/v1/events"))


def accept_all(method: str, url: str, events: List[Dict[str, Any]]) -> Response:
    if url.endswith("/v1/policies"):
        return Response(200, {"etag": '"1"'}, b'{"policies":[]}')
    if url.endswith("/v1/events"):
        return Response(200, {}, json.dumps({"results": [{"id": e["id"], "status": "accepted"} for e in events]}).encode())
    return Response(200, {}, b"{}")


def status_answer(status: int, retry_after: Optional[str] = None, body: bytes = b'{"error":{"code":"x","message":"y"}}') -> Response:
    return Response(status, {"retry-after": retry_after} if retry_after is not None else {}, body)


class ListHandler:
    """A logging handler that keeps the records of the ``seamtrace`` logger."""

    def __init__(self) -> None:
        import logging

        self.records: List[Any] = []
        handler = logging.Handler()
        handler.emit = self.records.append  # type: ignore[method-assign]
        self.handler = handler
        self.logger = logging.getLogger(f"seamtrace.test.{id(self)}")
        self.logger.addHandler(handler)
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False

    def lines(self, min_level: int = 30) -> List[str]:
        return [r.getMessage() for r in self.records if r.levelno >= min_level]
