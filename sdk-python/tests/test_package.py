"""The package installs offline into a fresh virtual environment with Debian's setuptools, needs
nothing at run time, and ships its type marker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

from support import SDK_ROOT

# The documented install: Debian's python3 with Debian's setuptools and wheel (python3-setuptools,
# python3-venv), no network. Another interpreter needs setuptools and wheel of its own.
BASE_PYTHON = os.environ.get("SEAMTRACE_PACKAGE_PYTHON") or ("/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable)


class Package(unittest.TestCase):
    def test_installs_offline_into_a_fresh_venv_and_runs(self) -> None:
        work = tempfile.mkdtemp(prefix="seamtrace-pkg-")
        try:
            # A copy, so the in-tree build leaves nothing behind in the source folder.
            src = os.path.join(work, "sdk-python")
            shutil.copytree(SDK_ROOT, src, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
            venv = os.path.join(work, "venv")
            subprocess.run([BASE_PYTHON, "-m", "venv", "--system-site-packages", venv], check=True, capture_output=True, timeout=120)
            py = os.path.join(venv, "bin", "python")
            pip = subprocess.run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-deps", src],
                                 capture_output=True, text=True, timeout=300)
            self.assertEqual(pip.returncode, 0, pip.stdout + pip.stderr)
            script = textwrap.dedent("""
                import json, os, seamtrace
                from seamtrace import Seamtrace, StepResult, Response
                sent = []
                def request(method, url, headers, body, timeout):
                    return Response(200, {}, b'{"policies":[]}' if method == "GET" else b'{"results":[]}')
                st = Seamtrace("http://collector.test", "st_x", request=request, shutdown_at_exit=None, logger=False)
                r = st.workflow("pkg").run(lambda run: run.step("a", lambda: StepResult(1, confidence=0.5)).value)
                report = st.shutdown(timeout=5)
                here = os.path.dirname(seamtrace.__file__)
                print(json.dumps([r.status, r.output, report.delivered, os.path.exists(os.path.join(here, "py.typed")), here]))
            """)
            out = subprocess.run([py, "-c", script], capture_output=True, text=True, timeout=60, cwd=work)
            self.assertEqual(out.returncode, 0, out.stderr)
            status, output, delivered, typed, where = __import__("json").loads(out.stdout)
            self.assertEqual((status, output, delivered, typed), ("completed", 1, 3, True))
            self.assertTrue(where.startswith(venv), where)  # the installed copy, not the source folder
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
