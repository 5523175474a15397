"""Durable resume against a real server: a reviewer decides through the review API, and the run
resumes by id, by key, from an ``on_resolved`` worker or in place with ``wait``; recorded steps
are replayed without calling user code, and exactly one worker resumes a run."""

from __future__ import annotations

import asyncio
import threading
import unittest
import uuid
from typing import Dict, List

import support
from seamtrace import AsyncRun, Policy, Run, Seamtrace, StepResult
from seamtrace.resumer import Claim
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
            self.gate.wait(10)
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


class Leases(unittest.TestCase):
    """The server is getting resume-claim leases; until then the renewal answers 404 ``no route``."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = support.server()

    def setUp(self) -> None:
        self.log = ListHandler()
        self.problems: list = []
        self.st = Seamtrace(self.server.url, self.server.api_key, logger=self.log.logger, on_error=self.problems.append, shutdown_at_exit=None)
        self.wf = self.st.workflow(f"lease-{uuid.uuid4().hex[:8]}", policy=Policy(min_confidence=0.6))
        self.pipeline = Pipeline()

    def tearDown(self) -> None:
        self.st.shutdown(timeout=10)

    def reviewed(self):
        r = self.wf.run(self.pipeline, input={})
        self.st.flush(timeout=10)
        self.server.review(r.escalation.id, "accept")
        return r

    def short_lease(self, renew_answer=None):
        resumer = self.st._resumer
        claim, renew = resumer.claim, resumer.renew
        renewals: List[str] = []
        resumer.claim = lambda run_id, esc_id: (lambda c: Claim(c.won, 0.15) if isinstance(c, Claim) else c)(claim(run_id, esc_id))

        def renewing(run_id: str, esc_id: str) -> str:
            answer = renew(run_id, esc_id) if renew_answer is None else renew_answer
            renewals.append(answer)
            return answer

        resumer.renew = renewing
        return renewals

    def test_the_worker_renews_its_claim_while_it_runs_and_a_server_without_leases_is_no_problem(self) -> None:
        r = self.reviewed()
        renewals = self.short_lease()
        self.pipeline.gate.clear()
        threading.Timer(0.6, self.pipeline.gate.set).start()  # reserve runs past several renewal periods
        resumed = self.wf.resume(r.run_id, self.pipeline)
        self.assertEqual(resumed.status, "completed")
        self.assertEqual(renewals, ["unsupported"])  # the real server's answer today: renewal stops quietly
        self.assertEqual([p.cause for p in self.problems], [])

    def test_a_lost_lease_stops_the_run_at_its_next_step(self) -> None:
        r = self.reviewed()
        renewals = self.short_lease("lost")
        self.pipeline.gate.clear()
        threading.Timer(0.5, self.pipeline.gate.set).start()
        ran_after: List[int] = []
        inner = self.pipeline

        def pipeline(run: Run):
            value = inner(run)
            run.step("notify", lambda: ran_after.append(1))
            return value

        resumed = self.wf.resume(r.run_id, pipeline)
        self.assertEqual(resumed.status, "duplicate")
        self.assertEqual(ran_after, [])
        self.assertEqual(renewals[:1], ["lost"])
        self.assertEqual([p.cause for p in self.problems], [f"lease:{r.run_id}"])


if __name__ == "__main__":
    unittest.main()
