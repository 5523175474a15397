"""The transport's promises, with a fake clock driving the sender by hand (no thread, no sleeps):
recovery after an outage, loud-once notices, retries, splitting, and the shutdown report."""

from __future__ import annotations

import json
import unittest
from typing import Any, Dict, List

import support  # noqa: F401
from seamtrace.http import Response
from seamtrace.notices import Notifier, SeamtraceProblem
from seamtrace.transport import Transport
from support import FakeClock, ListHandler, Recorder, accept_all, status_answer


def event(i: int) -> Dict[str, Any]:
    return {"id": f"00000000-0000-7000-8000-{i:012d}", "type": "sdk.test", "time": "2026-01-01T00:00:00.000Z", "n": i}


class Harness:
    def __init__(self, answer=accept_all, **opts: Any) -> None:
        self.clock = FakeClock()
        self.rec = Recorder(answer)
        self.log = ListHandler()
        self.problems: List[SeamtraceProblem] = []
        self.notifier = Notifier(self.log.logger, self.problems.append)
        self.t = Transport("http://collector.test", "st_key", self.notifier, request=self.rec, clock=self.clock,
                           random=lambda: 0.5, start_thread=False, **opts)

    def drive(self, seconds: float) -> None:
        """Runs the sender's rounds for ``seconds`` of fake time."""
        end = self.clock.t + seconds
        while True:
            delay = self.t._tick()
            if delay <= 0:
                continue
            if self.clock.t + delay > end:
                self.clock.t = end
                return
            self.clock.advance(delay)


class Recovery(unittest.TestCase):
    def test_delivery_resumes_within_the_probe_interval_of_the_collectors_return(self) -> None:
        up: Dict[str, Any] = {"at": None, "delivered_at": None}

        def answer(method: str, url: str, events: List[Dict[str, Any]]) -> Response:
            if up["at"] is None or h.clock.t < up["at"]:
                raise ConnectionRefusedError("connection refused")
            if events and up["delivered_at"] is None:
                up["delivered_at"] = h.clock.t
            return accept_all(method, url, events)

        h = Harness(answer)
        for i in range(3):
            h.t.enqueue(event(i))
        h.drive(120)  # two minutes down: the backoff has reached its 30 s cap by now
        self.assertEqual(h.rec.events(), [])
        posts_while_down = h.rec.posts()
        self.assertLessEqual(posts_while_down, 13)  # the backoff holds: probes, not batches, watch the outage
        up["at"] = h.clock.t + 0.3
        h.drive(5)
        self.assertEqual([e["n"] for e in h.rec.events()], [0, 1, 2])
        # The batch was due again only ~15 s later; the probe after the return ended the wait.
        self.assertLessEqual(up["delivered_at"] - up["at"], 1.0)
        self.assertEqual(h.t.stats()["dropped_total"], 0)

    def test_probes_are_cheap_gets_and_stop_once_delivery_works(self) -> None:
        state = {"down": True}

        def answer(method: str, url: str, events: List[Dict[str, Any]]) -> Response:
            if state["down"]:
                raise ConnectionRefusedError("down")
            return accept_all(method, url, events)

        h = Harness(answer)
        h.t.enqueue(event(1))
        h.drive(20)
        probes = [u for (m, u, _, _) in h.rec.requests if u.endswith("/healthz")]
        self.assertGreater(len(probes), 10)
        self.assertTrue(all(m == "GET" for (m, u, _, _) in h.rec.requests if u.endswith("/healthz")))
        state["down"] = False
        h.drive(2)
        count = len(h.rec.requests)
        h.drive(30)
        self.assertEqual(len(h.rec.requests), count)  # nothing more to send, nothing probed

    def test_retry_after_is_honoured_without_probing(self) -> None:
        calls: List[float] = []

        def answer(method: str, url: str, events: List[Dict[str, Any]]) -> Response:
            calls.append(h.clock.t)
            return status_answer(503, "7") if len(calls) == 1 else accept_all(method, url, events)

        h = Harness(answer)
        h.t.enqueue(event(1))
        h.drive(10)
        self.assertEqual(len(calls), 2)
        self.assertGreaterEqual(calls[1] - calls[0], 7)
        self.assertFalse(any(u.endswith("/healthz") for (_, u, _, _) in h.rec.requests))

    def test_a_refused_batch_is_not_retried(self) -> None:
        h = Harness(lambda m, u, e: status_answer(400))
        h.t.enqueue(event(1))
        h.drive(60)
        sent = [e["type"] for (_, u, _, evs) in h.rec.requests for e in evs]
        self.assertEqual(sent, ["sdk.test", "sdk.dropped"])  # once, then the gap is reported
        self.assertEqual(h.t.stats()["dropped"], {"http_400": 1})

    def test_a_batch_too_large_for_the_server_is_halved_in_order(self) -> None:
        def answer(method: str, url: str, events: List[Dict[str, Any]]) -> Response:
            return status_answer(413) if len(events) > 2 else accept_all(method, url, events)

        h = Harness(answer)
        for i in range(5):
            h.t.enqueue(event(i))
        h.drive(5)
        accepted = [e["n"] for (_, _, _, evs) in h.rec.requests if len(evs) <= 2 for e in evs]
        self.assertEqual(accepted, [0, 1, 2, 3, 4])
        self.assertEqual(h.t.stats()["sent"], 5)


