"""Seamtrace for Python: confidence, lineage and gates at every step of a multi-step AI workflow;
low-confidence steps stop the run and go to a human reviewer, whose decision resumes it.

Standard library only. Example::

    from seamtrace import Seamtrace, Policy, StepResult

    st = Seamtrace()  # SEAMTRACE_ENDPOINT, SEAMTRACE_API_KEY
    claims = st.workflow("claims", version="1", policy=Policy(min_confidence=0.8))

    def pipeline(run):
        fields = run.step("extract", lambda: StepResult({"amount": 1200}, confidence=0.94), input=email)
        return run.step("route", lambda: StepResult("auto", confidence=0.9), from_=[fields]).value

    result = claims.run(pipeline, input=email, key=email["message_id"])
    print(result.status, st.shutdown(timeout=5))
"""

from .client import DEFAULT_ENDPOINT, Seamtrace
from .contract import check_contract
from .errors import ContractUnavailable, InvalidConfidence, ReviewRejected, RunStopped
from .http import HttpRequest, RequestFn, Response
from .ids import uuidv7
from .ledger import FlushResult, ShutdownReport
from .lineage import cumulative_confidence, is_stale
from .notices import SeamtraceProblem
from .policy import Policy, failed_gates, gate_outcome
from .run import AsyncRun, Run, StepTimeout
from .run_core import Escalation, Failure, Retry
from .spool import FileSpool, SpoolInUse
from .step import StepContext, StepHandle, StepResult
from .worker import ResolvedWorker
from .workflow import RunResult, Workflow

__version__ = "0.1.0"

__all__ = [
    "Seamtrace", "DEFAULT_ENDPOINT", "Workflow", "Run", "AsyncRun", "RunResult", "StepResult", "StepHandle", "StepContext",
    "Policy", "Retry", "Escalation", "Failure", "FileSpool", "SpoolInUse", "FlushResult", "ShutdownReport",
    "SeamtraceProblem", "InvalidConfidence", "RunStopped", "ReviewRejected", "ContractUnavailable", "StepTimeout",
    "ResolvedWorker", "HttpRequest", "RequestFn", "Response", "check_contract", "cumulative_confidence", "is_stale",
    "failed_gates", "gate_outcome", "uuidv7", "__version__",
]
