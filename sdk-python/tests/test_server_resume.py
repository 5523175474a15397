"""Durable resume against a real server: a reviewer decides through the review API, and the run
resumes by id, by key, from an ``on_resolved`` worker or in place with ``wait``; recorded steps
are replayed without calling user code, and exactly one worker resumes a run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import unittest
import uuid
from typing import Dict, List

import resume_worker
import support
from seamtrace import AsyncRun, Policy, Run, Seamtrace, StepResult
from support import ListHandler


class Pipeline:
    """extract → classify (unsure: escalates) → reserve; counts how often user code ran."""

    def __init__(self) -> None:
        self.calls: Dict[str, int] = {}
        self.lock = threading.Lock()
        self.gate: threading.Event = threading.Event()
        self.gate.set()

    def count(self, name: str) -> None:
        with self.lock:
            self.calls[name] = self.calls.get(name, 0) + 1

    def __call__(self, run: Run):
        def extract():
            self.count("extract")
            return StepResult({"amount": 4000}, confidence=0.95)

        def classify():
            self.count("classify")
            return StepResult("storm", confidence=0.41, alternatives=["flood", "fire"])

        def reserve():
            self.count("reserve")
            self.gate.wait(120)
            return StepResult(f"{kind.value}:{fields.value['amount'] * 2}", confidence=0.9)

        fields = run.step("extract", extract, input="storm tore the roof")
        kind = run.step("classify", classify, from_=[fields])
        return run.step("reserve", reserve, from_=[kind]).value


class Resume(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.server = support.server()

    def setUp(self) -> None:
        self.log = ListHandler()
        self.st = Seamtrace(self.server.url, self.server.api_key, logger=self.log.logger, shutdown_at_exit=None)
        self.wf = self.st.workflow(f"roof-{uuid.uuid4().hex[:8]}", policy=Policy(min_confidence=0.6))
        self.pipeline = Pipeline()

    def tearDown(self) -> None:
        self.st.shutdown(timeout=10)

    def escalate(self, key: str = ""):
        r = self.wf.run(self.pipeline, input={"claim": 1}, key=key or f"claim-{uuid.uuid4().hex[:8]}")
        self.assertEqual((r.status, r.escalation.step), ("escalated", "classify"))
        self.st.flush(timeout=10)
        return r

    def test_a_corrected_run_resumes_by_id_replaying_recorded_steps(self) -> None:
        r = self.escalate()
        self.server.review(r.escalation.id, "correct", "flood")
        resumed = self.wf.resume(r.run_id, self.pipeline)
        self.assertEqual((resumed.status, resumed.output), ("completed", "flood:8000"))
        self.assertEqual(self.pipeline.calls, {"extract": 1, "classify": 1, "reserve": 1})
        self.st.flush(timeout=10)
        detail = self.server.run_detail(r.run_id)
        self.assertEqual(detail["run"]["status"], "completed")
        human = [s for s in detail["steps"] if s["name"] == "classify" and s["source"] == "human"]
        self.assertEqual([(h["output"], h["confidence"], h["cumulative"]) for h in human], [("flood", 1, 1)])

    def test_running_again_with_the_same_key_resumes_after_the_review(self) -> None:
        key = f"claim-{uuid.uuid4().hex[:8]}"
        r = self.escalate(key)
        again = self.wf.run(self.pipeline, input={"claim": 1}, key=key)
        self.assertEqual((again.status, again.run_id), ("escalated", r.run_id))  # still waiting: nothing re-ran
        self.assertEqual(self.pipeline.calls, {"extract": 1, "classify": 1})
        self.server.review(r.escalation.id, "accept")
        done = self.wf.run(self.pipeline, input={"claim": 1}, key=key)
        self.assertEqual((done.status, done.output, done.run_id), ("completed", "storm:8000", r.run_id))
        self.assertEqual(self.pipeline.calls, {"extract": 1, "classify": 1, "reserve": 1})

    def test_the_context_manager_form_runs_nothing_while_the_run_waits_on_its_review(self) -> None:
        key = f"claim-{uuid.uuid4().hex[:8]}"
        r = self.escalate(key)
        with self.wf.start(input={"claim": 1}, key=key) as run:
            run.output = self.pipeline(run)
        self.assertEqual((run.result.status, run.result.run_id), ("escalated", r.run_id))
        self.assertEqual(self.pipeline.calls, {"extract": 1, "classify": 1})
        self.server.review(r.escalation.id, "correct", "flood")
        with self.wf.start(input={"claim": 1}, key=key) as run:
            run.output = self.pipeline(run)
        self.assertEqual((run.result.status, run.result.output), ("completed", "flood:8000"))
        self.assertEqual(self.pipeline.calls, {"extract": 1, "classify": 1, "reserve": 1})

    def test_a_rejected_output_fails_the_run(self) -> None:
        r = self.escalate()
        self.server.review(r.escalation.id, "reject", reason="not storm damage")
        resumed = self.wf.resume(r.run_id, self.pipeline)
        self.assertEqual((resumed.status, resumed.failure.error["name"]), ("failed", "ReviewRejected"))
        self.assertEqual(resumed.failure.error["message"], "not storm damage")
        self.assertNotIn("reserve", self.pipeline.calls)

    def test_exactly_one_of_two_racing_workers_resumes_a_run(self) -> None:
        r = self.escalate()
        self.server.review(r.escalation.id, "accept")
        other = Seamtrace(self.server.url, self.server.api_key, logger=self.log.logger, shutdown_at_exit=None)
        wf2 = other.workflow(self.wf.name, policy=Policy(min_confidence=0.6))
        results: List[str] = []
        barrier = threading.Barrier(2)

        def worker(wf) -> None:
            barrier.wait()
            results.append(wf.resume(r.run_id, self.pipeline).status)

        threads = [threading.Thread(target=worker, args=(w,)) for w in (self.wf, wf2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        other.shutdown(timeout=10)
        self.assertEqual(sorted(results), ["completed", "duplicate"])
        self.assertEqual(self.pipeline.calls["reserve"], 1)

    def test_an_on_resolved_worker_resumes_each_reviewed_run(self) -> None:
        r = self.escalate()
        done: List[str] = []

        @self.st.on_resolved(poll_interval=0.1)
        def handle(review) -> None:
            if review["runId"] == r.run_id:
                done.append(self.wf.resume(review["runId"], self.pipeline).status)

        self.server.review(r.escalation.id, "correct", "hail")
        self.server.wait_for(lambda: bool(done), what="the worker's resume")
        handle.stop(wait=5)
        self.assertEqual(done, ["completed"])
        self.st.flush(timeout=10)
        self.assertEqual(self.server.run_detail(r.run_id)["run"]["status"], "completed")

    def test_wait_holds_the_run_until_the_review_and_resumes_in_place(self) -> None:
        def reviewer() -> None:
            def escalation_id():
                runs = self.server.get(f"/v1/runs?workflow={self.wf.name}")["items"]
                state = self.server.get(f"/v1/runs/{runs[0]['id']}/state")
                return state["escalation"]["id"]

            holder: List[str] = []
            self.server.wait_for(lambda: holder.append(escalation_id()) or True, what="the escalation")
            self.server.review(holder[0], "correct", "wind")

        threading.Thread(target=reviewer, daemon=True).start()
        r = self.wf.run(self.pipeline, input={"claim": 1}, wait=30)
        self.assertEqual((r.status, r.output), ("completed", "wind:8000"))
        self.assertEqual(self.pipeline.calls, {"extract": 1, "classify": 1, "reserve": 1})

    def test_asyncio_resume(self) -> None:
        calls: List[str] = []

        async def pipeline(run: AsyncRun):
            async def extract():
                calls.append("extract")
                return StepResult(3, confidence=0.95)

            a = await run.step("extract", extract)
            b = await run.step("classify", lambda: calls.append("classify") or StepResult("x", confidence=0.1), from_=[a])
            return (await run.step("reserve", lambda: calls.append("reserve") or StepResult(b.value * a.value, confidence=0.9), from_=[b])).value

        r = asyncio.run(self.wf.run_async(pipeline))
        self.assertEqual(r.status, "escalated")
        self.st.flush(timeout=10)
        self.server.review(r.escalation.id, "correct", "y")
        resumed = asyncio.run(self.wf.resume_async(r.run_id, pipeline))
        self.assertEqual((resumed.status, resumed.output, calls), ("completed", "yyy", ["extract", "classify", "reserve"]))


class Epochs(unittest.TestCase):
    """Each execution of a run carries its resume epoch and its position in it, so the server orders
    a run's events without reading any worker's clock."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = support.server()

    def test_each_execution_of_a_run_carries_its_epoch_and_position(self) -> None:
        st = Seamtrace(self.server.url, self.server.api_key, logger=ListHandler().logger, shutdown_at_exit=None)
        wf = st.workflow(f"epochs-{uuid.uuid4().hex[:8]}", policy=Policy(min_confidence=0.6))
        r = wf.run(Pipeline(), input={"claim": 1})
        st.flush(timeout=10)
        self.server.review(r.escalation.id, "accept")
        self.assertEqual(wf.resume(r.run_id, Pipeline()).status, "completed")
        st.shutdown(timeout=10)
        positions: Dict[int, List[int]] = {}
        for e in self.server.events(r.run_id):
            positions.setdefault(e["epoch"], []).append(e["epochSeq"])
        # The first execution is epoch 0; the resume takes the epoch its claim was granted, 1.
        self.assertEqual({k: sorted(v) for k, v in positions.items()}, {0: [0, 1, 2, 3], 1: [0, 1, 2, 3]})
        self.assertEqual(self.server.get(f"/v1/runs/{r.run_id}/state")["run"]["epoch"], 1)

    def test_workers_whose_clocks_differ_by_ten_seconds_take_turns_on_one_run(self) -> None:
        """A (5 s fast) starts the run and it pauses; B (5 s slow) resumes it and it pauses again, at
        a later step but an earlier time than A's pause; A resumes it to the end."""
        calls: Dict[str, int] = {}

        def step(name: str, value, confidence: float):  # type: ignore[no-untyped-def]
            def fn() -> StepResult:
                calls[name] = calls.get(name, 0) + 1
                return StepResult(value() if callable(value) else value, confidence=confidence)
            return fn

        def pipeline(run: Run):  # type: ignore[no-untyped-def]
            fields = run.step("extract", step("extract", {"amount": 4000}, 0.95))
            kind = run.step("classify", step("classify", "storm", 0.4), from_=[fields])
            reserve = run.step("reserve", step("reserve", lambda: f"{kind.value}:{fields.value['amount']}", 0.3), from_=[kind])
            return run.step("pay", step("pay", lambda: f"paid {reserve.value}", 1.0), from_=[reserve]).value

        import time

        name = f"skew-{uuid.uuid4().hex[:8]}"
        fast = Seamtrace(self.server.url, self.server.api_key, now=lambda: time.time() + 5, logger=ListHandler().logger, shutdown_at_exit=None)
        slow = Seamtrace(self.server.url, self.server.api_key, now=lambda: time.time() - 5, logger=ListHandler().logger, shutdown_at_exit=None)
        wf_fast = fast.workflow(name, policy=Policy(min_confidence=0.6))
        wf_slow = slow.workflow(name, policy=Policy(min_confidence=0.6))
        try:
            first = wf_fast.run(pipeline, key="claim-1")
            self.assertEqual((first.status, first.escalation.step), ("escalated", "classify"))
            fast.flush(timeout=10)
            self.server.review(first.escalation.id, "correct", "flood")

            second = wf_slow.resume(first.run_id, pipeline)
            self.assertEqual((second.status, second.escalation.step), ("escalated", "reserve"))
            slow.flush(timeout=10)
            paused = self.server.get(f"/v1/runs/{first.run_id}/state")
            self.assertEqual(paused["run"]["status"], "paused")
            self.assertEqual((paused["escalation"]["id"], paused["escalation"]["status"]), (second.escalation.id, "open"))
            self.assertEqual(self.server.run_detail(first.run_id)["run"]["stopStepId"], second.escalation.step_id)

            self.server.review(second.escalation.id, "accept")
            third = wf_fast.resume(first.run_id, pipeline)
            self.assertEqual((third.status, third.output), ("completed", "paid flood:4000"))
            self.assertEqual(calls, {"extract": 1, "classify": 1, "reserve": 1, "pay": 1})
            fast.flush(timeout=10)
            self.assertEqual(self.server.run_detail(first.run_id)["run"]["status"], "completed")
        finally:
            fast.shutdown(timeout=10)
            slow.shutdown(timeout=10)


