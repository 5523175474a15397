"""HTTP with the standard library: one request function the transport, the policy client and the
resume calls share, and that tests replace."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import urllib.parse
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Tuple

__all__ = ["Response", "RequestFn", "HttpRequest", "error_summary", "json_body"]


class Response(NamedTuple):
    status: int
    #: Header names in lower case.
    headers: Mapping[str, str]
    body: bytes


RequestFn = Callable[[str, str, Dict[str, str], Optional[bytes], float], Response]
"""``request(method, url, headers, body, timeout_seconds) -> Response``. Raising means the server
could not be reached (a network error, retried like one).

Example::

    def request(method, url, headers, body, timeout):
        r = my_session.request(method, url, headers=headers, data=body, timeout=timeout)
        return Response(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)
"""


class HttpRequest:
    """The default ``RequestFn``: ``http.client``, with one kept-alive connection per thread and
    origin when ``keep_alive`` (the transport's single sender thread reuses it batch after batch).

    Proxies from the environment are not used: the collector is usually on the same network.
    """

    def __init__(self, keep_alive: bool = True, ssl_context: Optional[ssl.SSLContext] = None) -> None:
        self._keep_alive = keep_alive
        self._ssl = ssl_context
        self._local = threading.local()

    def __call__(self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float) -> Response:
        parts = urllib.parse.urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        key = (parts.scheme, parts.netloc)
        reused, conn = self._connection(key, timeout)
        try:
            return self._exchange(conn, method, target, headers, body)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self._drop(key)
            if not reused:
                raise
            # The server closed an idle kept-alive connection before this request reached it
            # (Node closes them after 5 s): that is not an outage; one fresh try.
            _, conn = self._connection(key, timeout)
            try:
                return self._exchange(conn, method, target, headers, body)
            except BaseException:
                self._drop(key)
                raise
        except BaseException:
            self._drop(key)
            raise

    def _exchange(self, conn: http.client.HTTPConnection, method: str, target: str, headers: Dict[str, str], body: Optional[bytes]) -> Response:
        conn.request(method, target, body=body, headers=headers)
        res = conn.getresponse()
        data = res.read()
        out = Response(res.status, {k.lower(): v for k, v in res.getheaders()}, data)
        if not self._keep_alive or res.will_close:
            self._drop((conn._seamtrace_key))  # type: ignore[attr-defined]
        return out

    def _connection(self, key: Tuple[str, str], timeout: float) -> Tuple[bool, http.client.HTTPConnection]:
        conns: Dict[Tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault("conns", {})
        conn = conns.get(key)
        if conn is not None:
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            return True, conn
        scheme, netloc = key
        if scheme == "https":
            conn = http.client.HTTPSConnection(netloc, timeout=timeout, context=self._ssl or ssl.create_default_context())
        elif scheme == "http":
            conn = http.client.HTTPConnection(netloc, timeout=timeout)
        else:
            raise ValueError(f"unsupported URL scheme {scheme!r}")
        conn._seamtrace_key = key  # type: ignore[attr-defined]
        conns[key] = conn
        return False, conn

    def _drop(self, key: Tuple[str, str]) -> None:
        conns = self._local.__dict__.get("conns", {})
        conn = conns.pop(key, None)
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def close_thread(self) -> None:
        """Closes the calling thread's connections (a sender thread that ends)."""
        for key in list(self._local.__dict__.get("conns", {})):
            self._drop(key)

    def reset(self) -> None:
        """Forgets every connection (a forked child must not share its parent's sockets)."""
        self._local = threading.local()


def error_summary(body: bytes) -> str:
    """``: code: message`` from an error envelope (``{"error": {"code", "message"}}``), for diagnostics."""
    try:
        error = json.loads(body.decode("utf-8", "replace")).get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            message = error.get("message")
            return f": {error['code']}" + (f": {str(message)[:200]}" if isinstance(message, str) else "")
    except Exception:
        pass
    return ""


def json_body(res: Response) -> Any:
    return json.loads(res.body.decode("utf-8"))
