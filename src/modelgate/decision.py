"""When the tag is applied, kept or revoked: DESIGN section 4, as a pure function.

The plugin fills a :class:`SessionOutcome` from pytest's reports (on the
controller, with xdist workers' counts merged in); :func:`decide` turns it into
a :class:`TagDecision`. Fail closed: the tag is applied only when every
collected quality test ran and passed and nothing else happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Action = Literal["apply", "revoke", "none"]


@dataclass
class SessionOutcome:
    collected: set[str] = field(default_factory=set)
    passed: set[str] = field(default_factory=set)  # call passed, not an xpass
    failed: set[str] = field(default_factory=set)  # call phase failed: a definitive failure
    errors: set[str] = field(default_factory=set)  # setup or teardown failed
    skipped: set[str] = field(default_factory=set)
    xfailed: set[str] = field(default_factory=set)
    xpassed: set[str] = field(default_factory=set)
    deselected: int = 0
    collection_errors: int = 0
    skipped_modules: int = 0  # modules skipped at collection (importorskip, allow_module_level)
    interrupted: bool = False
    collect_only: bool = False
    selection_options: list[str] = field(default_factory=list)  # e.g. --lf: may drop tests unseen
    exitstatus: int = 0

    def record(self, nodeid: str, when: str, outcome: str, *, wasxfail: bool) -> None:
        """One test report: ``when`` is setup/call/teardown (xdist: "???" for a
        crashed worker); ``outcome`` passed/failed/skipped, or "error" for a
        call phase that raised something other than a failed check."""
        if outcome == "error":
            self.errors.add(nodeid)
        elif when == "call":
            if outcome == "passed":
                (self.xpassed if wasxfail else self.passed).add(nodeid)
            elif outcome == "failed":
                self.failed.add(nodeid)
            else:
                (self.xfailed if wasxfail else self.skipped).add(nodeid)
        elif outcome == "failed":
            self.errors.add(nodeid)
        elif outcome == "skipped":
            (self.xfailed if wasxfail else self.skipped).add(nodeid)


@dataclass(frozen=True)
class TagDecision:
    action: Action  # what the gate decided; with dry_run, what it would do
    reason: str
    dry_run: bool = False


def _count(n: int, what: str) -> str:
    return f"{n} quality test{'s' if n != 1 else ''} {what}"


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
    if o.failed:
        why.append(_count(len(o.failed), "failed"))
    if o.errors:
        why.append(_count(len(o.errors), "errored"))
    if o.skipped:
        why.append(_count(len(o.skipped), "skipped"))
    if o.xfailed:
        why.append(_count(len(o.xfailed), "xfailed"))
    if o.xpassed:
        why.append(_count(len(o.xpassed), "xpassed"))
    if o.deselected:
        why.append(_count(o.deselected, "deselected"))
    unfinished = o.collected - o.passed - o.failed - o.errors - o.skipped - o.xfailed - o.xpassed
    if unfinished and not o.collect_only:
        why.append(_count(len(unfinished), "did not run"))
    if not why and o.exitstatus != 0:
        why.append(f"pytest exited with status {o.exitstatus}")
    return why


def decide(outcome: SessionOutcome, *, dry_run: bool = False, keep_on_fail: bool = False) -> TagDecision:
    blockers = _blockers(outcome)
    if not blockers:
        return TagDecision("apply", f"all {_count(len(outcome.passed), 'passed')}", dry_run)
    reason = "; ".join(blockers)
    # A quality test that failed is a definitive "no": take back an earlier yes.
    # Errors, interruptions and the like are not: they change no tag.
    if outcome.failed and not keep_on_fail:
        return TagDecision("revoke", reason, dry_run)
    return TagDecision("none", reason, dry_run)
