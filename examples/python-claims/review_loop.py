#!/usr/bin/env python3
"""The review loop with the Python claims example:

    python3 examples/python-claims/review_loop.py run [count]   process generated claims; list escalations
    python3 examples/python-claims/review_loop.py resume         resume every run whose review has arrived

Reads SEAMTRACE_ENDPOINT (default http://localhost:7077) and SEAMTRACE_API_KEY. Prints one JSON
object per line, then the client's delivery report on stderr.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import sys

try:
    import seamtrace  # noqa: F401  (installed with pip install ./sdk-python)
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk-python", "src"))

from claims import claims_workflow, generate, pipeline  # noqa: E402
from seamtrace import Seamtrace  # noqa: E402


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "run"
    if mode not in ("run", "resume") or not os.environ.get("SEAMTRACE_API_KEY"):
        print("usage: SEAMTRACE_API_KEY=st_... review_loop.py run [count] | resume", file=sys.stderr)
        return 2
    st = Seamtrace()
    claims = claims_workflow(st)
    if mode == "run":
        # Seeded by the day, so running it again the same day replays the same claims (same keys).
        seed = int(datetime.date.today().strftime("%Y%m%d"))
        for email in generate(seed, int(sys.argv[2]) if len(sys.argv) > 2 else 20):
            r = asyncio.run(claims.run_async(pipeline, input=email, key=email["message_id"]))
            esc = {"id": r.escalation.id, "step": r.escalation.step, "kinds": list(r.escalation.kinds)} if r.escalation else None
            print(json.dumps({"runId": r.run_id, "status": r.status, "route": r.output, "escalation": esc}), flush=True)
    else:
        # One pass over the reviews waiting for a worker; a long-lived worker would keep it running.
        seen = set()

        @st.on_resolved(poll_interval=0.5)
        def resume(review) -> None:
            if review["workflow"] == claims.name and review["runId"] not in seen:
                seen.add(review["runId"])
                r = asyncio.run(claims.resume_async(review["runId"], pipeline))
                print(json.dumps({"runId": r.run_id, "status": r.status, "route": r.output, "decision": review["decision"]}), flush=True)

        # The server lists a run until its resume is claimed: two complete polls see every review
        # that was waiting when the script started.
        resume.wait(polls=2, timeout=60)
        resume.stop(wait=30)
    print(st.shutdown(timeout=10), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
