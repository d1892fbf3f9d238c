"""When the tag is applied, kept or revoked, as a pure function.

The plugin fills a :class:`SessionOutcome` from pytest's reports (on the
controller, with xdist workers' counts merged in); :func:`decide` turns it into
a :class:`TagDecision`. Fail closed: the tag is applied only when every
collected quality test passed its setup, call *and* teardown, at least one of
them looked at the model, and nothing else happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .names import EVIDENCE_FIXTURES

Action = Literal["apply", "revoke", "none"]
PHASES = ("setup", "call", "teardown")
# The outcome of one test is the worst of its phases (and subtests): a
# definitive failure beats an error, which beats the ways of not running.
_SEVERITY = ("failed", "error", "xpassed", "xfailed", "skipped", "passed")
WORKER_COUNTS = ("deselected", "removed", "collection_errors", "skipped_modules", "interrupted", "evidence_tests")
NOTHING_GATED = (
    "no quality test looked at the model (no configured check, and no test used the "
    f"{', '.join(EVIDENCE_FIXTURES[:-1])} or {EVIDENCE_FIXTURES[-1]} fixtures): nothing was gated"
)


def _worst(a: str | None, b: str) -> str:
    if a is None:
        return b
    return a if _SEVERITY.index(a) <= _SEVERITY.index(b) else b


@dataclass
class SessionOutcome:
    collected: set[str] = field(default_factory=set)  # the items that were to run
    phases: dict[str, dict[str, str]] = field(default_factory=dict)  # nodeid -> phase -> outcome
    deselected: int = 0
    removed: int = 0  # collected, then dropped by a plugin or conftest without a deselection report
    collection_errors: int = 0
    skipped_modules: int = 0  # modules skipped at collection (importorskip, allow_module_level)
    interrupted: bool = False
    # Collected quality tests that looked at the model: configured checks, and
    # tests using an evidence fixture. Passing tests that never did gate nothing.
    evidence_tests: int = 0
    collect_only: bool = False
    selection_options: list[str] = field(default_factory=list)  # e.g. --lf: may drop tests unseen
    exitstatus: int = 0

    def record(self, nodeid: str, when: str, outcome: str, *, wasxfail: bool) -> None:
        """One test report.

        ``when`` is setup/call/teardown, "subtest" for a subtest's report, or
        (xdist) "???" for a crashed worker. ``outcome`` is passed/failed/skipped,
        or "error" for a call that raised something other than a failed check.
        """
        if outcome == "failed":
            kind = "failed" if when in ("call", "subtest") else "error"
        elif outcome == "skipped":
            kind = "xfailed" if wasxfail else "skipped"
        elif outcome == "passed" and when != "???":
            kind = "xpassed" if wasxfail and when == "call" else "passed"
        else:  # "error", a crashed worker, or an outcome a plugin made up ("rerun"): fail closed
            kind = "error"
        if when == "subtest" and kind == "passed":
            return  # a passing subtest says nothing about its test's own phases
        phases = self.phases.setdefault(nodeid, {})
        phases[when] = _worst(phases.get(when), kind)

    def test_outcome(self, nodeid: str) -> str:
        """passed (setup, call and teardown all passed), failed, error, skipped,
        xfailed, xpassed, or "unfinished" (a phase never reported)."""
        phases = self.phases.get(nodeid, {})
        worst = None
        for kind in phases.values():
            worst = _worst(worst, kind)
        if worst is not None and worst != "passed":
            return worst
        if all(phases.get(when) == "passed" for when in PHASES):
            return "passed"
        return "unfinished"

    def outcomes(self) -> dict[str, set[str]]:
        """Collected quality tests grouped by :meth:`test_outcome`."""
        groups: dict[str, set[str]] = {}
        for nodeid in self.collected | set(self.phases):
            groups.setdefault(self.test_outcome(nodeid), set()).add(nodeid)
        return groups

    @property
    def failed(self) -> set[str]:
        return self.outcomes().get("failed", set())

    # -- xdist: every worker collects the whole suite and reports its counts ------------
    def worker_counts(self) -> dict[str, int | bool]:
        return {key: getattr(self, key) for key in WORKER_COUNTS}

    def merge_worker(self, counts: dict[str, int | bool] | None) -> None:
        """A worker's counts: the largest, not the sum (each collected everything);
        a worker that died before reporting counts as an interruption (fail closed)."""
        if counts is None:
            self.interrupted = True
            return
        for key in WORKER_COUNTS:
            setattr(self, key, max(getattr(self, key), counts[key]))


@dataclass(frozen=True)
class TagDecision:
    action: Action  # what the gate decided; with dry_run, what it would do
    reason: str
    dry_run: bool = False
    failed: bool = False  # a quality test failed: a definitive "no"


def _count(n: int, what: str) -> str:
    return f"{n} quality test{'s' if n != 1 else ''} {what}"


_OUTCOME_WORDS = (
    ("failed", "failed"),
    ("error", "errored"),
    ("skipped", "skipped"),
    ("xfailed", "xfailed"),
    ("xpassed", "xpassed"),
)


def _blockers(o: SessionOutcome) -> list[str]:
    why = []
    if o.collect_only:
        why.append("--collect-only runs no test")
    if o.interrupted:
        why.append("the session was interrupted")
    if o.collection_errors:
        why.append(f"{o.collection_errors} collection error{'s' if o.collection_errors != 1 else ''}")
    if o.skipped_modules:
        why.append(f"{o.skipped_modules} test module{'s' if o.skipped_modules != 1 else ''} skipped")
    if o.selection_options:
        why.append(f"{', '.join(o.selection_options)} may leave quality tests out")
    if not o.collected and not o.collect_only:
        why.append("no quality test was collected")
    # (Not after an interrupt: a crashed xdist worker may never have said what it collected.)
    if o.collected and not o.evidence_tests and not o.interrupted:
        why.append(NOTHING_GATED)
    groups = o.outcomes()
    why += [_count(len(groups[key]), word) for key, word in _OUTCOME_WORDS if groups.get(key)]
    if o.deselected:
        why.append(_count(o.deselected, "deselected"))
    if o.removed:
        why.append(_count(o.removed, "removed from the session by a plugin or conftest"))
    unfinished = groups.get("unfinished")
    if unfinished and not o.collect_only:
        why.append(_count(len(unfinished), "did not run to the end"))
    if not why and o.exitstatus != 0:
        why.append(f"pytest exited with status {o.exitstatus}")
    return why


def decide(outcome: SessionOutcome, *, dry_run: bool = False, keep_on_fail: bool = False) -> TagDecision:
    blockers = _blockers(outcome)
    if not blockers:
        passed = outcome.outcomes().get("passed", set())
        return TagDecision("apply", f"all {_count(len(passed), 'passed')}", dry_run)
    reason = "; ".join(blockers)
    failed = bool(outcome.failed)
    # A quality test that failed is a definitive "no": take back an earlier yes.
    # Errors, interruptions and the like are not: they change no tag.
    if failed and not keep_on_fail:
        return TagDecision("revoke", reason, dry_run, failed=True)
    return TagDecision("none", reason, dry_run, failed=failed)
