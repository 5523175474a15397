"""The disk spool: it holds what memory cannot, survives kill -9 of its process, and belongs to one
process at a time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid
from typing import Any, Dict, List

import support
from seamtrace import FileSpool, Seamtrace, SpoolInUse
from seamtrace.http import Response
from seamtrace.notices import Notifier
from seamtrace.transport import Transport
from support import SDK_ROOT, FakeClock, ListHandler, Recorder, accept_all, free_port


def event(i: int) -> Dict[str, Any]:
    return {"id": f"00000000-0000-7000-8000-{i:012d}", "type": "sdk.test", "time": "2026-01-01T00:00:00.000Z", "n": i}


class SpoolTests(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="seamtrace-spool-")

    def tearDown(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def transport(self, answer, spool: FileSpool, **opts: Any):
        clock = FakeClock()
        rec = Recorder(answer)
        t = Transport("http://collector.test", "st_key", Notifier(ListHandler().logger), request=rec, clock=clock,
                      random=lambda: 0.5, start_thread=False, spool=spool, **opts)

        def drive(seconds: float) -> None:
            end = clock.t + seconds
            while clock.t < end:
                delay = t._tick()
                if delay > 0:
                    clock.advance(min(delay, end - clock.t))
        return t, rec, drive

    def test_with_a_spool_nothing_is_dropped_past_the_memory_bound_until_its_max_bytes(self) -> None:
        state = {"down": True}

        def answer(method: str, url: str, events: List[Dict[str, Any]]) -> Response:
            if state["down"]:
                raise ConnectionRefusedError("down")
            return accept_all(method, url, events)

        spool = FileSpool(self.dir, segment_events=7)
        t, rec, drive = self.transport(answer, spool, max_buffer_events=5, max_batch_events=10)
        for i in range(60):
            t.enqueue(event(i))
        drive(30)
        self.assertEqual(t.stats()["dropped_total"], 0)
        self.assertEqual(spool.pending, 60)
        state["down"] = False
        drive(10)
        self.assertEqual([e["n"] for e in rec.events()], list(range(60)))
        self.assertEqual(spool.pending, 0)
        self.assertEqual([n for n in os.listdir(self.dir) if n.endswith(".jsonl")], [])

        small = FileSpool(tempfile.mkdtemp(dir=self.dir), max_bytes=1000)
        t2, _, _ = self.transport(answer, small)
        for i in range(20):
            t2.enqueue(event(i))
        self.assertGreater(t2.stats()["dropped"].get("spool_full", 0), 0)
        self.assertLessEqual(small.size, 1000)

    def test_a_torn_last_line_is_cut_and_a_new_process_never_appends_to_old_segments(self) -> None:
        with open(os.path.join(self.dir, "000000000003.jsonl"), "wb") as f:
            f.write(b'{"id":"a","n":1}\n{"id":"b","n":2}\n{"id":"c","n":')
        spool = FileSpool(self.dir)
        self.assertEqual(spool.pending, 2)
        spool.append('{"id":"d","n":4}')
        self.assertEqual(spool.take(10, 10_000), ['{"id":"a","n":1}', '{"id":"b","n":2}', '{"id":"d","n":4}'])
        self.assertTrue(os.path.exists(os.path.join(self.dir, "000000000004.jsonl")))
        spool.close()

    def test_one_process_per_folder(self) -> None:
        first = FileSpool(self.dir)
        with self.assertRaises(SpoolInUse):
            FileSpool(self.dir)
        first.close()
        FileSpool(self.dir).close()

    def test_events_buffered_by_a_process_killed_with_sigkill_are_sent_by_the_next_one(self) -> None:
        server = support.server()
        dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: the child's events stay buffered
        name = f"crash-{uuid.uuid4().hex[:8]}"
        script = f"""
import os, signal, sys
sys.path.insert(0, {os.path.join(SDK_ROOT, 'src')!r})
from seamtrace import FileSpool, Seamtrace, StepResult
st = Seamtrace({dead!r}, {server.api_key!r}, spool=FileSpool({self.dir!r}), shutdown_at_exit=None, logger=False)
wf = st.workflow({name!r})
r = wf.run(lambda run: run.step("b", lambda: StepResult(2, confidence=0.8), from_=[run.step("a", lambda: StepResult(1, confidence=0.9))]).value)
print(r.run_id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""
        child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(child.returncode, -9, child.stderr)
        run_id = child.stdout.strip()
        st = Seamtrace(server.url, server.api_key, spool=FileSpool(self.dir), shutdown_at_exit=None, logger=ListHandler().logger)
        report = st.shutdown(timeout=15)
        self.assertEqual((report.delivered, report.undelivered), (4, {}))
        detail = server.run_detail(run_id)
        self.assertEqual((detail["run"]["status"], detail["run"]["output"]), ("completed", 2))
        self.assertEqual(sorted(s["name"] for s in detail["steps"]), ["a", "b"])


if __name__ == "__main__":
    unittest.main()
