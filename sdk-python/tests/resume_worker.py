"""One worker of the resume-lease tests (test_server_resume.KilledResumer), in its own process.

    resume_worker.py <endpoint> <api key> <workflow> hang <run id>
        resumes the run and stops for good inside "pay", after what it did before is delivered
        (prints ``in pay``), so the test can kill -9 it mid-run;
    resume_worker.py <endpoint> <api key> <workflow> on_resolved
        resumes whatever review ``st.on_resolved`` offers, then prints its result.

Every call of a step function prints ``call <step>``; the outcome prints ``result <json>``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Callable, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from seamtrace import Policy, Run, Seamtrace, StepResult  # noqa: E402

POLICY = Policy(min_confidence=0.6)


def pipeline(say: Callable[[str], None], before: Optional[Callable[[str], None]] = None) -> Callable[[Run], str]:
    """extract → classify (unsure: escalates) → enrich → pay → notify."""

    def body(run: Run) -> str:
        def step(name: str, fn: Callable[[], StepResult]) -> Callable[[], StepResult]:
            def call() -> StepResult:
                say(f"call {name}")
                if before is not None:
                    before(name)
                return fn()
            return call

        fields = run.step("extract", step("extract", lambda: StepResult({"amount": 4000}, confidence=0.95)))
        kind = run.step("classify", step("classify", lambda: StepResult("storm", confidence=0.41)), from_=[fields])
        extra = run.step("enrich", step("enrich", lambda: StepResult(f"{kind.value}+photos", confidence=0.9)), from_=[kind])
        paid = run.step("pay", step("pay", lambda: StepResult(f"paid {extra.value}", confidence=0.9)), from_=[extra])
        run.step("notify", step("notify", lambda: StepResult("sent", confidence=0.9)), from_=[paid])
        return paid.value  # type: ignore[no-any-return]

    return body


def main() -> None:
    endpoint, api_key, workflow, mode = sys.argv[1:5]
    st = Seamtrace(endpoint, api_key, flush_interval=0.05, shutdown_at_exit=None)
    wf = st.workflow(workflow, policy=POLICY)

    def say(line: str) -> None:
        print(line, flush=True)

    if mode == "hang":
        def hang_in_pay(name: str) -> None:
            if name != "pay":
                return
            st.flush(timeout=30)  # what this worker did so far is on the server
            say("in pay")
            threading.Event().wait()  # and here it stays until it is killed

        wf.resume(sys.argv[5], pipeline(say, hang_in_pay))
        return

    done = threading.Event()

    @st.on_resolved(poll_interval=0.2)
    def handle(review) -> None:  # type: ignore[no-untyped-def]
        result = wf.resume(review["runId"], pipeline(say))
        say("result " + json.dumps({"runId": review["runId"], "status": result.status, "output": result.output}))
        if result.status == "completed":
            done.set()

    done.wait(120)
    handle.stop()
    st.shutdown(timeout=30)


if __name__ == "__main__":
    main()
