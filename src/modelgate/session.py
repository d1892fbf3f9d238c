"""One gate session: the run, its data and model, its baselines, the outcome, the tag.

Front-end neutral (no pytest): the plugin drives it. :func:`open_gate` checks
everything a user can get wrong before a single test runs, so that bad input
is a one-line usage error and never a tag; models and scores are loaded
lazily and only once per process.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from . import runs, tagging
from .checks import CheckResult
from .config import GateConfig
from .decision import SessionOutcome, TagDecision, decide
from .errors import GateUsageError

CHAMPION = runs.CHAMPION  # defined once, with the other known baselines (runs.KNOWN_BASELINES)


class _Unresolved:
    def __repr__(self) -> str:
        return "<not looked up yet>"


_UNRESOLVED = _Unresolved()  # the champion before its first lookup


@dataclass
class GateSession:
    pathspec: str
    config: GateConfig = field(default_factory=GateConfig)
    # The champion (or --baseline-run) and why there is none: given (xdist
    # workers get the controller's), else looked up once, on first read.
    champion: str | None = field(default=_UNRESOLVED, repr=False, compare=False)
    no_champion_reason: str = field(default=_UNRESOLVED, repr=False, compare=False)
    baseline_runs: dict[str, str] = field(default_factory=dict)  # name -> pathspec
    dry_run: bool = False
    keep_on_fail: bool = False
    outcome: SessionOutcome = field(default_factory=SessionOutcome)
    results: list[CheckResult] = field(default_factory=list)
    decision: TagDecision | None = None
    tag_line: str = ""
    tag_error: str = ""
    carried_before: bool = False  # the run carried the tag when the session decided
    interrupted: bool = False  # an interrupt while writing the tag
    notes: list[str] = field(default_factory=list)  # warnings to show in the header
    champion_label: str = "champion"  # "baseline run (--baseline-run)" when the user named it

    @property
    def settings(self):
        return self.config.settings

    # -- evidence, loaded lazily (in each xdist worker) -------------------------
    @cached_property
    def run(self):
        return runs.get_run(self.pathspec)

    @cached_property
    def data(self):
        return runs.load_artifact(self.pathspec, self.settings.data_artifact, role="candidate")

    @cached_property
    def rows(self):
        from .evaluation import validation_rows

        return validation_rows(self.data, self.settings.text_column, self.settings.label_column)

    @cached_property
    def model(self):
        return runs.load_artifact(self.pathspec, self.settings.model_artifact, role="candidate")

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
        # Run baselines are loaded and scored on first use only; the champion
        # is not even looked up until a check reads its entries.
        baselines = run_baseline_scorers(self.baseline_runs, self.settings.model_artifact)
        baselines[CHAMPION] = self._score_champion
        return evaluate(
            self.scorer,
            texts,
            labels,
            baselines,
            absent=_WithChampion({}, lambda: (self.champion is None, self.no_champion_reason)),
            require_baselines=self.config.require_champion,
            baseline_runs=_WithChampion(self.baseline_runs, lambda: (self.champion is not None, self.champion)),
        )

    # -- the champion: looked up on first read, then fixed --------------------------
    @property
    def champion_resolved(self) -> bool:
        return self.__dict__.get("_champion", _UNRESOLVED) is not _UNRESOLVED

    def champion_line(self) -> str:
        """The champion for a header or report, never raising: its pathspec,
        'none yet', or why it could not be looked up."""
        try:
            return self.champion or "none yet"
        except GateUsageError as exc:
            return f"unknown: {exc}"

    def _get_champion(self) -> str | None:
        if not self.champion_resolved:
            self._look_up_champion()
        return self.__dict__["_champion"]

    def _set_champion(self, value: str | None) -> None:
        self.__dict__["_champion"] = value

    def _get_no_champion_reason(self) -> str:
        if not self.champion_resolved:
            self._look_up_champion()
        reason = self.__dict__.get("_no_champion_reason", _UNRESOLVED)
        return "" if reason is _UNRESOLVED else reason

    def _set_no_champion_reason(self, value: str) -> None:
        self.__dict__["_no_champion_reason"] = value

    def _look_up_champion(self) -> None:
        """Find the champion once; a failed lookup is a GateUsageError on every read
        (inside a test: an error of that test, which changes no tag)."""
        failed = self.__dict__.get("_champion_error")
        if failed:
            raise GateUsageError(failed)
        caught: list = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                champion, reason = runs.resolve_champion(self.pathspec, self.settings.tag)
        except GateUsageError as exc:
            self.__dict__["_champion_error"] = f"cannot look up the champion of {self.pathspec}: {exc}"
            raise GateUsageError(self.__dict__["_champion_error"]) from None
        finally:
            self._keep_notes(caught)  # outside the catch: other warnings go on
        self.champion, self.no_champion_reason = champion, reason

    def _keep_notes(self, caught) -> None:
        """modelgate's warnings (skipped unreadable runs) become header notes; others go on."""
        from .errors import GateWarning

        for w in caught:
            if issubclass(w.category, GateWarning):
                if str(w.message) not in self.notes:
                    self.notes.append(str(w.message))
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    def _score_champion(self, texts):
        champion = self.champion
        if champion is None:
            raise GateUsageError(f"there is no champion to score: {self.no_champion_reason}")
        return run_baseline_scorers({CHAMPION: champion}, self.settings.model_artifact)[CHAMPION](texts)

    # -- the end: decide and act ------------------------------------------------
    def decide_tag(self) -> TagDecision:
        """Decide on the tag and say what would happen to it (``tag_line``).

        Nothing is written yet: the plugin writes the reports first, so that a
        report that cannot be written stops the gate before the tag changes.
        """
        decision = decide(self.outcome, dry_run=self.dry_run, keep_on_fail=self.keep_on_fail)
        self.decision = decision
        try:
            self.carried_before = tagging.has_tag(self.pathspec, self.settings.tag)
        except Exception as exc:  # an outage: say so, and change nothing
            self.tag_error = f"could not read the tags of {self.pathspec}: {runs.one_line(exc)}"
            self.tag_line = f"FAILED: {self.tag_error}; no tag was changed"
            return decision
        self.tag_line = self._line(decision.action, self.carried_before)
        return decision

    def carry_out(self) -> None:
        """Write the decided tag change (not in a dry run), verified by re-reading."""
        decision = self.decision
        if decision is None or decision.dry_run or self.tag_error or decision.action == "none":
            return
        tag, run = self.settings.tag, self.pathspec
        try:
            if decision.action == "apply":
                tagging.apply_tag(run, tag)
            else:
                tagging.revoke_tag(run, tag)
        except KeyboardInterrupt:
            self.interrupted = True
            self.tag_error = f"interrupted while writing tag {tag!r} on {run}: {self._carries_now()}"
            self.tag_line = f"FAILED: {self.tag_error}"
        except Exception as exc:  # an outage or a lost write must fail the session
            self.tag_error = f"could not {decision.action} tag {tag!r} on {run}: {runs.one_line(exc)}"
            self.tag_line = f"FAILED: {self.tag_error} ({self._carries_now()})"

    def recheck(self) -> str:
        """Re-read the tag at the very end: '' when the run carries what this
        session left, else a line saying that another writer changed it."""
        decision = self.decision
        if decision is None or decision.dry_run or self.tag_error:
            return ""
        expected = {"apply": True, "revoke": False}.get(decision.action, self.carried_before)
        try:
            now = tagging.has_tag(self.pathspec, self.settings.tag)
        except Exception as exc:
            return f"could not re-read the tags of {self.pathspec}: {runs.one_line(exc)}"
        if now == expected:
            return ""
        state = "carries" if now else "no longer carries"
        return (
            f"the tags changed after this session wrote them: {self.pathspec} now {state} "
            f"{self.settings.tag!r} (another gate session on the same run?)"
        )

    def _carries_now(self) -> str:
        try:
            carries = tagging.has_tag(self.pathspec, self.settings.tag)
        except BaseException:  # a second interrupt or an outage: we cannot know
            return "check the run's tags"
        return f"{self.pathspec} {'carries' if carries else 'does not carry'} it now"

    def _line(self, action: str, carried: bool) -> str:
        """What happens to the tag, said from what the run carries."""
        tag, run, reason = self.settings.tag, self.pathspec, self.decision.reason if self.decision else ""
        if self.dry_run:
            would = {
                ("apply", False): f"would apply tag {tag!r} to {run}",
                ("apply", True): f"would apply tag {tag!r} to {run} (it carries it already)",
                ("revoke", True): f"would revoke tag {tag!r} from {run} (it carries it now)",
                ("revoke", False): f"would not change tag {tag!r}: {run} does not carry it",
                ("none", True): f"would leave tag {tag!r} on {run} (it carries it from an earlier gate)",
                ("none", False): f"would not apply tag {tag!r} to {run}",
            }[(action, carried)]
            return f"dry run: {would}: {reason}"
        if action == "apply":
            return f"tag {tag!r} applied to {run}: {reason}"
        if action == "revoke":
            done = "revoked from" if carried else "not applied to"
            return f"tag {tag!r} {done} {run}: {reason}"
        if not carried:
            return f"tag {tag!r} not applied to {run}: {reason}"
        if self.decision is not None and self.decision.failed:
            return f"tag {tag!r} kept on {run} (--gate-keep-on-fail): {reason}"
        return f"tag {tag!r} not applied by this session; {run} still carries it from an earlier gate: {reason}"

    def verdict(self):
        from .checks import Verdict

        return Verdict(
            results=list(self.results),
            run=self.pathspec,
            champion=self.champion if self.champion_resolved else None,
            decision=self.decision,
            tag_line=self.tag_line,
            champion_label=self.champion_label,
        )


