"""Real processes: a forked child starts its own transport (gunicorn, Celery, multiprocessing), and
delivery picks up again when a stopped collector comes back on the same port."""

from __future__ import annotations

import os
import shutil
import unittest
import uuid

import support
from seamtrace import Seamtrace, StepResult
from support import ListHandler, free_port, start_server


@unittest.skipUnless(hasattr(os, "fork"), "needs fork()")
class Fork(unittest.TestCase):
    def test_a_forked_child_sends_its_own_events_and_not_its_parents(self) -> None:
        server = support.server()
        st = Seamtrace(server.url, server.api_key, flush_interval=60, logger=ListHandler().logger, shutdown_at_exit=None)
        wf = st.workflow(f"fork-{uuid.uuid4().hex[:8]}")
        parent_run = wf.run(lambda run: run.step("parent", lambda: StepResult("p", confidence=0.9)).value)
        self.assertEqual(st.stats()["buffered"], 3)  # not yet sent when the process forks
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report what it delivered through the pipe, then leave at once
            code = 1
            try:
                os.close(read)
                child_run = wf.run(lambda run: run.step("child", lambda: StepResult("c", confidence=0.9)).value)
                report = st.shutdown(timeout=15)
                os.write(write, f"{child_run.run_id} {report.delivered} {sorted(report.undelivered.items())}".encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        with os.fdopen(read) as pipe:
            child_run_id, delivered, undelivered = pipe.read().split(" ", 2)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual((delivered, undelivered), ("3", "[]"))  # its own three events, none of the parent's
        report = st.shutdown(timeout=15)
        self.assertEqual((report.delivered, report.undelivered), (3, {}))
        self.assertEqual(server.run_detail(child_run_id)["steps"][0]["name"], "child")
        self.assertEqual(server.run_detail(parent_run.run_id)["steps"][0]["name"], "parent")


class CollectorRestart(unittest.TestCase):
    def test_events_buffered_while_the_collector_is_down_are_delivered_when_it_returns(self) -> None:
        port = free_port()
        first = start_server(port=port)
        problems: list = []
        st = Seamtrace(first.url, first.api_key, grace_period=0.2, logger=ListHandler().logger, on_error=problems.append, shutdown_at_exit=None)
        try:
            first.stop()
            wf = st.workflow(f"outage-{uuid.uuid4().hex[:8]}")
            r = wf.run(lambda run: run.step("a", lambda: StepResult(1, confidence=0.9)).value)
            self.assertEqual(r.status, "completed")  # the run never waits on the network
            support.Server.wait_for(lambda: any(p.cause == "unreachable" for p in problems), what="the unreachable notice")
            second = start_server(data_dir=first.data_dir, port=port)
            second.api_key = first.api_key  # a restart prints no key
            try:
                result = st.flush(timeout=30)
                self.assertEqual((result.delivered, result.undelivered), (3, 0))
                self.assertEqual(second.run_detail(r.run_id)["run"]["status"], "completed")
                self.assertEqual(st.stats()["dropped_total"], 0)
            finally:
                second.stop()
        finally:
            st.shutdown(timeout=1)
            shutil.rmtree(first.data_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
