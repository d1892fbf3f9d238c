"""One gate runner for every front end.

The pytest session (:mod:`modelgate.plugin.session`, driven by the plugin) and the
in-flow :class:`~modelgate.in_flow.Gate` both go through :class:`GateRunner`:
it resolves the candidate run and its baselines (the champion looked up once,
when first needed; runs that checks name), builds the evidence, runs the
checks in one order (:data:`~modelgate.checks.CHECK_KINDS`: margins,
properties, smoke cases) and produces the :class:`~modelgate.verdict.Verdict`.
No pytest here, and Metaflow only through :mod:`modelgate.runs`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import GateUsageError, GateWarning, MetaflowUnavailable
from .metaflow_io import models, runs
from .metaflow_io.models import AUTO
from .names import BINARY, BRANCH_SCOPE, CANDIDATE, CHAMPION, KNOWN_BASELINES, MAJORITY, MEAN, MEDIAN, REGRESSION, SMOKE

if TYPE_CHECKING:
    from .checks import Check
    from .config import GateConfig
    from .decision import TagDecision
    from .evidence.evaluation import Evaluation, Scorer
    from .smoke import AnyCase
    from .verdict import CheckResult, Verdict

_UNRESOLVED: Any = object()  # the champion before its first lookup
BOUNDED_KINDS = ("margin", "floor", "slice")  # checks decided on a bound: they have a power


class Baselines:
    """The run baselines of one candidate: runs that checks name, and the
    champion, looked up once, on first need, then fixed.

    A failed champion lookup is a :class:`GateUsageError` on every read (inside
    a test: an error of that test, which changes no tag). Warnings about runs
    the lookup skipped become ``notes`` (shown in the session header).
    """

    def __init__(
        self,
        candidate: str | None,
        *,
        tag: str,
        model_artifact: str,
        named: Mapping[str, str] | None = None,
        champion: str | None = _UNRESOLVED,
        no_champion_reason: str = "",
        champion_label: str = CHAMPION,
        scope: str = BRANCH_SCOPE,
        champion_tag: str = "",
    ) -> None:
        self.candidate = candidate
        self.tag = tag
        self.scope = scope  # champion_scope: branch | project | flow
        self.champion_tag = champion_tag  # "" : the champion carries `tag`
        self.scope_note = ""  # where the champion was sought, for the header (project flows, flow scope)
        self.model_artifact = model_artifact
        self.model_source = AUTO  # model_source: how the artifact holds the model (the config's, by configure)
        self._models: dict[str, Any] = {}  # pathspec -> its model, loaded once
        self.named = dict(named or {})
        self._champion = champion
        self._no_champion_reason = no_champion_reason
        self._error: GateUsageError | MetaflowUnavailable | None = None  # a failed lookup, raised again on each read
        self.champion_label = champion_label  # "baseline run (--gate-baseline-run ...)" when the user named it
        self.notes: list[str] = []

    @property
    def resolved(self) -> bool:
        return self._champion is not _UNRESOLVED

    @property
    def champion(self) -> str | None:
        self._look_up()
        return self._champion

    @property
    def no_champion_reason(self) -> str:
        self._look_up()
        return self._no_champion_reason

    def configure(self, scope: str, champion_tag: str, model_source: str = AUTO) -> None:
        """How the champion is sought (``champion_scope``, ``champion_tag``), before the lookup,
        and how the runs' models are loaded (``model_source``)."""
        self.model_source = models.check_source(model_source)
        if not self.resolved:
            self.scope, self.champion_tag = scope, champion_tag

    def fix_champion(self, champion: str | None, reason: str, label: str = CHAMPION) -> None:
        """Set the champion now (``--gate-baseline-run``, or the controller's for an xdist worker)."""
        self._champion, self._no_champion_reason, self.champion_label = champion, reason, label

    def champion_line(self) -> str:
        """The champion for a header or report, never raising: its pathspec,
        'none yet', or why it could not be looked up."""
        try:
            line = self.champion or "none yet"
        except (GateUsageError, MetaflowUnavailable) as exc:
            return f"unknown: {exc}"
        return f"{line} ({self.scope_note})" if self.scope_note else line

    def reported(self) -> str | None:
        """The champion for a report, looked up now if it was not yet (reports never
        depend on whether a header or a check asked first); None when there is none
        or the lookup failed (the header and the checks that use it say why)."""
        try:
            return self.champion
        except (GateUsageError, MetaflowUnavailable):
            return None

    def _look_up(self) -> None:
        if self.resolved:
            return
        if self._error:
            raise self._error
        if self.candidate is None:
            self.fix_champion(None, "no champion: the gate was not told which run it is evaluating")
            return
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                scope = runs.champion_scope(self.candidate, self.scope)
                champion, reason = runs.resolve_champion(self.candidate, self.champion_tag or self.tag, scope=scope)
                if scope.project is not None or scope.namespace.startswith("production:"):
                    self.scope_note = scope.describe()  # a developer's run without @project: as it was
            except (GateUsageError, MetaflowUnavailable) as exc:  # bad input, or an outage: said as such
                self._error = type(exc)(f"cannot look up the champion of {self.candidate}: {exc}")
        self.keep_notes(caught)
        if self._error:
            raise self._error
        self.fix_champion(champion, reason, self.champion_label)

    def keep_notes(self, caught: Sequence[warnings.WarningMessage]) -> None:
        """modelgate's warnings (skipped unreadable runs, data warnings) become notes;
        others go on, but for libraries' own deprecations (PyYAML's, when Metaflow is
        imported): nothing a gate's user can act on."""
        for w in caught:
            if issubclass(w.category, GateWarning):
                if str(w.message) not in self.notes:
                    self.notes.append(str(w.message))
            elif not _library_deprecation(w):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    # -- what the evidence needs ------------------------------------------------
    def load_model(self, pathspec: str, role: str) -> Any:
        """The model of a baseline run (or the champion), through its model source, loaded once."""
        if pathspec not in self._models:
            self._models[pathspec] = models.load_model(
                pathspec, self.model_artifact, role=role, source=self.model_source
            )
        return self._models[pathspec]

    def scorers(self, task: str = BINARY, classes: Sequence[Any] = ()) -> dict[str, Callable[[Any], np.ndarray]]:
        """Scorers of the named runs and the champion for ``task`` (multiclass:
        columns in ``classes``' order), each loading its model on first call."""
        made = {name: _run_scorer(name, pathspec, self, task, classes) for name, pathspec in self.named.items()}

        def score_champion(inputs: Any) -> np.ndarray:
            champion = self.champion
            if champion is None:
                raise GateUsageError(f"there is no champion to score: {self.no_champion_reason}")
            return _run_scorer(CHAMPION, champion, self, task, classes)(inputs)

        made[CHAMPION] = score_champion
        return made

    def absent(self) -> Mapping[str, str]:
        """Baselines that do not exist, with why: the champion before the first deployment."""
        return _WithChampion({}, lambda: (self.champion is None, self.no_champion_reason))

    def runs(self) -> Mapping[str, str]:
        """Baseline name -> the run it came from (the champion's looked up on first read)."""
        return _WithChampion(self.named, lambda: (self.champion is not None, self.champion or ""))


