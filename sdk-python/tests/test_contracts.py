"""Seam contracts: callable validators always; JSON Schema and Pydantic when those packages are
installed (CI installs Debian's python3-jsonschema and python3-pydantic)."""

from __future__ import annotations

import sys
import unittest
from typing import Any, Dict, List

import support  # noqa: F401
from seamtrace import Seamtrace, StepResult, check_contract
from support import ListHandler, Recorder

try:
    import jsonschema  # noqa: F401

    HAVE_JSONSCHEMA = True
except ImportError:
    HAVE_JSONSCHEMA = False
try:
    import pydantic

    HAVE_PYDANTIC = True
except ImportError:
    HAVE_PYDANTIC = False


class Contracts(unittest.TestCase):
    def setUp(self) -> None:
        self.rec = Recorder()
        self.st = Seamtrace("http://collector.test", "st_test", request=self.rec, logger=ListHandler().logger, shutdown_at_exit=None)

    def tearDown(self) -> None:
        self.st.shutdown(timeout=2)

    def steps(self) -> List[Dict[str, Any]]:
        self.st.flush(timeout=5)
        return [e for e in self.rec.events() if e["type"].startswith("step.")]

    def test_callable_validators_in_all_their_forms(self) -> None:
        def raises(v: Any) -> None:
            raise ValueError("amount must be positive")

        self.assertIsNone(check_contract(lambda v: None, 1))
        self.assertIsNone(check_contract(lambda v: True, 1))
        self.assertEqual(check_contract(lambda v: False, 1), [{"message": "invalid"}])
        self.assertEqual(check_contract(lambda v: "too small", 1), [{"message": "too small"}])
        self.assertEqual(check_contract(lambda v: [{"message": "bad", "path": ["a", 0]}, "worse"], 1),
                         [{"message": "bad", "path": ["a", 0]}, {"message": "worse"}])
        self.assertEqual(check_contract(raises, 1), [{"message": "amount must be positive"}])

    def test_a_violation_escalates_even_on_a_flag_path_and_the_value_is_not_handed_on(self) -> None:
        wf = self.st.workflow("contracts", policy={"on_low": "flag"})
        after: List[int] = []

        def pipeline(run):
            run.step("extract", lambda: StepResult({"amount": -1}, confidence=0.99), schema=lambda v: v["amount"] > 0)
            after.append(1)

        r = wf.run(pipeline)
        self.assertEqual((r.status, r.escalation.kinds, after), ("escalated", ("contract",), []))

    @unittest.skipUnless(HAVE_JSONSCHEMA, "jsonschema is not installed")
    def test_json_schema_contracts_are_checked_and_described_once(self) -> None:
        schema = {"type": "object", "required": ["policy_no"], "properties": {"policy_no": {"type": "string"}}}
        wf = self.st.workflow("json-schema")
        ok = wf.run(lambda run: run.step("extract", lambda: StepResult({"policy_no": "PX"}, confidence=0.9), schema=schema).value)
        again = wf.run(lambda run: run.step("extract", lambda: StepResult({"policy_no": "PY"}, confidence=0.9), schema=schema).value)
        bad = wf.run(lambda run: run.step("extract", lambda: StepResult({"policy_no": 7}, confidence=0.9), schema=schema))
        self.assertEqual((ok.status, again.status, bad.status), ("completed", "completed", "escalated"))
        steps = self.steps()
        self.assertEqual([("contract" in s) for s in steps], [True, False, False])
        self.assertEqual(steps[2]["gate"]["issues"][0]["path"], ["policy_no"])

    def test_a_json_schema_without_jsonschema_installed_fails_the_step_and_says_so(self) -> None:
        saved = sys.modules.get("jsonschema")
        sys.modules["jsonschema"] = None  # type: ignore[assignment]  # import now raises ImportError
        try:
            r = self.st.workflow("no-jsonschema").run(lambda run: run.step("extract", lambda: StepResult({}, confidence=0.9), schema={"type": "object"}))
        finally:
            if saved is None:
                del sys.modules["jsonschema"]
            else:
                sys.modules["jsonschema"] = saved
        self.assertEqual((r.status, r.failure.error["name"]), ("failed", "ContractUnavailable"))
        self.assertIn("pip install jsonschema", r.failure.error["message"])

    @unittest.skipUnless(HAVE_PYDANTIC, "pydantic is not installed")
    def test_pydantic_models_are_checked_and_describe_themselves(self) -> None:
        class Claim(pydantic.BaseModel):
            policy_no: str
            amount: float

        wf = self.st.workflow("pydantic")
        ok = wf.run(lambda run: run.step("extract", lambda: StepResult({"policy_no": "PX", "amount": 3}, confidence=0.9), schema=Claim))
        bad = wf.run(lambda run: run.step("extract", lambda: StepResult({"policy_no": "PX"}, confidence=0.9), schema=Claim))
        self.assertEqual((ok.status, bad.status), ("completed", "escalated"))
        first, second = self.steps()
        self.assertEqual(first["contract"]["vendor"], "pydantic")
        self.assertEqual(sorted(first["contract"]["jsonSchema"]["required"]), ["amount", "policy_no"])
        self.assertEqual(second["gate"]["issues"][0]["path"], ["amount"])


if __name__ == "__main__":
    unittest.main()
