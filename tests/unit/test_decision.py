"""The tag decision as a pure function: every blocker, and revocation."""

import pytest

from modelgate.decision import SessionOutcome, decide


def all_passed(n=3) -> SessionOutcome:
    """n quality tests that passed, each of them one that looked at the model."""
    o = SessionOutcome()
    o.evidence_tests = n
    for i in range(n):
        node = f"t{i}"
        o.collected.add(node)
        for when in ("setup", "call", "teardown"):
            o.record(node, when, "passed", wasxfail=False)
    return o


def test_everything_passed_applies():
    d = decide(all_passed())
    assert (d.action, d.reason, d.dry_run) == ("apply", "all 3 quality tests passed", False)


def test_dry_run_says_what_it_would_do():
    d = decide(all_passed(), dry_run=True)
    assert (d.action, d.dry_run) == ("apply", True)


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda o: o.record("t0", "setup", "skipped", wasxfail=False), "1 quality test skipped"),
        (lambda o: o.record("t9", "call", "skipped", wasxfail=True) or o.collected.add("t9"), "1 quality test xfailed"),
        (lambda o: o.record("t9", "call", "passed", wasxfail=True) or o.collected.add("t9"), "1 quality test xpassed"),
        (lambda o: o.record("t0", "teardown", "failed", wasxfail=False), "1 quality test errored"),
        (lambda o: o.record("t0", "???", "failed", wasxfail=False), "1 quality test errored"),  # crashed xdist worker
        (lambda o: setattr(o, "deselected", 2), "2 quality tests deselected"),
        (lambda o: setattr(o, "collection_errors", 1), "1 collection error"),
        (lambda o: setattr(o, "skipped_modules", 1), "1 test module skipped"),
        (lambda o: setattr(o, "interrupted", True), "the session was interrupted"),
        (lambda o: setattr(o, "collect_only", True), "--collect-only runs no test"),
        (lambda o: o.selection_options.append("--lf"), "--lf may leave quality tests out"),
        (lambda o: o.collected.add("never-ran"), "1 quality test did not run"),
        (lambda o: setattr(o, "exitstatus", 1), "pytest exited with status 1"),
    ],
    ids=[
        "skip",
        "xfail",
        "xpass",
        "teardown-error",
        "crashed-worker",
        "deselected",
        "collection-error",
        "skipped-module",
        "interrupted",
        "collect-only",
        "lf",
        "unrun",
        "exit-status",
    ],
)
def test_each_blocker_stops_the_tag_and_changes_nothing(change, reason):
    outcome = all_passed()
    change(outcome)
    d = decide(outcome)
    assert d.action == "none"
    assert reason in d.reason


def test_nothing_collected_is_not_a_pass():
    d = decide(SessionOutcome())
    assert d.action == "none" and d.reason == "no quality test was collected"


def test_a_failed_check_revokes_unless_kept():
    outcome = all_passed()
    outcome.record("t1", "call", "failed", wasxfail=False)
    assert decide(outcome).action == "revoke"
    assert decide(outcome, keep_on_fail=True).action == "none"
    assert decide(outcome, dry_run=True).action == "revoke" and decide(outcome, dry_run=True).dry_run


def test_an_error_in_the_call_phase_is_not_a_verdict():
    outcome = all_passed()
    outcome.record("t1", "call", "error", wasxfail=False)
    d = decide(outcome)
    assert d.action == "none" and "1 quality test errored" in d.reason


def test_a_test_whose_teardown_never_reported_is_not_a_pass():
    """pytest.exit(returncode=0) in a teardown: setup and call passed, no teardown report."""
    outcome = SessionOutcome(collected={"t0"})
    for when in ("setup", "call"):
        outcome.record("t0", when, "passed", wasxfail=False)
    d = decide(outcome)
    assert d.action == "none" and "1 quality test did not run to the end" in d.reason


