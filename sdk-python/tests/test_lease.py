"""The resume lease and the run recorder on their own, with a fake clock: when a claim counts as
lost, and which epoch and positions a run's events carry."""

from __future__ import annotations

import unittest
from typing import Any, Dict, List

from support import FakeClock, ListHandler  # first: it puts the SDK's source on the path
from seamtrace.lease import ResumeLease
from seamtrace.notices import Notifier
from seamtrace.recorder import RunRecorder, WonClaim


class Lease(unittest.TestCase):
    def setUp(self) -> None:
        self.clock = FakeClock(100.0)
        self.answers: List[str] = []
        self.lost: List[str] = []
        self.problems: List[Any] = []
        self.lease = ResumeLease(self.renew, 30.0, 100.0, self.lost.append, Notifier(ListHandler().logger, self.problems.append), "run-1", clock=self.clock)

    def renew(self) -> str:
        return self.answers.pop(0)

    def test_it_is_held_until_the_lease_has_passed_without_a_successful_renewal(self) -> None:
        self.clock.advance(29.9)
        self.assertTrue(self.lease.held())
        self.clock.advance(0.1)
        self.assertFalse(self.lease.held())
        self.assertEqual(len(self.lost), 1)
        self.assertEqual([p.cause for p in self.problems], ["lease:run-1"])

    def test_a_renewal_extends_it_from_when_the_renewal_was_sent(self) -> None:
        self.clock.advance(10)
        self.answers.append("renewed")
        self.assertTrue(self.lease._tick())
        self.clock.advance(29.9)  # 39.9 s after the claim, 29.9 s after the renewal
        self.assertTrue(self.lease.held())
        self.clock.advance(0.1)
        self.assertFalse(self.lease.held())

    def test_unanswered_renewals_keep_it_until_the_deadline_and_no_longer(self) -> None:
        self.clock.advance(10)
        self.answers += ["unreachable", "unreachable"]
        self.assertTrue(self.lease._tick())
        self.clock.advance(10)
        self.assertTrue(self.lease._tick())
        self.assertEqual(self.lost, [])
        self.clock.advance(10)
        self.assertFalse(self.lease.held())
        self.assertEqual(len(self.lost), 1)

    def test_a_refused_renewal_loses_it_at_once_and_tells_once(self) -> None:
        self.clock.advance(10)
        self.answers.append("lost")
        self.assertFalse(self.lease._tick())
        self.assertFalse(self.lease.held())
        self.assertFalse(self.lease.held())
        self.assertEqual(len(self.lost), 1)
        self.assertIn("refused", self.lost[0])
        self.assertEqual([p.cause for p in self.problems], ["lease:run-1"])

    def test_a_stopped_lease_is_never_lost_and_renews_no_more(self) -> None:
        self.lease.stop()
        self.clock.advance(1000)
        self.assertTrue(self.lease.held())
        self.assertFalse(self.lease._tick())
        self.assertEqual(self.lost, [])


class Recorder(unittest.TestCase):
    def record(self, recorder: RunRecorder) -> List[Dict[str, Any]]:
        for _ in range(3):
            recorder.emit({"type": "step.failed"})
        return self.sent

    def setUp(self) -> None:
        self.sent: List[Dict[str, Any]] = []

    def test_a_new_run_is_epoch_0_and_numbers_its_events_from_0(self) -> None:
        events = self.record(RunRecorder(self.sent.append, None, None, None))
        self.assertEqual([(e["epoch"], e["epochSeq"]) for e in events], [(0, 0), (0, 1), (0, 2)])

    def test_a_resume_takes_its_claims_epoch_and_a_replay_without_one_the_next_after_the_servers(self) -> None:
        state: Any = {"run": {"id": "r", "epoch": 4}, "steps": [], "escalation": None}
        self.assertEqual(RunRecorder(self.sent.append, state, WonClaim("e", 7, 0.0, 0.0), None).epoch, 7)
        self.assertEqual(RunRecorder(self.sent.append, state, None, None).epoch, 5)
        # An older server hands out no epoch: a claim without one counts as a replay.
        self.assertEqual(RunRecorder(self.sent.append, state, WonClaim("e", 0, 0.0, 0.0), None).epoch, 5)
        self.assertEqual(RunRecorder(self.sent.append, {"run": {"id": "r"}, "steps": [], "escalation": None}, None, None).epoch, 1)

    def test_nothing_is_recorded_once_the_claim_is_lost(self) -> None:
        clock = FakeClock(0.0)
        lease = ResumeLease(lambda: "renewed", 30.0, 0.0, lambda reason: None, Notifier(False), "r", clock=clock)
        recorder = RunRecorder(self.sent.append, None, WonClaim("e", 2, 30.0, 0.0), lease)
        recorder.emit({"type": "run.started"})
        clock.advance(30)
        recorder.emit({"type": "run.completed"})
        self.assertTrue(recorder.lost)
        self.assertEqual([(e["type"], e["epoch"], e["epochSeq"]) for e in self.sent], [("run.started", 2, 0)])


if __name__ == "__main__":
    unittest.main()
