#!/usr/bin/env python3
"""Python SDK overhead: the cost of one ``run.step()`` with a trivial body against a standard
library ``logging`` call carrying the same facts (step name, run id, value, confidence) to a
handler that discards them, in the same process, rounds alternated. Target: ratio <= 3.

The SDK's cost includes its sender thread: events are serialised (and, here, "sent" to a request
function that accepts everything at once) on that thread while the steps run, competing for the
GIL, exactly as in production; the collector itself is not measured.

    python3 bench/python-sdk-overhead.py [--steps 20000] [--rounds 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk-python", "src"))

from seamtrace import Policy, Response, Seamtrace, StepResult  # noqa: E402


def accept(method: str, url: str, headers: dict, body: object, timeout: float) -> Response:
    return Response(200, {}, b'{"policies":[]}' if method == "GET" else b'{"results":[]}')


class Discard(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    n = args.steps

    common = dict(request=accept, max_buffer_events=10_000_000, gzip=False, logger=False, shutdown_at_exit=None)
    st = Seamtrace("http://127.0.0.1:1", "", **common)
    wf = st.workflow("bench")
    # As deployed: an API key, so every step asks the (empty) server policies and the code policy.
    keyed = Seamtrace("http://127.0.0.1:1", "st_bench", **common)
    keyed_wf = keyed.workflow("bench", policy=Policy(min_confidence=0.5))

    log = logging.getLogger("bench.steps")
    log.addHandler(Discard())
    log.setLevel(logging.INFO)
    log.propagate = False

    def body() -> StepResult[int]:
        return StepResult(1, confidence=0.9)

    def sdk_round(workflow, client) -> float:
        elapsed = [0]

        def pipeline(run) -> None:
            step = run.step
            t0 = time.perf_counter_ns()
            for _ in range(n):
                step("s", body)
            elapsed[0] = time.perf_counter_ns() - t0

        workflow.run(pipeline)
        client.flush(timeout=60)
        return elapsed[0] / n

    def logging_round() -> float:
        run_id = "01a24b43-4e57-749c-b2d3-f5d4b56d8bd5"
        info = log.info
        t0 = time.perf_counter_ns()
        for _ in range(n):
            r = body()
            info("step", extra={"step": "s", "run_id": run_id, "value": r.value, "confidence": r.confidence})
        return (time.perf_counter_ns() - t0) / n

    def alternate(rounds: int, a, b):
        ra, rb = [], []
        for i in range(rounds):
            if i % 2 == 0:
                ra.append(a())
                rb.append(b())
            else:
                rb.append(b())
                ra.append(a())
        return ra, rb

    plain = lambda: sdk_round(wf, st)  # noqa: E731
    with_key = lambda: sdk_round(keyed_wf, keyed)  # noqa: E731
    alternate(2, plain, logging_round)  # warm-up
    alternate(2, with_key, logging_round)
    a, b1 = alternate(args.rounds, plain, logging_round)
    k, b2 = alternate(args.rounds, with_key, logging_round)
    st.shutdown(timeout=10)
    keyed.shutdown(timeout=10)

    step, keyed_step, log_call = statistics.median(a), statistics.median(k), statistics.median(b1 + b2)
    result = {"stepNs": round(step), "keyedStepNs": round(keyed_step), "loggingNs": round(log_call),
              "ratio": round(step / log_call, 2), "keyedRatio": round(keyed_step / log_call, 2),
              "python": platform.python_version(), "steps": n, "rounds": args.rounds}
    if args.json:
        print(json.dumps(result))
        return
    print(f"Python SDK overhead ({args.rounds} rounds x {n:,} steps, median; Python {platform.python_version()})")
    print(f"  seamtrace run.step()                      {step:,.0f} ns/step")
    print(f"  logging.info() with the same fields        {log_call:,.0f} ns/call (handler discards)")
    print(f"  with an API key and a policy               {keyed_step:,.0f} ns/step (server policies looked up, gate checked)")
    print(f"  ratio step/logging  {step / log_call:.2f}; with key and policy {keyed_step / log_call:.2f}   (target <= 3)")


if __name__ == "__main__":
    main()