# The dataclass's ``champion`` and ``no_champion_reason`` fields, read through
# the lazy lookup above (their __init__ arguments still set them).
GateSession.champion = property(GateSession._get_champion, GateSession._set_champion)  # type: ignore[assignment]
GateSession.no_champion_reason = property(  # type: ignore[assignment]
    GateSession._get_no_champion_reason, GateSession._set_no_champion_reason
)


class _WithChampion(Mapping):
    """``fixed`` plus a ``"champion"`` entry made on first read: ``entry()``
    returns ``(present, value)``. Building an evaluation does not look the
    champion up; a check that compares with it does."""

    def __init__(self, fixed: Mapping, entry) -> None:
        self._fixed = {k: v for k, v in fixed.items() if k != CHAMPION}
        self._entry = entry

    def __getitem__(self, key):
        if key == CHAMPION:
            present, value = self._entry()
            if present:
                return value
            raise KeyError(key)
        return self._fixed[key]

    def __iter__(self):
        yield from self._fixed
        if self._entry()[0]:
            yield CHAMPION

    def __len__(self) -> int:
        return sum(1 for _ in self)


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
    """Resolve the run, its baselines and data; GateUsageError on bad input.

    The candidate comes first: its run, then its artifacts, so a wrong
    artifact name is reported against it. Run baselines that checks name, and
    ``baseline_run``, are resolved now (and their model artifact checked when
    a configured check compares with them). The champion is looked up now
    only when a configured check compares with it, and then its model
    artifact is checked too; otherwise on first use, so a champion that no
    check compares with never stops a gate. Baseline models are loaded only
    when a check scores them. Warnings about skipped unreadable runs are
    issued once each.
    """
    session, caught = None, []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            session = _open_gate(
                spec, flow=flow, namespace=namespace, config=config or GateConfig(),
                baseline_run=baseline_run, dry_run=dry_run, keep_on_fail=keep_on_fail,
            )
    finally:  # issue each warning once (and not again when the session noted it already)
        seen = set(session.notes) if session is not None else set()
        for w in caught:
            if str(w.message) not in seen:
                seen.add(str(w.message))
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return session


