"""One gate session: the run, its data and model, the outcome, the tag.

Front-end neutral (no pytest): the plugin drives it. :func:`open_gate` checks
everything a user can get wrong before a single test runs, so that bad input
is a one-line usage error and never a tag; the model and the scores are loaded
lazily and only once per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from . import runs, tagging
from .checks import CheckResult
from .config import GateSettings
from .decision import SessionOutcome, TagDecision, decide
from .errors import GateUsageError


@dataclass
class GateSession:
    pathspec: str
    settings: GateSettings
    dry_run: bool = False
    keep_on_fail: bool = False
    outcome: SessionOutcome = field(default_factory=SessionOutcome)
    results: list[CheckResult] = field(default_factory=list)
    decision: TagDecision | None = None
    tag_line: str = ""
    tag_error: str = ""

    # -- evidence, loaded lazily (in each xdist worker) -------------------------
    @cached_property
    def run(self):
        return runs.get_run(self.pathspec)

    @cached_property
    def data(self):
        return runs.load_artifact(self.pathspec, self.settings.data_artifact)

    @cached_property
    def rows(self):
        from .evaluation import validation_rows

        return validation_rows(self.data, self.settings.text_column, self.settings.label_column)

    @cached_property
    def model(self):
        return runs.load_artifact(self.pathspec, self.settings.model_artifact)

    @cached_property
    def scorer(self):
        from .scorers import as_scorer

        return as_scorer(self.model)

    @cached_property
    def evaluation(self):
        from .evaluation import evaluate

        texts, labels = self.rows
        return evaluate(self.scorer, texts, labels)

    # -- the end: decide and act ------------------------------------------------
    def finish(self) -> TagDecision:
        """Decide on the tag, carry it out (unless a dry run), set ``tag_line``."""
        decision = decide(self.outcome, dry_run=self.dry_run, keep_on_fail=self.keep_on_fail)
        self.decision = decision
        tag, run = self.settings.tag, self.pathspec
        if decision.dry_run:
            would = {
                "apply": f"apply tag {tag!r} to {run}",
                "revoke": f"revoke tag {tag!r} from {run} (if present)",
                "none": f"not apply tag {tag!r} to {run}",
            }[decision.action]
            self.tag_line = f"dry run: would {would}: {decision.reason}"
            return decision
        try:
            if decision.action == "apply":
                tagging.apply_tag(run, tag)
                self.tag_line = f"tag {tag!r} applied to {run}: {decision.reason}"
            elif decision.action == "revoke":
                had = tagging.revoke_tag(run, tag)
                done = "revoked from" if had else "not applied to"
                self.tag_line = f"tag {tag!r} {done} {run}: {decision.reason}"
            else:
                self.tag_line = f"tag {tag!r} not applied to {run}: {decision.reason}"
        except Exception as exc:  # an outage or a lost write must fail the session
            self.tag_error = f"could not update tag {tag!r} on {run}: {runs.one_line(exc)}"
            self.tag_line = f"tag {tag!r} NOT changed on {run}: {self.tag_error}"
        return decision


def open_gate(
    spec: str,
    *,
    flow: str | None = None,
    namespace: str | None = None,
    settings: GateSettings | None = None,
    dry_run: bool = False,
    keep_on_fail: bool = False,
) -> GateSession:
    """Resolve the run and check its artifacts and data; GateUsageError on bad input."""
    settings = settings or GateSettings()
    run_spec = runs.parse_run_spec(spec, flow)
    pathspec = runs.resolve_run(run_spec, namespace)
    runs.split_artifact(settings.model_artifact)
    runs.check_artifact(pathspec, settings.model_artifact)
    session = GateSession(pathspec, settings, dry_run=dry_run, keep_on_fail=keep_on_fail)
    session.rows  # validates the data now: columns, labels, emptiness
    if not session.settings.tag.strip() or session.settings.tag.startswith(("user:", "runtime:")):
        raise GateUsageError(f"--gate-tag {settings.tag!r} is not a tag the gate may manage")
    return session


def attach(pathspec: str, settings: GateSettings, **flags) -> GateSession:
    """A session for an already resolved run (an xdist worker's)."""
    return GateSession(pathspec, settings, **flags)
