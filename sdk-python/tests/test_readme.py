"""The README's Python example works as pasted: run exactly that block against a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest

import support
from support import REPO_ROOT, SDK_ROOT


class ReadmeExample(unittest.TestCase):
    def test_the_python_section_runs_as_pasted(self) -> None:
        with open(os.path.join(REPO_ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        block = re.search(r"<!-- python-quickstart:start -->\s*```python\n(.*?)```\s*<!-- python-quickstart:end -->", readme, re.S)
        self.assertIsNotNone(block, "README has no Python block between the markers")
        server = support.server()
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.path.join(SDK_ROOT, "src"),
               "SEAMTRACE_ENDPOINT": server.url, "SEAMTRACE_API_KEY": server.api_key}
        out = subprocess.run([sys.executable, "-c", block.group(1)], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "completed delivered 4, undelivered 0")
        self.assertEqual(out.stderr, "")  # nothing to tell: key accepted, everything delivered


if __name__ == "__main__":
    unittest.main()