#: Short, so the tests do not idle; they wait for a lapse, they never assume when it happens.
LEASE_MS = 3000


class Leases(unittest.TestCase):
    """A resume claim is a lease the resuming worker renews; a lapsed one lets another worker in."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = support.start_server(env={"SEAMTRACE_RESUME_LEASE_MS": str(LEASE_MS)})

    @classmethod
    def tearDownClass(cls) -> None:
        support._dispose(cls.server)

    def setUp(self) -> None:
        self.log = ListHandler()
        self.problems: list = []
        self.st = self.client(on_error=self.problems.append)
        self.wf = self.st.workflow(f"lease-{uuid.uuid4().hex[:8]}", policy=Policy(min_confidence=0.6))
        self.pipeline = Pipeline()

    def client(self, **kw) -> Seamtrace:  # type: ignore[no-untyped-def]
        st = Seamtrace(self.server.url, self.server.api_key, logger=self.log.logger, shutdown_at_exit=None, **kw)
        self.addCleanup(st.shutdown, timeout=10)
        return st

    def reviewed(self):  # type: ignore[no-untyped-def]
        r = self.wf.run(self.pipeline, input={})
        self.st.flush(timeout=10)
        self.server.review(r.escalation.id, "accept")
        return r

    def watch_renewals(self, st: Seamtrace, hold: "threading.Event | None" = None) -> List[str]:
        """What the worker's renewals answered; with ``hold``, each renewal waits for it (a hung network)."""
        resumer = st._resumer
        renew = resumer.renew
        answers: List[str] = []

        def renewing(run_id: str, esc_id: str, epoch: int) -> str:
            if hold is not None:
                hold.wait(60)
            answer = renew(run_id, esc_id, epoch)
            answers.append(answer)
            return answer

        resumer.renew = renewing
        return answers

    def resumable(self) -> List[str]:
        """Runs listed as resumable (this class's tests share a server)."""
        return [i["runId"] for i in self.server.get("/v1/resumable")["items"]]

    def test_the_claim_is_granted_as_a_lease_with_an_epoch(self) -> None:
        r = self.reviewed()
        claim = self.st._resumer.claim(r.run_id, r.escalation.id)
        self.assertEqual((claim.won, claim.epoch, claim.lease), (True, 1, LEASE_MS / 1000))
        self.assertEqual(self.st._resumer.renew(r.run_id, r.escalation.id, 1), "renewed")
        self.assertEqual(self.st._resumer.renew(r.run_id, r.escalation.id, 2), "lost")  # not the epoch it was granted
        self.assertFalse(self.client()._resumer.claim(r.run_id, r.escalation.id).won)  # another worker: the claim is live

    def test_the_worker_renews_its_claim_while_it_runs_past_the_lease(self) -> None:
        r = self.reviewed()
        renewals = self.watch_renewals(self.st)
        self.pipeline.gate.clear()
        results: List[str] = []
        worker = threading.Thread(target=lambda: results.append(self.wf.resume(r.run_id, self.pipeline).status))
        worker.start()
        # Four renewals come a lease and more after the claim: only renewing keeps the run this worker's.
        self.server.wait_for(lambda: renewals.count("renewed") >= 4, timeout=120, what="four renewals")
        other = self.client().workflow(self.wf.name, policy=Policy(min_confidence=0.6))
        self.assertEqual(other.resume(r.run_id, Pipeline()).status, "duplicate")
        self.assertNotIn(r.run_id, self.resumable())
        self.pipeline.gate.set()
        worker.join(60)
        self.assertEqual(results, ["completed"])
        self.assertNotIn("lost", renewals)
        self.assertEqual([p.cause for p in self.problems], [])
        self.st.flush(timeout=10)
        self.assertEqual(self.server.run_detail(r.run_id)["run"]["status"], "completed")
        # The run's end ended the claim at once: it never lapses into the resumable list.
        self.assertIsNone(self.server.get(f"/v1/runs/{r.run_id}/state")["escalation"]["leaseExpiresAt"])

    def test_a_worker_cut_off_from_the_server_loses_the_run_to_another_and_records_nothing_more(self) -> None:
        r = self.reviewed()
        network = threading.Event()
        self.watch_renewals(self.st, hold=network)
        self.pipeline.gate.clear()
        ran_after: List[int] = []
        inner = self.pipeline

        def pipeline(run: Run):  # type: ignore[no-untyped-def]
            value = inner(run)
            run.step("notify", lambda: ran_after.append(1) or StepResult("sent", confidence=1))
            return value

        results: List[str] = []
        a = threading.Thread(target=lambda: results.append(self.wf.resume(r.run_id, pipeline).status))
        a.start()
        self.server.wait_for(lambda: inner.calls.get("reserve") == 1, timeout=60, what="worker A in reserve")
        # A's renewals hang: its claim lapses on the server, and the run is offered again.
        self.server.wait_for(lambda: r.run_id in self.resumable(), timeout=120, what="the lapsed claim")
        self.assertTrue(self.server.run_detail(r.run_id)["run"]["resumerLost"])
        other = self.client().workflow(self.wf.name, policy=Policy(min_confidence=0.6))
        b_pipeline = Pipeline()
        b = other.resume(r.run_id, b_pipeline)
        self.assertEqual((b.status, b.output), ("completed", "storm:8000"))
        self.assertEqual(b_pipeline.calls, {"reserve": 1})  # extract and the reviewed classify come from A's record
        other._client.flush(timeout=10)

        network.set()
        inner.gate.set()
        a.join(60)
        self.assertEqual(results, ["lease_lost"])
        self.assertEqual(ran_after, [])  # A stopped before its next step
        self.assertEqual([p.cause for p in self.problems], [f"lease:{r.run_id}"])
        self.st.flush(timeout=10)
        detail = self.server.run_detail(r.run_id)
        self.assertEqual((detail["run"]["status"], detail["run"]["output"], detail["run"]["resumerLost"]), ("completed", "storm:8000", False))
        # Nothing A did after losing the claim was recorded: one reserve (B's), no notify.
        self.assertEqual(sorted(s["name"] for s in detail["steps"]), ["classify", "extract", "reserve"])


