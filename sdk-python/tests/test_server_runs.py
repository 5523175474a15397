"""Runs against a real Seamtrace server on 127.0.0.1: what the server stores for chains, diamonds,
parallel asyncio steps, failures and invalid confidences, and the loud failure of a wrong key."""

from __future__ import annotations

import asyncio
import unittest
import uuid

import support
from seamtrace import AsyncRun, Policy, Run, Seamtrace, StepResult
from support import ListHandler


def fresh(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


class ServerRuns(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.server = support.server()

    def setUp(self) -> None:
        self.log = ListHandler()
        self.st = Seamtrace(self.server.url, self.server.api_key, logger=self.log.logger, shutdown_at_exit=None)

    def tearDown(self) -> None:
        report = self.st.shutdown(timeout=10)
        self.assertEqual(report.undelivered, {}, report)

    def stored(self, run_id: str):
        self.assertEqual(self.st.flush(timeout=10).undelivered, 0)
        return self.server.run_detail(run_id)

    def test_a_diamond_is_stored_with_its_lineage_and_each_ancestor_counted_once(self) -> None:
        wf = self.st.workflow(fresh("diamond"), version="2")

        def pipeline(run: Run):
            fields = run.step("extract", lambda: StepResult({"amount": 1200}, confidence=0.94, reasoning="pattern"), input={"email": "x"})
            kind = run.step("classify", lambda: StepResult("water", confidence=0.88, alternatives=["flood"]), from_=[fields])
            policy = run.step("match-policy", lambda: {"policy": "PX-1043"}, from_=[fields], source="direct")
            reserve = run.step("reserve", lambda: StepResult(1200, confidence=0.9, features={"amount": 1200}), from_=[kind, policy])
            return reserve

        r = wf.run(pipeline, input={"email": "x"}, key=fresh("msg"))
        self.assertEqual((r.status, r.output.value), ("completed", 1200))
        detail = self.stored(r.run_id)
        self.assertEqual(detail["run"]["status"], "completed")
        self.assertEqual(detail["run"]["output"], 1200)
        steps = {s["name"]: s for s in detail["steps"]}
        self.assertEqual(set(steps), {"extract", "classify", "match-policy", "reserve"})
        self.assertAlmostEqual(steps["reserve"]["cumulative"], 0.9 * 0.88 * 0.94)
        self.assertIsNone(steps["match-policy"]["confidence"])  # unscored, stored as such
        self.assertEqual(steps["match-policy"]["source"], "direct")
        self.assertEqual(steps["classify"]["alternatives"], ["flood"])
        self.assertEqual(steps["reserve"]["features"], {"amount": 1200})
        edges = {(e["from"], e["to"]) for e in detail["edges"]}
        ids = {name: s["id"] for name, s in steps.items()}
        self.assertEqual(edges, {(ids["extract"], ids["classify"]), (ids["extract"], ids["match-policy"]),
                                 (ids["classify"], ids["reserve"]), (ids["match-policy"], ids["reserve"])})

    def test_asyncio_steps_run_in_parallel_with_gather(self) -> None:
        wf = self.st.workflow(fresh("parallel"))

        async def pipeline(run: AsyncRun):
            fields = await run.step("extract", lambda: StepResult({"n": 1}, confidence=0.9))
            left_started, right_started = asyncio.Event(), asyncio.Event()

            async def left():
                left_started.set()
                await asyncio.wait_for(right_started.wait(), 5)  # only returns if both run at once
                return StepResult("L", confidence=0.8)

            async def right():
                right_started.set()
                await asyncio.wait_for(left_started.wait(), 5)
                return StepResult("R", confidence=0.7)

            a, b = await asyncio.gather(run.step("left", left, from_=[fields]), run.step("right", right, from_=[fields]))
            join = await run.step("join", lambda: StepResult(a.value + b.value, confidence=1.0), from_=[a, b])
            return join.value

        r = asyncio.run(wf.run_async(pipeline))
        self.assertEqual((r.status, r.output), ("completed", "LR"))
        steps = {s["name"]: s for s in self.stored(r.run_id)["steps"]}
        self.assertAlmostEqual(steps["join"]["cumulative"], 0.8 * 0.7 * 0.9)

    def test_a_failing_step_stops_the_run_and_the_server_stores_why(self) -> None:
        wf = self.st.workflow(fresh("failure"))

        def boom():
            raise RuntimeError("policy service down")

        r = wf.run(lambda run: run.step("lookup", boom, retry=2))
        self.assertEqual(r.status, "failed")
        detail = self.stored(r.run_id)
        self.assertEqual(detail["run"]["status"], "failed")
        step = detail["steps"][0]
        self.assertEqual((step["status"], step["attempts"], step["error"]["name"]), ("failed", 2, "RuntimeError"))
        self.assertEqual([e["message"] for e in step["attemptErrors"]], ["policy service down"])

    def test_an_invalid_confidence_fails_the_run_on_the_server_too(self) -> None:
        wf = self.st.workflow(fresh("invalid"), policy=Policy(min_confidence=0.8))
        r = wf.run(lambda run: run.step("classify", lambda: StepResult("water", confidence=85)))
        detail = self.stored(r.run_id)
        self.assertEqual(detail["run"]["status"], "failed")
        self.assertEqual(detail["steps"][0]["error"]["name"], "InvalidConfidence")
        self.assertIn("85", detail["steps"][0]["error"]["message"])

    def test_an_escalation_pauses_the_run_with_its_contract_and_gate_recorded(self) -> None:
        schema = {"type": "object", "required": ["policy_no"], "properties": {"policy_no": {"type": "string"}}}
        wf = self.st.workflow(fresh("contract"))
        ran = []

        def pipeline(run: Run):
            run.step("extract", lambda: StepResult({"amount": 3}, confidence=0.99), schema=schema)
            ran.append("after")

        r = wf.run(pipeline)
        self.assertEqual((r.status, r.escalation.kinds, ran), ("escalated", ("contract",), []))
        detail = self.stored(r.run_id)
        self.assertEqual((detail["run"]["status"], detail["run"]["stopStepId"]), ("paused", r.escalation.step_id))
        gate = detail["steps"][0]["gate"]
        self.assertEqual((gate["outcome"], gate["kinds"]), ("escalate", ["contract"]))
        self.assertIn("policy_no", gate["issues"][0]["message"])
        events = self.server.events(r.run_id)
        self.assertEqual([e["contract"] for e in events if e and "contract" in e], [{"jsonSchema": schema}])

    def test_the_context_manager_and_decorator_forms(self) -> None:
        wf = self.st.workflow(fresh("forms"))
        with wf.start(input={"n": 2}) as run:
            doubled = run.step("double", lambda: StepResult(run.input["n"] * 2, confidence=0.9))
            run.output = doubled.value
        self.assertEqual((run.result.status, run.result.output), ("completed", 4))

        @wf.runner(key=lambda n: f"n-{n}-{uuid.uuid4().hex[:6]}")
        def square(run: Run, n: int) -> int:
            return run.step("square", lambda: StepResult(n * n, confidence=1.0)).value

        r = square(7)
        self.assertEqual((r.status, r.output), ("completed", 49))
        self.assertEqual(self.stored(r.run_id)["run"]["output"], 49)

        with wf.start() as run:
            raise ValueError("between steps")
        self.assertEqual((run.result.status, run.result.failure.error["name"]), ("failed", "ValueError"))


class WrongKey(unittest.TestCase):
    def test_a_wrong_key_is_told_once_and_the_report_says_nothing_was_delivered(self) -> None:
        server = support.server()
        log = ListHandler()
        problems = []
        st = Seamtrace(server.url, "st_wrong", logger=log.logger, on_error=problems.append, shutdown_at_exit=None)
        wf = st.workflow(fresh("wrong-key"))
        for _ in range(3):
            self.assertEqual(wf.run(lambda run: run.step("a", lambda: StepResult(1, confidence=0.9)).value).status, "completed")
        report = st.shutdown(timeout=10)
        self.assertEqual(report.delivered, 0)
        self.assertEqual(report.undelivered.get("http_401"), 9)
        self.assertEqual(sum(1 for p in problems if p.cause == "auth"), 1)
        self.assertEqual(len([line for line in log.lines(40) if "refused the API key" in line]), 1)


if __name__ == "__main__":
    unittest.main()
