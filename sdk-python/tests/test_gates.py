"""Confidence validation, cumulative confidence and the gates, without a server."""

from __future__ import annotations

import math
import unittest
from decimal import Decimal
from fractions import Fraction

import support  # noqa: F401  (puts src/ on the path)
from seamtrace import InvalidConfidence, Policy, Seamtrace, StepResult, cumulative_confidence, failed_gates, gate_outcome
from seamtrace.policy import as_policy, sampled
from seamtrace.step import valid_confidence
from support import ListHandler, Recorder


def client(rec: Recorder, **kw) -> Seamtrace:
    return Seamtrace("http://collector.test", "st_test", request=rec, logger=ListHandler().logger, shutdown_at_exit=None, **kw)


class ConfidenceValidation(unittest.TestCase):
    def test_accepts_finite_numbers_in_the_unit_interval(self) -> None:
        for c in (0, 1, 0.0, 0.5, 1.0, Fraction(1, 2)):
            self.assertEqual(valid_confidence(c), float(c))
        self.assertIsNone(valid_confidence(None))

    def test_refuses_everything_else_and_names_the_value_as_the_typescript_sdk_does(self) -> None:
        cases = [(1.7, "1.7"), (85, "85"), (-0.2, "-0.2"), (math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"),
                 ("0.9", '"0.9"'), ("high", '"high"'), (True, "true"), (False, "false"), ([0.5], "[0.5]"), (Decimal("0.5"), "Decimal('0.5')"), ({}, "{}")]
        for c, shown in cases:
            with self.assertRaises(InvalidConfidence) as caught:
                valid_confidence(c)
            self.assertEqual(InvalidConfidence(c, "extract").args[0].split(":")[0], f'step "extract" returned confidence {shown}')
            self.assertIn(shown, str(caught.exception))
        self.assertIn("a percentage? divide by 100", str(InvalidConfidence(85, "extract")))


class Lineage(unittest.TestCase):
    def test_a_shared_ancestor_in_a_diamond_counts_once(self) -> None:
        rec = Recorder()
        st = client(rec)
        wf = st.workflow("lineage")

        def pipeline(run):
            a = run.step("a", lambda: StepResult(1, confidence=0.9))
            b = run.step("b", lambda: StepResult(2, confidence=0.8), from_=[a])
            c = run.step("c", lambda: StepResult(3, confidence=0.5), from_=[a])
            d = run.step("d", lambda: StepResult(4, confidence=0.7), from_=[b, c])
            return d

        out = wf.run(pipeline).output
        self.assertAlmostEqual(out.cumulative, 0.7 * 0.8 * 0.5 * 0.9)
        st.shutdown(timeout=2)

    def test_unscored_steps_are_neutral_and_human_outputs_rebase(self) -> None:
        class Node:
            def __init__(self, sid, confidence, source="inferred", parents=()):
                self.step_id, self.confidence, self.source, self.parents = sid, confidence, source, list(parents)
                self.cumulative = cumulative_confidence(confidence, source, self.parents)

        a = Node("a", 0.5)
        u = Node("u", None, parents=[a])
        h = Node("h", 1.0, "human", [a])
        self.assertEqual(u.cumulative, 0.5)
        self.assertEqual(cumulative_confidence(0.8, "inferred", [u, a]), 0.8 * 0.5)
        self.assertEqual(cumulative_confidence(0.8, "inferred", [h, u]), 0.8 * 0.5)  # a counted once, through u
        self.assertEqual(cumulative_confidence(0.8, "inferred", [h]), 0.8)


class Gates(unittest.TestCase):
    def test_failed_gates_in_evaluation_order(self) -> None:
        rule = Policy(min_confidence=0.8, min_cumulative=0.5)
        self.assertEqual(failed_gates(rule, 0.6, 0.4, True, True), ["contract", "confidence", "cumulative", "stale"])
        self.assertIsNone(failed_gates(rule, 0.9, 0.9, False, False))

    def test_unscored_passes_min_confidence_but_not_require_confidence(self) -> None:
        self.assertIsNone(failed_gates(Policy(min_confidence=0.8), None, 1.0, False, False))
        self.assertEqual(failed_gates(Policy(min_confidence=0.8, require_confidence=True), None, 1.0, False, False), ["unscored"])

    def test_a_contract_violation_escalates_even_on_a_flag_path(self) -> None:
        self.assertEqual(gate_outcome(Policy(on_low="flag"), ["contract"]), "escalate")
        self.assertEqual(gate_outcome(Policy(on_low="flag"), ["confidence"]), "flag")
        self.assertEqual(gate_outcome(Policy(), ["confidence"]), "escalate")

    def test_policies_refuse_typos_and_out_of_range_values(self) -> None:
        self.assertEqual(as_policy({"minConfidence": 0.8, "on_low": "flag"}), Policy(min_confidence=0.8, on_low="flag"))
        for bad in ({"min_confidense": 0.8}, {"min_confidence": 80}, {"on_low": "stop"}, {"require_confidence": 1}):
            with self.assertRaises(ValueError):
                as_policy(bad)

    def test_sampling_draws_nothing_for_rates_zero_and_one(self) -> None:
        def draw() -> float:
            raise AssertionError("drew")

        self.assertFalse(sampled(0, draw))
        self.assertTrue(sampled(1, draw))
        self.assertFalse(sampled(0.5, lambda: float("nan")))


class StepOutcomes(unittest.TestCase):
    """What a run records and returns, checked on the events it would send."""

    def setUp(self) -> None:
        self.rec = Recorder()
        self.st = client(self.rec)

    def tearDown(self) -> None:
        self.st.shutdown(timeout=2)

    def sent(self):
        self.st.flush(timeout=5)
        return self.rec.events()

    def test_an_invalid_confidence_fails_the_step_and_the_run_says_why(self) -> None:
        wf = self.st.workflow("conf", policy=Policy(min_confidence=0.8))
        calls = []

        def pipeline(run):
            run.step("classify", lambda: StepResult("water", confidence=1.7))
            calls.append("after")

        r = wf.run(pipeline)
        self.assertEqual(r.status, "failed")
        self.assertEqual(r.failure.error["name"], "InvalidConfidence")
        self.assertTrue(r.failure.error["message"].startswith('step "classify" returned confidence 1.7: '), r.failure.error)
        self.assertEqual(r.failure.step, "classify")
        self.assertEqual(calls, [])
        kinds = [e["type"] for e in self.sent()]
        self.assertEqual(kinds, ["run.started", "step.failed", "run.failed"])

    def test_a_step_without_confidence_is_unscored_on_the_wire_and_passes_min_confidence(self) -> None:
        wf = self.st.workflow("unscored", policy=Policy(min_confidence=0.8))
        r = wf.run(lambda run: run.step("lookup", lambda: {"policy": "PX"}).confidence)
        self.assertEqual(r.status, "completed")
        self.assertIsNone(r.output)
        step = [e for e in self.sent() if e["type"] == "step.completed"][0]
        self.assertNotIn("confidence", step)
        self.assertEqual(step["gate"]["outcome"], "pass")

    def test_require_confidence_escalates_an_unscored_step_with_kind_unscored(self) -> None:
        wf = self.st.workflow("unscored-required", policy=Policy(require_confidence=True))
        after = []

        def pipeline(run):
            run.step("lookup", lambda: "PX")
            after.append(1)

        r = wf.run(pipeline)
        self.assertEqual(r.status, "escalated")
        self.assertEqual(r.escalation.kinds, ("unscored",))
        self.assertEqual(after, [])
        step = [e for e in self.sent() if e["type"] == "step.completed"][0]
        self.assertEqual(step["gate"]["kinds"], ["unscored"])
        self.assertEqual(step["escalationId"], r.escalation.id)

    def test_flag_goes_on_and_marks_everything_downstream(self) -> None:
        wf = self.st.workflow("flag", policy=Policy(min_confidence=0.8, on_low="flag"))

        def pipeline(run):
            a = run.step("a", lambda: StepResult(1, confidence=0.5))
            b = run.step("b", lambda: StepResult(2, confidence=0.9), from_=[a])
            return b.flagged

        r = wf.run(pipeline)
        self.assertEqual((r.status, r.output), ("completed", True))
        steps = {e["step"]: e for e in self.sent() if e["type"] == "step.completed"}
        self.assertEqual(steps["a"]["gate"]["outcome"], "flag")
        self.assertIn("escalationId", steps["a"])
        self.assertTrue(steps["b"]["flagged"])

    def test_a_step_policy_in_code_overrides_the_workflow_policy_field_by_field(self) -> None:
        wf = self.st.workflow("layers", policy=Policy(min_confidence=0.9, on_low="escalate"), steps={"b": {"on_low": "flag"}})

        def pipeline(run):
            run.step("b", lambda: StepResult(1, confidence=0.5))
            return run.step("c", lambda: StepResult(1, confidence=0.95), policy=Policy(min_confidence=0.99)).value

        r = wf.run(pipeline)
        self.assertEqual(r.status, "escalated")
        self.assertEqual(r.escalation.step, "c")

    def test_stale_data_fails_its_gate(self) -> None:
        wf = self.st.workflow("stale")
        r = wf.run(lambda run: run.step("read", lambda: StepResult(1, confidence=1.0, observed_at="2020-01-01T00:00:00Z"), max_age=3600))
        self.assertEqual((r.status, r.escalation.kinds), ("escalated", ("stale",)))

    def test_retries_record_earlier_errors_and_a_final_failure_stops_the_run(self) -> None:
        wf = self.st.workflow("retries")
        tries = []

        def flaky():
            tries.append(1)
            if len(tries) < 3:
                raise ConnectionError(f"try {len(tries)}")
            return StepResult("ok", confidence=0.9)

        r = wf.run(lambda run: run.step("fetch", flaky, retry=3).value)
        self.assertEqual((r.status, r.output), ("completed", "ok"))
        step = [e for e in self.sent() if e["type"] == "step.completed"][0]
        self.assertEqual(step["attempt"], 3)
        self.assertEqual([e["message"] for e in step["attemptErrors"]], ["try 1", "try 2"])

        def broken():
            raise KeyError("policy")

        r = wf.run(lambda run: run.step("fetch", broken, retry=2))
        self.assertEqual((r.status, r.failure.attempts, r.failure.error["name"]), ("failed", 2, "KeyError"))

    def test_a_step_that_times_out_is_retried_then_fails(self) -> None:
        import time as _time

        wf = self.st.workflow("timeouts")
        r = wf.run(lambda run: run.step("slow", lambda ctx: _time.sleep(2) or 1, timeout=0.05, retry=2))
        self.assertEqual((r.status, r.failure.error["name"], r.failure.attempts), ("failed", "StepTimeout", 2))

    def test_user_code_that_swallows_a_stop_cannot_run_more_steps(self) -> None:
        wf = self.st.workflow("swallow", policy=Policy(min_confidence=0.8))
        ran = []

        def pipeline(run):
            try:
                run.step("a", lambda: StepResult(1, confidence=0.1))
            except Exception:
                pass
            run.step("b", lambda: ran.append(1))

        r = wf.run(pipeline)
        self.assertEqual((r.status, ran), ("escalated", []))


if __name__ == "__main__":
    unittest.main()