class LoudOnce(unittest.TestCase):
    def test_a_refused_api_key_is_told_once_and_its_drops_counted(self) -> None:
        h = Harness(lambda m, u, e: status_answer(401, body=b'{"error":{"code":"unauthorized","message":"the API key is not valid"}}'))
        for round_ in range(3):
            h.t.enqueue(event(round_))
            h.drive(2)
        auth = [p for p in h.problems if p.cause == "auth"]
        self.assertEqual(len(auth), 1)
        lines = [line for line in h.log.lines(40) if "API key" in line]
        self.assertEqual(len(lines), 1)
        self.assertIn("unauthorized", lines[0])
        self.assertEqual(h.t.stats()["dropped"]["http_401"], 3)

    def test_an_unreachable_collector_is_told_once_after_the_grace_period_and_again_after_recovery(self) -> None:
        state = {"down": True}

        def answer(method: str, url: str, events: List[Dict[str, Any]]) -> Response:
            if state["down"]:
                raise ConnectionRefusedError("refused")
            return accept_all(method, url, events)

        h = Harness(answer)
        h.t.enqueue(event(1))
        h.drive(9)
        self.assertEqual([p.cause for p in h.problems], [])  # within the grace period: quiet
        h.drive(30)
        self.assertEqual([p.cause for p in h.problems], ["unreachable"])
        self.assertIn("refused", h.problems[0].args[0])
        state["down"] = False
        h.drive(2)
        self.assertTrue(any("resumed" in r.getMessage() for r in h.log.records))
        state["down"] = True
        h.t.enqueue(event(2))
        h.drive(40)
        self.assertEqual([p.cause for p in h.problems], ["unreachable", "unreachable"])

    def test_the_first_drop_of_each_reason_is_told_once_and_reported_to_the_server(self) -> None:
        h = Harness(max_buffer_events=2)
        for i in range(6):
            h.t.enqueue(event(i))
        self.assertEqual([p.cause for p in h.problems], ["dropped:buffer_full"])
        self.assertEqual(h.t.stats()["dropped"], {"buffer_full": 4})
        h.drive(2)
        reports = [e for e in h.rec.events() if e["type"] == "sdk.dropped"]
        self.assertEqual([(r["reason"], r["count"]) for r in reports], [("buffer_full", 4)])

    def test_rejected_events_are_told_once_per_code(self) -> None:
        def answer(method: str, url: str, events: List[Dict[str, Any]]) -> Response:
            results = [{"id": e["id"], "status": "rejected", "code": "invalid_event", "message": "kinds: bad"} for e in events]
            return Response(207, {}, json.dumps({"results": results}).encode())

        h = Harness(answer)
        for i in range(3):
            h.t.enqueue(event(i))
        h.drive(2)
        self.assertEqual([p.cause for p in h.problems], ["rejected:invalid_event"])
        self.assertEqual(h.t.stats()["rejected_by_code"], {"invalid_event": 3})


class Shutdown(unittest.TestCase):
    def test_the_report_says_what_was_delivered_and_what_was_not_and_why(self) -> None:
        import threading

        h = Harness(lambda m, u, e: status_answer(401))
        h.t._start_thread = True  # shutdown drains on the real sender thread
        h.t._needs_start = True
        h.t._clock = __import__("time").monotonic
        h.t.enqueue(event(1))
        report = h.t.shutdown(timeout=5)
        self.assertEqual(report.delivered, 0)
        self.assertEqual(report.undelivered, {"http_401": 1})
        self.assertIn("401", report.last_error or "")
        self.assertFalse(report.ok)
        self.assertIs(h.t.shutdown(), report)  # idempotent
        h.t.enqueue(event(2))  # after shutdown: dropped, counted, told once, never raised
        h.t.enqueue(event(3))
        self.assertEqual(h.t.stats()["dropped"]["shutdown"], 2)
        self.assertEqual([p.cause for p in h.problems].count("dropped:after_shutdown"), 1)
        self.assertIsInstance(threading.active_count(), int)

    def test_a_deadline_that_passes_while_the_collector_is_down_drops_what_is_left_as_shutdown(self) -> None:
        def down(m: str, u: str, e: List[Dict[str, Any]]) -> Response:
            raise ConnectionRefusedError("down")

        h = Harness(down)
        h.t._start_thread = True
        h.t._needs_start = True
        h.t._clock = __import__("time").monotonic
        for i in range(3):
            h.t.enqueue(event(i))
        report = h.t.shutdown(timeout=0.3)
        self.assertTrue(report.timed_out)
        self.assertEqual(report.undelivered, {"shutdown": 3})
        self.assertTrue(any("undelivered" in line for line in h.log.lines()))


if __name__ == "__main__":
    unittest.main()
