"""One gate session: the run, its data and model, its baselines, the outcome, the tag.

Front-end neutral (no pytest): the plugin drives it. :func:`open_gate` checks
everything a user can get wrong before a single test runs, so that bad input
is a one-line usage error and never a tag; models and scores are loaded
lazily and only once per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from . import runs, tagging
from .checks import CheckResult
from .config import GateConfig
from .decision import SessionOutcome, TagDecision, decide
from .errors import GateUsageError

CHAMPION = "champion"


@dataclass
class GateSession:
    pathspec: str
    config: GateConfig = field(default_factory=GateConfig)
    champion: str | None = None  # resolved once, on the controller
    no_champion_reason: str = ""
    baseline_runs: dict[str, str] = field(default_factory=dict)  # name -> pathspec
    dry_run: bool = False
    keep_on_fail: bool = False
    outcome: SessionOutcome = field(default_factory=SessionOutcome)
    results: list[CheckResult] = field(default_factory=list)
    decision: TagDecision | None = None
    tag_line: str = ""
    tag_error: str = ""

    @property
    def settings(self):
        return self.config.settings

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
    def smoke_cases(self) -> list:
        if self.config.smoke_cases is None:
            return []
        from .smoke import SmokeCaseFileError, load_smoke_cases

        try:
            return load_smoke_cases(self.config.smoke_cases)
        except SmokeCaseFileError as exc:
            raise GateUsageError(str(exc)) from None

    @cached_property
    def evaluation(self):
        from .evaluation import evaluate

        texts, labels = self.rows
        runs_by_name = dict(self.baseline_runs)
        absent = {}
        if self.champion:
            runs_by_name[CHAMPION] = self.champion
        else:
            absent[CHAMPION] = self.no_champion_reason
        # Run baselines are loaded and scored on first use only.
        return evaluate(
            self.scorer,
            texts,
            labels,
            run_baseline_scorers(runs_by_name, self.settings.model_artifact),
            absent=absent,
            require_baselines=self.config.require_champion,
            baseline_runs=runs_by_name,
        )

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
            self.tag_error = f"could not {decision.action} tag {tag!r} on {run}: {runs.one_line(exc)}"
            self.tag_line = f"FAILED: {self.tag_error} (check the run's tags)"
        return decision

    def verdict(self):
        from .checks import Verdict

        return Verdict(
            results=list(self.results),
            run=self.pathspec,
            champion=self.champion,
            decision=self.decision,
            tag_line=self.tag_line,
        )


def open_gate(
    spec: str,
    *,
    flow: str | None = None,
    namespace: str | None = None,
    config: GateConfig | None = None,
    baseline_run: str | None = None,
    dry_run: bool = False,
    keep_on_fail: bool = False,
) -> GateSession:
    """Resolve the run, its baselines and data; GateUsageError on bad input."""
    config = config or GateConfig()
    tag = config.settings.tag
    if not tag.strip() or tag.startswith(("user:", "runtime:", "origin-")):
        raise GateUsageError(f"--gate-tag {tag!r} is not a tag the gate may manage")
    pathspec = runs.resolve_run(runs.parse_run_spec(spec, flow), namespace)
    model_artifact = config.settings.model_artifact
    # The champion is fixed now: tagging this run later must not change it.
    champion, no_champion = runs.resolve_champion(pathspec, tag, baseline_run)
    named = {
        name: runs.resolve_baseline_run(name, pathspec)
        for name in config.baseline_names
        if name not in ("majority", CHAMPION)
    }
    for other in [champion, *named.values()]:
        if other:
            runs.check_artifact(other, model_artifact)
    session = GateSession(
        pathspec, config, champion=champion, no_champion_reason=no_champion, baseline_runs=named,
        dry_run=dry_run, keep_on_fail=keep_on_fail,
    )
    # Check now what would otherwise fail inside a test (and count as an
    # error there, not a verdict): the data, the smoke cases, the model.
    session.rows
    session.smoke_cases
    _refuse_relative_margins_on_zero(config.checks, session.rows[1])
    try:
        session.scorer
    except TypeError as exc:
        raise GateUsageError(f"artifact {model_artifact!r} of {pathspec} is not a model: {exc}") from None
    return session


def run_baseline_scorers(runs_by_name: dict[str, str], model_artifact: str) -> dict:
    """Scorers for other runs' models (baselines), each loaded on its first call."""
    from .scorers import as_scorer

    def scorer_of(pathspec: str):
        def score(texts):
            return as_scorer(runs.load_artifact(pathspec, model_artifact))(texts)

        return score

    return {name: scorer_of(pathspec) for name, pathspec in runs_by_name.items()}


def _refuse_relative_margins_on_zero(checks, labels) -> None:
    """A relative margin on the majority baseline whose metric is 0 is refused
    up front (its value is known from the labels alone)."""
    from .evaluation import majority_scores
    from .metrics import get_metric

    for check in checks:
        if check.relative and check.baseline == "majority":
            value = get_metric(check.metric)(labels, majority_scores(labels))
            if value == 0:
                raise GateUsageError(
                    f"check {check.name}: a relative margin needs a non-zero baseline, but the "
                    f"majority baseline's {check.metric} is 0 on these labels; use an absolute margin"
                )
