"""examples/python-claims, command by command as its README walks through it, on a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unittest

import support
from support import REPO_ROOT

SCRIPT = os.path.join(REPO_ROOT, "examples", "python-claims", "review_loop.py")


class ClaimsExample(unittest.TestCase):
    def loop(self, *args: str):
        server = support.server()
        env = {"PATH": os.environ.get("PATH", ""), "SEAMTRACE_ENDPOINT": server.url, "SEAMTRACE_API_KEY": server.api_key}
        out = subprocess.run([sys.executable, SCRIPT, *args], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("undelivered 0", out.stderr)
        return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]

    def test_unsure_claims_escalate_and_resume_once_after_review(self) -> None:
        server = support.server()
        first = self.loop("run", "30")
        escalated = [line for line in first if line["status"] == "escalated"]
        self.assertEqual(len(first), 30)
        self.assertGreater(len(escalated), 0)
        self.assertTrue(all(line["route"] in ("auto", "adjuster") for line in first if line["status"] == "completed"))
        # The same claims again (same keys): nothing waiting on a review runs again.
        again = self.loop("run", "30")
        self.assertEqual([(x["runId"], x["status"]) for x in again], [(x["runId"], x["status"]) for x in first])

        for i, line in enumerate(escalated):
            esc = line["escalation"]
            if esc["step"] == "classify":
                server.review(esc["id"], "correct", "water" if i % 2 else "storm")
            else:
                server.review(esc["id"], "reject", reason="no policy number")
        resumed = self.loop("resume")
        self.assertEqual(sorted(x["runId"] for x in resumed), sorted(x["runId"] for x in escalated))
        for x in resumed:
            self.assertEqual(x["status"], "failed" if x["decision"] == "reject" else "completed", x)
        self.assertEqual(self.loop("resume"), [])  # each run resumes once


if __name__ == "__main__":
    unittest.main()
