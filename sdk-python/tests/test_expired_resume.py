"""Resuming a run whose escalation nobody decided in time (``onExpiry: "accept-flagged"``): the
server settles it as an accept marked ``flagged``; the run goes on with the model's own output,
flagged, and so is everything downstream. Never passed off as a reviewer's output."""

from __future__ import annotations

import json
import unittest
from typing import Any, Dict, List

import support  # noqa: F401  (puts src/ on the path)
from seamtrace import Run, Seamtrace, StepResult
from seamtrace.http import Response
from support import ListHandler, Recorder, accept_all

RUN_ID = "0190a000-0000-7000-8000-0000000000cc"
STEP_ID = "0190a000-0000-7000-8000-00000000c1a6"
ESC_ID = "0190a000-0000-7000-8000-00000000e5c3"


def state(flagged: bool) -> Dict[str, Any]:
    esc: Dict[str, Any] = {"id": ESC_ID, "stepId": STEP_ID, "step": "classify", "status": "resolved", "decision": "accept",
                           "output": "storm", "reason": None, "resumedAt": None}
    if flagged:
        esc["flagged"] = True
    return {
        "run": {"id": RUN_ID, "workflow": "claims", "version": "1", "key": None, "status": "paused", "input": "roof"},
        "steps": [{"stepId": STEP_ID, "name": "classify", "status": "completed", "output": "storm", "confidence": 0.41, "cumulative": 0.41,
                   "source": "inferred", "stale": False, "flagged": False, "parents": [], "escalationId": ESC_ID, "gated": True, "call": 0}],
        "escalation": esc,
    }


def serving(st: Dict[str, Any]):
    def answer(method: str, url: str, events: List[Dict[str, Any]]) -> Response:
        if url.endswith(f"/v1/runs/{RUN_ID}/state"):
            return Response(200, {}, json.dumps(st).encode())
        if url.endswith(f"/v1/runs/{RUN_ID}/resume"):
            return Response(200, {}, json.dumps({"claimed": True, "state": st}).encode())
        return accept_all(method, url, events)
    return answer


class ExpiredResume(unittest.TestCase):
    def resume(self, flagged: bool):
        rec = Recorder(serving(state(flagged)))
        st = Seamtrace("http://collector.test", "st_test", request=rec, logger=ListHandler().logger, shutdown_at_exit=None)
        calls: List[str] = []
        seen: Dict[str, Any] = {}

        def pipeline(run: Run) -> str:
            def classify() -> StepResult:
                calls.append("classify")
                return StepResult("never", confidence=0.9)
            kind = run.step("classify", classify)
            seen["classify"] = (kind.value, kind.source, kind.flagged)
            reserve = run.step("reserve", lambda: StepResult(f"{kind.value}:1100", confidence=0.9), from_=[kind])
            seen["reserve"] = reserve.flagged
            return reserve.value

        result = st.workflow("claims", version="1").resume(RUN_ID, pipeline)
        st.shutdown()
        return result, calls, seen, rec.events()

    def test_goes_on_with_the_models_output_flagged_and_flags_what_follows(self) -> None:
        result, calls, seen, events = self.resume(flagged=True)
        self.assertEqual((result.status, result.output), ("completed", "storm:1100"))
        self.assertEqual(calls, [])
        self.assertEqual(seen, {"classify": ("storm", "inferred", True), "reserve": True})
        # No human step is reported for classify: nobody checked it.
        self.assertEqual([e for e in events if e.get("type") == "step.completed" and e.get("step") == "classify"], [])

    def test_an_accept_by_a_person_stays_human_verified(self) -> None:
        result, _, seen, _ = self.resume(flagged=False)
        self.assertEqual(result.status, "completed")
        self.assertEqual(seen, {"classify": ("storm", "human", False), "reserve": False})


if __name__ == "__main__":
    unittest.main()