def _open_gate(spec, *, flow, namespace, config: GateConfig, baseline_run, dry_run, keep_on_fail) -> GateSession:
    settings = config.settings  # the tag was validated where it entered (config.validate_tag)
    model_artifact = settings.model_artifact
    pathspec = runs.resolve_run(runs.parse_run_spec(spec, flow), namespace)
    runs.check_artifact(pathspec, model_artifact, role="candidate")
    runs.check_artifact(pathspec, settings.data_artifact, role="candidate")
    named = {
        name: runs.resolve_named_baseline(name, pathspec)
        for name in config.baseline_names
        if name not in runs.KNOWN_BASELINES
    }
    for other in named.values():
        runs.check_artifact(other, model_artifact, role="baseline")
    session = GateSession(pathspec, config, baseline_runs=named, dry_run=dry_run, keep_on_fail=keep_on_fail)
    if baseline_run:  # named by the user: resolved now, whether or not a check uses it
        session.champion, session.no_champion_reason = runs.resolve_champion(pathspec, settings.tag, baseline_run)
        session.champion_label = "baseline run (--baseline-run, compared as 'champion')"
    if any(check.baseline == CHAMPION for check in config.checks):
        # Fixed now, before any test (and before this run is tagged).
        if session.champion:
            runs.check_artifact(session.champion, model_artifact, role="baseline" if baseline_run else CHAMPION)
    # Check now what would otherwise fail inside a test (and count as an
    # error there, not a verdict): the data, the smoke cases, the model.
    session.rows
    session.smoke_cases
    _refuse_relative_margins_on_zero(config.checks, session.rows[1])
    try:
        session.scorer
    except TypeError as exc:
        raise GateUsageError(f"artifact {model_artifact!r} of candidate run {pathspec} is not a model: {exc}") from None
    return session


def run_baseline_scorers(runs_by_name: Mapping[str, str], model_artifact: str) -> dict:
    """Scorers for other runs' models (the champion, run baselines), each loaded
    on its first call; errors name the run as the champion or a baseline."""
    from .scorers import as_scorer

    def scorer_of(name: str, pathspec: str):
        role = CHAMPION if name == CHAMPION else "baseline"

        def score(texts):
            model = runs.load_artifact(pathspec, model_artifact, role=role)
            try:
                scorer = as_scorer(model)
            except TypeError as exc:
                raise GateUsageError(
                    f"artifact {model_artifact!r} of {role} run {pathspec} is not a model: {exc}"
                ) from None
            return scorer(texts)

        return score

    return {name: scorer_of(name, pathspec) for name, pathspec in runs_by_name.items()}


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
