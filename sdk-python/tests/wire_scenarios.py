#!/usr/bin/env python3
"""The wire-format scenarios of ``test/contract/python-wire.test.ts``, through the Python SDK. The
TypeScript side runs the same ones; the test compares what the server stored for each.

    wire_scenarios.py run            runs every scenario; prints {scenario: {runId, escalationId?}}
    wire_scenarios.py resume RUN_ID  resumes the reviewed escalation scenario; prints its status

Reads SEAMTRACE_ENDPOINT and SEAMTRACE_API_KEY.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from seamtrace import AsyncRun, Policy, Retry, Run, Seamtrace, StepResult  # noqa: E402

OBSERVED = "2026-01-01T00:00:00.000Z"


class TransientError(Exception):
    pass


def chain(run: Run):
    a = run.step("extract", lambda: StepResult({"policyNo": "PX-1", "amount": 1200}, confidence=0.9, reasoning="matched"), input={"email": "e1"})
    b = run.step("classify", lambda: StepResult("water", confidence=0.8, alternatives=["flood"]), from_=[a], input=a.value)
    c = run.step("reserve", lambda: StepResult(1200, confidence=0.7, features={"amount": 1200, "kind": "water"}), from_=[b])
    return c.value


def diamond(run: Run):
    a = run.step("extract", lambda: StepResult({"n": 1}, confidence=0.9))
    b = run.step("classify", lambda: StepResult("water", confidence=0.8), from_=[a])
    c = run.step("match-policy", lambda: {"policyNo": "PX-1", "active": True}, from_=[a], source="direct", observed_at=OBSERVED, max_age=10**9)
    d = run.step("reserve", lambda: StepResult(1200, confidence=0.6), from_=[b, c])
    return d.value


async def parallel(run: AsyncRun):
    a = await run.step("extract", lambda: StepResult({"n": 2}, confidence=0.95))

    async def left():
        return StepResult("L", confidence=0.9)

    async def right():
        return StepResult("R", confidence=0.85)

    b, c = await asyncio.gather(run.step("left", left, from_=[a]), run.step("right", right, from_=[a]))
    d = await run.step("join", lambda: StepResult(b.value + c.value, confidence=0.99), from_=[b, c])
    return d.value


def escalation(run: Run):
    fields = run.step("extract", lambda: StepResult({"amount": 4000}, confidence=0.95), input="storm tore the roof")
    kind = run.step("classify", lambda: StepResult("storm", confidence=0.41, alternatives=["flood", "fire"]), from_=[fields])
    reserve = run.step("reserve", lambda: StepResult(f"{kind.value}:{fields.value['amount'] * 2}", confidence=0.9), from_=[kind])
    return reserve.value


def flag(run: Run):
    a = run.step("route", lambda: StepResult("fast-lane", confidence=0.5))
    b = run.step("notify", lambda: StepResult("sent", confidence=0.9), from_=[a])
    return b.value


def retries(run: Run):
    tries = []

    def flaky():
        tries.append(1)
        if len(tries) < 3:
            raise TransientError(f"attempt {len(tries)} timed out")
        return StepResult("ok", confidence=0.9)

    return run.step("fetch", flaky, retry=Retry(attempts=3)).value


def failure(run: Run):
    a = run.step("extract", lambda: StepResult(1, confidence=0.9))

    def down():
        raise TransientError("service down")

    run.step("lookup", down, from_=[a], retry=2)


def invalid(run: Run):
    a = run.step("extract", lambda: StepResult({"amount": 1200}, confidence=0.9))
    b = run.step("classify", lambda: StepResult("water", confidence=85), from_=[a])
    return b.value


def unscored(run: Run):
    a = run.step("extract", lambda: StepResult({"policyNo": "PX-1"}, confidence=0.9))
    b = run.step("match-policy", lambda: StepResult({"active": True}), from_=[a], source="direct")
    return b.value


def main() -> None:
    st = Seamtrace(logger=False, shutdown_at_exit=None)
    wfs = {
        "chain": st.workflow("wire-chain", version="3"),
        "diamond": st.workflow("wire-diamond"),
        "parallel": st.workflow("wire-parallel"),
        "escalation": st.workflow("wire-escalation", policy=Policy(min_confidence=0.6)),
        "flag": st.workflow("wire-flag", policy=Policy(min_confidence=0.8, on_low="flag")),
        "retries": st.workflow("wire-retries"),
        "failure": st.workflow("wire-failure"),
        "invalid": st.workflow("wire-invalid"),
        "unscored": st.workflow("wire-unscored", policy=Policy(require_confidence=True)),
    }
    out = {}
    if sys.argv[1] == "run":
        for name, fn in (("chain", chain), ("diamond", diamond), ("escalation", escalation), ("flag", flag), ("retries", retries), ("failure", failure), ("invalid", invalid), ("unscored", unscored)):
            r = wfs[name].run(fn, input={"scenario": name})
            out[name] = {"runId": r.run_id, "status": r.status, "escalationId": r.escalation.id if r.escalation else None}
        r = asyncio.run(wfs["parallel"].run_async(parallel, input={"scenario": "parallel"}))
        out["parallel"] = {"runId": r.run_id, "status": r.status, "escalationId": None}
    else:
        r = wfs["escalation"].resume(sys.argv[2], escalation)
        out = {"runId": r.run_id, "status": r.status, "output": r.output}
    report = st.shutdown(timeout=15)
    if report.undelivered:
        raise SystemExit(f"undelivered: {report}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