class KilledResumer(unittest.TestCase):
    """A Python worker resuming a reviewed run is killed with -9 in the middle of its downstream
    steps. Its claim lapses, the run is offered again, and the next Python worker, another process,
    replays what the dead one recorded and runs the rest."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = support.start_server(env={"SEAMTRACE_RESUME_LEASE_MS": str(LEASE_MS)})

    @classmethod
    def tearDownClass(cls) -> None:
        support._dispose(cls.server)

    def spawn(self, *args: str) -> "tuple[subprocess.Popen[str], List[str]]":
        proc = subprocess.Popen([sys.executable, os.path.join(support.HERE, "resume_worker.py"), self.server.url, self.server.api_key, self.workflow, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        lines: List[str] = []

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))

        threading.Thread(target=read, daemon=True).start()
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc, lines

    def test_the_claim_lapses_and_the_next_worker_finishes_the_run_from_the_dead_ones_record(self) -> None:
        self.workflow = f"killed-{uuid.uuid4().hex[:8]}"
        st = Seamtrace(self.server.url, self.server.api_key, logger=ListHandler().logger, shutdown_at_exit=None)
        self.addCleanup(st.shutdown, timeout=10)
        wf = st.workflow(self.workflow, policy=resume_worker.POLICY)
        first = wf.run(resume_worker.pipeline(lambda line: None), key="claim-42")
        self.assertEqual((first.status, first.escalation.step), ("escalated", "classify"))
        st.flush(timeout=10)
        self.server.review(first.escalation.id, "correct", "flood")

        dying, said = self.spawn("hang", first.run_id)
        self.server.wait_for(lambda: "in pay" in said, timeout=120, what="the worker in pay")
        dying.kill()
        self.assertEqual(dying.wait(30), -signal.SIGKILL)
        self.assertEqual([line for line in said if line.startswith("call ")], ["call enrich", "call pay"])
        state = self.server.get(f"/v1/runs/{first.run_id}/state")
        self.assertEqual(state["run"]["status"], "running")
        self.assertEqual([s["name"] for s in state["steps"]], ["extract", "classify", "enrich"])

        # Its claim lapses: the run is offered again, and shown as such.
        self.server.wait_for(lambda: [i["runId"] for i in self.server.get("/v1/resumable")["items"]] == [first.run_id], timeout=120, what="the lapsed claim")
        self.assertTrue(self.server.run_detail(first.run_id)["run"]["resumerLost"])

        nxt, lines = self.spawn("on_resolved")
        self.assertEqual(nxt.wait(180), 0, "\n".join(lines))
        self.assertEqual([line for line in lines if line.startswith("call ")], ["call pay", "call notify"])
        result = json.loads(next(line for line in lines if line.startswith("result "))[len("result "):])
        self.assertEqual(result, {"runId": first.run_id, "status": "completed", "output": "paid flood+photos"})

        done = self.server.get(f"/v1/runs/{first.run_id}/state")
        self.assertEqual(done["run"]["status"], "completed")
        self.assertEqual([s["name"] for s in done["steps"]], ["extract", "classify", "enrich", "pay", "notify"])
        self.assertFalse(self.server.run_detail(first.run_id)["run"]["resumerLost"])
        self.assertEqual(self.server.get("/v1/resumable")["items"], [])
        # Running the same key again replays the finished run: nothing is called.
        calls: List[str] = []
        again = wf.run(resume_worker.pipeline(calls.append), key="claim-42")
        self.assertEqual((again.status, again.output, calls), ("completed", "paid flood+photos", []))


if __name__ == "__main__":
    unittest.main()