def test_items_removed_without_a_deselection_report_block_the_tag():
    outcome = all_passed()
    outcome.removed = 2
    d = decide(outcome)
    assert d.action == "none" and "2 quality tests removed from the session" in d.reason


@pytest.mark.parametrize("kind, action, words", [("error", "none", "errored"), ("failed", "revoke", "failed")])
def test_a_subtest_counts_as_its_test_by_one_rule(kind, action, words):
    outcome = all_passed()
    outcome.record("t1", "subtest", kind, wasxfail=False)
    outcome.record("t1", "subtest", "passed", wasxfail=False)  # a later passing subtest changes nothing
    d = decide(outcome)
    assert d.action == action and f"1 quality test {words}" in d.reason


def test_a_failure_beats_an_error_in_the_same_test():
    outcome = all_passed()
    outcome.record("t1", "subtest", "failed", wasxfail=False)
    outcome.record("t1", "teardown", "failed", wasxfail=False)
    assert outcome.test_outcome("t1") == "failed"
    assert decide(outcome).action == "revoke"


def test_an_outcome_the_gate_does_not_know_is_an_error_not_a_pass():
    """pytest-rerunfailures reports "rerun" for a failed attempt: never count it as passed."""
    outcome = all_passed()
    outcome.record("t1", "call", "rerun", wasxfail=False)
    d = decide(outcome)
    assert d.action == "none" and "1 quality test errored" in d.reason


def test_an_interrupted_xdist_worker_reaches_the_controller():
    controller = all_passed()
    worker = SessionOutcome(interrupted=True)
    controller.merge_worker(worker.worker_counts())
    assert decide(controller).action == "none" and "interrupted" in decide(controller).reason


NOTHING_GATED = (
    "no quality test looked at the model (no configured check, and no test used the evaluation, "
    "model_scorer or gate fixtures): nothing was gated"
)


def test_passing_tests_that_never_looked_at_the_model_do_not_tag():
    outcome = all_passed()
    outcome.evidence_tests = 0  # e.g. `assert 1 + 1 == 2`, and a misspelt config table: no configured check
    d = decide(outcome)
    assert (d.action, d.reason, d.failed) == ("none", NOTHING_GATED, False)


def test_one_test_that_looked_at_the_model_is_enough():
    outcome = all_passed(3)
    outcome.evidence_tests = 1
    assert decide(outcome).action == "apply"


@pytest.mark.parametrize(
    "change, reasons",
    [
        (lambda o: setattr(o, "collect_only", True), ["--collect-only runs no test", NOTHING_GATED]),
        (lambda o: setattr(o, "deselected", 1), [NOTHING_GATED, "1 quality test deselected"]),
        (lambda o: o.record("t1", "call", "failed", wasxfail=False), [NOTHING_GATED, "1 quality test failed"]),
    ],
    ids=["collect-only", "deselected", "failed"],
)
def test_no_evidence_composes_with_the_other_blockers(change, reasons):
    outcome = all_passed()
    outcome.evidence_tests = 0
    change(outcome)
    assert decide(outcome).reason == "; ".join(reasons)


def test_no_evidence_is_not_claimed_when_nothing_was_collected_or_the_session_was_interrupted():
    assert decide(SessionOutcome()).reason == "no quality test was collected"
    # A crashed xdist worker may never have said what it collected: do not guess.
    outcome = all_passed()
    outcome.evidence_tests = 0
    outcome.interrupted = True
    assert decide(outcome).reason == "the session was interrupted"


def test_xdist_workers_report_the_tests_that_looked_at_the_model():
    """The controller collects nothing itself: what looked at the model comes from its workers."""
    controller = all_passed()
    controller.evidence_tests = 0
    worker = SessionOutcome()
    worker.evidence_tests = 2
    for _ in range(2):  # every worker collects the whole suite
        controller.merge_worker(worker.worker_counts())
    assert controller.evidence_tests == 2 and decide(controller).action == "apply"