def _library_deprecation(caught: warnings.WarningMessage) -> bool:
    """A deprecation issued from an installed library or the standard library (not from
    modelgate, nor from the user's own code)."""
    import os
    import sysconfig

    if not issubclass(caught.category, (DeprecationWarning, PendingDeprecationWarning)):
        return False
    where = os.path.realpath(caught.filename)
    here = os.path.dirname(os.path.realpath(__file__))
    libraries = {os.path.realpath(sysconfig.get_path(name)) for name in ("purelib", "platlib", "stdlib")}
    return not where.startswith(here + os.sep) and any(where.startswith(root + os.sep) for root in libraries)


class _WithChampion(Mapping[str, str]):
    """``fixed`` plus a ``"champion"`` entry made on first read: ``entry()``
    returns ``(present, value)``. Building the evidence does not look the
    champion up; a check that compares with it does."""

    def __init__(self, fixed: Mapping[str, str], entry: Callable[[], tuple[bool, str]]) -> None:
        self._fixed = {k: v for k, v in fixed.items() if k != CHAMPION}
        self._entry = entry

    def __getitem__(self, key: str) -> str:
        if key == CHAMPION:
            present, value = self._entry()
            if present:
                return value
            raise KeyError(key)
        return self._fixed[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._fixed
        if self._entry()[0]:
            yield CHAMPION

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _run_scorer(
    name: str, pathspec: str, baselines: Baselines, task: str = BINARY, classes: Sequence[Any] = ()
) -> Callable[[Any], np.ndarray]:
    """A scorer for another run's model, loaded on its first call, for the
    candidate's task and classes; errors name the run as the champion or a baseline."""
    role = CHAMPION if name == CHAMPION else "baseline"
    loaded: list[Callable[[Any], np.ndarray]] = []
    models: list[Any] = []

    def score(inputs: Any) -> np.ndarray:
        if not loaded:
            from .evidence.scorers import as_scorer

            model = baselines.load_model(pathspec, role)
            models.append(model)
            try:
                # an older champion that never saw a newer class gives it probability 0
                loaded.append(as_scorer(model, task=task, classes=tuple(classes) or None, unknown_classes="zero"))
            except (TypeError, ValueError) as exc:
                raise GateUsageError(
                    f"artifact {baselines.model_artifact!r} of {role} run {pathspec} cannot be gated as the candidate "
                    f"is: {exc}"
                ) from None
        from .evidence.scorers import ScorerOutputError

        try:
            return loaded[0](inputs)
        except ScorerOutputError as exc:
            raise GateUsageError(f"the {role} run {pathspec}: {exc}") from None
        except (GateUsageError, MetaflowUnavailable):
            raise
        except Exception as exc:  # its model refuses the candidate's rows: no comparison, so no verdict
            raise GateUsageError(
                f"the {role} run {pathspec} cannot score these rows{_lacking(models[0], inputs)}: "
                f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            ) from None

    return score


def _lacking(model: Any, inputs: Any) -> str:
    """The candidate's feature columns another run's model was not fitted on (scikit-learn's
    ``feature_names_in_``), or the ones it needs that the rows lack; "" when unknown."""
    from .evidence.scorers import is_frame

    fitted = getattr(model, "feature_names_in_", None)
    if fitted is None or not is_frame(inputs):
        return ""
    fitted, given = [str(c) for c in fitted], [str(c) for c in inputs.columns]
    extra = [c for c in given if c not in fitted]
    missing = [c for c in fitted if c not in given]
    if extra:
        return f" (it was not fitted on the column{'s' * (len(extra) > 1)} {', '.join(map(repr, extra[:6]))})"
    if missing:
        return f" (it needs the column{'s' * (len(missing) > 1)} {', '.join(map(repr, missing[:6]))})"
    return ""


@dataclass
class GateRunner:
    """One gate: its config, its smoke cases and its baselines; what both front ends share."""

    config: GateConfig
    baselines: Baselines
    smoke_cases: Sequence[AnyCase] = ()
    _smoke_scored: Evaluation | None = field(default=None, init=False, repr=False, compare=False)
    # Results computed before the tests (the header's power lines), each taken by its check's run.
    # Keyed by the check itself (equal settings, equal check), never by its name alone.
    _early: dict[Any, tuple[Evaluation, CheckResult]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # The config decides where the champion is sought and which tag it carries,
        # however the baselines were made (here, or for an xdist worker).
        settings = self.config.settings
        self.baselines.configure(settings.champion_scope, settings.champion_tag, settings.model_source)

    # -- building one --------------------------------------------------------------
    @classmethod
    def for_run(cls, config: GateConfig, candidate: str | None, smoke_cases: Sequence[AnyCase] = ()) -> GateRunner:
        """A runner for ``candidate`` (a pathspec, or None: no champion) whose
        named baselines are resolved now and whose champion is looked up on first need."""
        named = {
            name: runs.resolve_named_baseline(name, candidate)
            for name in config.baseline_names
            if name not in KNOWN_BASELINES
        }
        baselines = Baselines(
            candidate, tag=config.settings.tag, model_artifact=config.settings.model_artifact, named=named
        )
        return cls(config, baselines, smoke_cases)

    @classmethod
    def open(
        cls,
        spec: str,
        *,
        flow: str | None = None,
        namespace: str | None = None,
        config: GateConfig,
        baseline_run: str | None = None,
    ) -> tuple[GateRunner, str]:
        """Resolve the candidate run and what its checks need, checking everything
        a user can get wrong before a test runs; (runner, candidate pathspec).

        The candidate comes first (its run, then its artifacts), so a wrong
        artifact name is reported against it. Run baselines that checks name,
        and ``baseline_run``, are resolved now. The champion is looked up now
        only when a configured check compares with it (and its model artifact
        checked); otherwise on first use, so a champion no check compares with
        never stops a gate.
        """
        settings = config.settings
        model_artifact = settings.model_artifact
        pathspec = runs.resolve_run(runs.parse_run_spec(spec, flow), namespace)
        runs.check_artifact(pathspec, model_artifact, role=CANDIDATE)
        runs.check_artifact(pathspec, settings.data_artifact, role=CANDIDATE)
        runner = cls.for_run(config, pathspec, load_smoke_cases(config))
        for other in runner.baselines.named.values():
            runs.check_artifact(other, model_artifact, role="baseline")
        baselines = runner.baselines
        if baseline_run:  # named by the user: resolved now, whether or not a check uses it
            champion, reason = runs.resolve_champion(pathspec, settings.champion_carries, baseline_run)
            baselines.fix_champion(champion, reason, "baseline run (--gate-baseline-run, compared as 'champion')")
        if CHAMPION in config.baseline_names:  # a margin check or a weak-slice search compares with it
            if baselines.champion:  # fixed now, before any test (and before this run is tagged)
                role = "baseline" if baseline_run else CHAMPION
                runs.check_artifact(baselines.champion, model_artifact, role=role)
                # Loaded now: a model that cannot be loaded here (a module this environment
                # lacks, another Python) is bad input, one line before any test, never a tag.
                baselines.load_model(baselines.champion, role)
                sha = runs.artifact_sha(pathspec, model_artifact)
                if sha is not None and sha == runs.artifact_sha(baselines.champion, model_artifact):
                    baselines.notes.append(
                        f"the {role} {baselines.champion}'s model artifact {model_artifact!r} is byte-identical to "
                        f"the candidate's (the same model): a check that it beats the {role} cannot pass"
                    )
        return runner, pathspec

    # -- running it ------------------------------------------------------------------
    def checks(self, data: Any = None) -> list[Check]:
        """Every configured check, in the one order both front ends run them: the
        tables' checks, then one per slice and check (which reads the validation
        frame ``data``), then the smoke cases."""
        from .checks import SmokeCheck

        declared = list(self.config.all_checks())
        return [*declared, *self.slice_checks(declared, data), *(SmokeCheck(case) for case in self.smoke_cases)]

    def kinds(self) -> list[str]:
        """The kinds of check this gate runs, in the order it runs them, without the data."""
        from .checks import CHECK_KINDS

        declared = {check.check_kind for check in self.config.all_checks()}
        declared |= {"slice"} if self.config.slices else set()
        declared |= {SMOKE} if self.smoke_cases else set()
        return [kind for kind in CHECK_KINDS if kind in declared]

    def slice_checks(self, declared: Sequence[Check], data: Any) -> list[Check]:
        """One check per (slice, margin check or floor) of ``[[tool.modelgate.slices]]``,
        on the validation frame ``data``; GateUsageError for a slice the data cannot have.
        Without the frame, slices are an error, never dropped: a gate must not pass by
        not running them."""
        if not self.config.slices:
            return []
        if data is None:
            raise GateUsageError("the gate declares slices: give the validation frame (runner.checks(data))")
        from .checks.slices import slice_checks

        settings = self.config.settings
        texts = None
        if not settings.feature_columns:
            if settings.text_column not in getattr(data, "columns", ()):
                raise GateUsageError(f"validation data has no column {settings.text_column!r}; set text_column")
            texts = data[settings.text_column].tolist()
        return list(slice_checks(self.config.slices, declared, data, texts))

    def evidence(
        self,
        model: Any,
        data: Any,
        where: str = "the candidate's model",
        *,
        scores: Mapping[str, np.ndarray] | None = None,
    ) -> Evaluation:
        """Score ``model`` (anything :func:`~modelgate.scorers.as_scorer` takes) on the
        validation frame ``data`` once; baselines are scored on first use.

        Reads the inputs (the text column, or the feature columns as a
        DataFrame) and the labels, decides the task (:mod:`modelgate.tasks`)
        and, for a binary gate, which class is positive (:mod:`modelgate.classes`:
        the candidate's scorer, its labels and its champion follow it), and checks that every configured check fits it. Everything a user can
        get wrong here is a one-line GateUsageError.

        ``scores`` holds scores made elsewhere on these rows, in row order (GateFlow's
        shards, merged): ``"candidate"`` and run baselines by name. They are used as they
        are; the model still scores what only it can (smoke cases, perturbed inputs).
        """
        from .evidence.evaluation import validation_inputs

        inputs, raw_labels = validation_inputs(data, self.config.settings)
        task, classes, labels = self._task(model, raw_labels)
        scorer = candidate_scorer(model, task, classes, where)
        return self.evidence_from_rows(scorer, inputs, labels, task=task, classes=classes, frame=data, scores=scores)

    def task_of(self, model: Any, data: Any) -> tuple[str, tuple[Any, ...], np.ndarray]:
        """(task, classes, label codes) of ``model`` on the whole validation frame ``data``,
        checked against every configured check: decided once, so that parts of the rows
        (GateFlow's shards) are scored the same way."""
        from .evidence.evaluation import validation_inputs

        return self._task(model, validation_inputs(data, self.config.settings)[1])

    def _task(self, model: Any, raw_labels: Any) -> tuple[str, tuple[Any, ...], np.ndarray]:
        from .evidence.tasks import labels_for_task, model_shape, resolve_task

        settings = self.config.settings
        shape = model_shape(model)
        task = resolve_task(settings.task, shape, raw_labels, settings.label_column)
        labels, classes = labels_for_task(
            task, raw_labels, shape.classes, settings.label_column, settings.positive_class
        )
        self.check_task(task)
        return task, tuple(classes), labels

    def check_task(self, task: str) -> None:
        """Every configured check's metric and baseline fit ``task``."""
        from .metrics import check_metric_fits

        measured: list[Any] = [*self.config.checks, *self.config.floors, *self.config.declared.get("gap", ())]
        for check in measured:
            check_metric_fits(check.metric, task)
        for search in self.config.declared.get("search", ()):
            search.metric_for(task)  # type: ignore[attr-defined]
        for check in self.config.checks:
            label_only = {REGRESSION: (MEAN, MEDIAN)}.get(task, (MAJORITY,))
            if check.baseline in (MAJORITY, MEAN, MEDIAN) and check.baseline not in label_only:
                raise GateUsageError(
                    f"check {check.name}: baseline {check.baseline!r} does not apply to task {task!r} "
                    f"(use {' or '.join(label_only)}, champion or a run)"
                )

    def evidence_from_rows(
        self,
        scorer: Scorer,
        inputs: Any,
        labels: np.ndarray,
        *,
        task: str = BINARY,
        classes: Sequence[Any] = (),
        frame: Any = None,
        scores: Mapping[str, np.ndarray] | None = None,
    ) -> Evaluation:
        """The evidence from validation rows already read (and a scorer already made);
        ``scores``: scores already made on these rows (see :meth:`evidence`)."""
        from .evidence.evaluation import evaluate, row_groups

        refuse_relative_margins_on_zero(self.config.checks, labels, task, len(classes))
        settings = self.config.settings
        groups = None
        if settings.group_column:
            if frame is None:
                raise GateUsageError("group_column is set: give the validation frame the groups are read from")
            groups = row_groups(frame, settings.group_column, settings.label_column)
        baselines: dict[str, Any] = dict(self.baselines.scorers(task, classes))
        given = dict(scores or {})
        candidate = given.pop(CANDIDATE, None)
        baselines.update(given)
        evidence = _scored(
            lambda: evaluate(
                scorer,
                inputs,
                labels,
                baselines,
                task=task,
                classes=classes,
                absent=self.baselines.absent(),
                require_baselines=self.config.require_champion,
                on_inconclusive=self.config.on_inconclusive,
                baseline_runs=self.baselines.runs(),
                frame=frame,
                groups=groups,
                candidate_scores=candidate,
            ),
            inputs,
        )
        if self.smoke_cases:  # cases that do not fit the model or the task: one line, before any test
            from .smoke import check_cases

            check_cases(self.smoke_cases, evidence)
        for prop in self.config.properties:  # so do properties (a column it lacks, class = on multiclass)
            prop.prepare(evidence)
        for gap in self.config.declared.get("gap", ()):  # and gaps (a column the data lack)
            gap.prepare(evidence)
        for search in self.config.declared.get("search", ()):  # and searches (a column, a baseline, no text)
            search.prepare(evidence)
        return evidence

    def evaluate(self, evidence: Evaluation, checks: Sequence[Check] | None = None) -> list[CheckResult]:
        """Run ``checks`` (default: all of them) on the evidence, in order."""
        checks = self.checks(evidence.frame) if checks is None else checks
        return [self.run_check(check, evidence) for check in checks]

    def early_results(self, evidence: Evaluation) -> list[CheckResult]:
        """The results of the checks decided on a bound (margins, floors, slices), computed
        now, before the tests, for what the header says about power; each is kept for its
        check's run. A check that cannot run now is left to its test, which reports why."""
        made = []
        for check in self.checks(evidence.frame):
            if check.check_kind not in BOUNDED_KINDS:
                continue
            try:
                check.prepare(evidence)
                result = check.evaluate(evidence)
            except (GateUsageError, MetaflowUnavailable, ValueError, KeyError, OSError):
                continue
            self._early[check] = (evidence, result)
            made.append(result)
        return made

    def run_check(self, check: Check, evidence: Evaluation) -> CheckResult:
        """Run one check on the evidence: the one path of every front end (the in-flow
        gate's loop, each pytest item, the ``gate`` fixture of a hand-written test)."""
        early = self._early.pop(check, None) if check.check_kind in BOUNDED_KINDS else None
        if early is not None and early[0] is evidence:
            return early[1]
        if check.check_kind == SMOKE and self.smoke_cases and self._smoke_scored is not evidence:
            # One scoring call for every smoke case, at the first: the scorer caches by row.
            from .smoke import smoke_inputs

            evidence.candidate_scorer(smoke_inputs(self.smoke_cases, evidence))
            self._smoke_scored = evidence
        return check.evaluate(evidence)

    def verdict(
        self,
        results: Sequence[CheckResult],
        *,
        run: str | None,
        decision: TagDecision | None = None,
        tag_line: str = "",
        evidence: Evaluation | None = None,
        error: str = "",
    ) -> Verdict:
        from .verdict import Verdict

        baselines = self.baselines
        return Verdict(
            results=list(results),
            run=run,
            champion=baselines.reported(),
            decision=decision,
            tag_line=tag_line,
            evaluation=evidence,
            champion_label=baselines.champion_label,
            error=error,
        )


def load_smoke_cases(config: GateConfig) -> list[AnyCase]:
    """The config's smoke cases; a bad file is a GateUsageError naming it."""
    if config.smoke_cases is None:
        return []
    from .smoke import SmokeCaseFileError
    from .smoke import load_smoke_cases as load

    try:
        return load(config.smoke_cases)
    except SmokeCaseFileError as exc:
        raise GateUsageError(str(exc)) from None


def candidate_scorer(model: Any, task: str, classes: Sequence[Any], where: str) -> Scorer:
    from .evidence.scorers import as_scorer

    try:
        return as_scorer(model, task=task, classes=tuple(classes) or None)
    except (TypeError, ValueError) as exc:
        what = "is not a model" if str(exc).startswith("cannot score with") else f"cannot be gated as {task}"
        raise GateUsageError(f"{where} {what}: {exc}") from None


def _scored(build: Callable[[], Evaluation], inputs: Any) -> Evaluation:
    """``build()``, with the candidate model's failures on the validation rows as one line."""
    try:
        return build()
    except (GateUsageError, KeyboardInterrupt):
        raise
    except Exception as exc:
        raise model_failure(exc, inputs) from None


def model_failure(
    exc: Exception, inputs: Any, whose: str = "the candidate's model", rows: str = "the validation rows"
) -> GateUsageError:
    """A model's failure on ``inputs`` as one line (a model that cannot take NaN features
    says which columns hold them): for the whole validation set, or a GateFlow shard."""
    from .evidence.scorers import ScorerOutputError, is_frame

    if isinstance(exc, ScorerOutputError):
        return GateUsageError(f"{whose}: {exc}")
    detail = " ".join(str(exc).split())[:300]
    hint = ""
    if is_frame(inputs):
        holes = [str(c) for c in inputs.columns if inputs[c].isna().any()]
        if holes:
            hint = f" (feature columns with missing values: {', '.join(holes[:6])}; the model cannot take NaN?)"
    return GateUsageError(f"{whose} failed on {rows}: {type(exc).__name__}: {detail}{hint}")


def refuse_relative_margins_on_zero(
    checks: Sequence[Any], labels: np.ndarray, task: str = BINARY, n_classes: int = 2
) -> None:
    """A relative margin on a label-only baseline (majority, mean, median) whose
    metric is 0 is refused up front: its value is known from the labels alone.
    (Against a run, a zero baseline makes the check's quantity undefined, and
    the check fails.)"""
    from .evidence.evaluation import constant_baselines
    from .metrics import get_metric

    constants = constant_baselines(task, labels, n_classes)
    for check in checks:
        if check.relative and check.baseline in constants:
            value = get_metric(check.metric)(labels, constants[check.baseline])
            if value == 0:
                raise GateUsageError(
                    f"check {check.name}: a relative margin needs a non-zero baseline, but the "
                    f"{check.baseline} baseline's {check.metric} is 0 on these labels; use an absolute margin"
                )
