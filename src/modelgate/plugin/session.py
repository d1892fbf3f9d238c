"""One gate session: the candidate run, its evidence, the outcome, the tag.

No pytest here: the plugin's hooks drive it, over the shared
:class:`~modelgate.runner.GateRunner` (baselines, evidence, checks, verdict).
:func:`open_gate` checks everything a user can get wrong before a single test
runs, so that bad input is a one-line usage error and never a tag; the model
and the scores are loaded lazily and only once per process (xdist worker).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..config import GateConfig, GateSettings
from ..decision import SessionOutcome, TagDecision, decide
from ..metaflow_io import models, records, runs, tagging
from ..names import BINARY, CANDIDATE
from ..runner import Baselines, GateRunner
from ..verdict import CheckResult, Verdict

if TYPE_CHECKING:
    from ..checks import Check
    from ..evidence.evaluation import Evaluation
    from ..evidence.scorers import Scorer
    from ..report.files import ReportFiles
    from ..smoke import AnyCase


# Exit codes (pytest's numbers, so that a gate session is an ordinary pytest run).
EXIT_OK, EXIT_NOT_PASSED, EXIT_INTERRUPTED, EXIT_USAGE, EXIT_NO_TESTS = 0, 1, 2, 4, 5


@dataclass
class GateSession:
    """The state of one gate session: the runner, what happened, the tag."""

    pathspec: str
    runner: GateRunner
    dry_run: bool = False
    keep_on_fail: bool = False
    outcome: SessionOutcome = field(default_factory=SessionOutcome)
    results: list[CheckResult] = field(default_factory=list)
    decision: TagDecision | None = None
    tag_line: str = ""
    tag_error: str = ""
    carried_before: bool = False  # the run carried the tag when the session decided
    interrupted: bool = False  # Ctrl-C or pytest.exit in this process, or an interrupt while writing the tag
    report_errors: list[str] = field(default_factory=list)
    recheck_line: str = ""  # another writer changed the tag after this session wrote it
    outage: str = ""  # a test met a Metaflow outage (MetaflowUnavailable): no verdict, no tag change
    config_line: str = ""  # which config file, and why (the front end chose it)
    holdout_line: str = ""  # the validation data has gated more candidates than max_holdout_reuse
    record: dict[str, Any] | None = None  # the verdict's record, once written

    @property
    def config(self) -> GateConfig:
        return self.runner.config

    @property
    def settings(self) -> GateSettings:
        return self.runner.config.settings

    @property
    def baselines(self) -> Baselines:
        return self.runner.baselines

    @property
    def champion(self) -> str | None:
        """The champion's pathspec (or --gate-baseline-run's), or None; looked up on first read."""
        return self.baselines.champion

    @property
    def notes(self) -> list[str]:
        """Warnings to show people: runs skipped as unreadable, data warnings."""
        return self.baselines.notes

    # -- xdist: what the controller resolved, handed to each worker ------------------
    def shared(self) -> dict[str, Any]:
        baselines = self.baselines
        shared: dict[str, Any] = {"pathspec": self.pathspec, "named": baselines.named}
        if baselines.champion_line() and baselines.resolved:  # else each worker looks it up (and fails) itself
            shared["champion"] = (baselines.champion, baselines.no_champion_reason, baselines.champion_label)
        return shared

    @classmethod
    def for_worker(
        cls, shared: dict[str, Any], config: GateConfig, *, dry_run: bool, keep_on_fail: bool
    ) -> GateSession:
        # The controller resolved the named baselines: a worker never resolves them again.
        baselines = Baselines(
            shared["pathspec"],
            tag=config.settings.tag,
            model_artifact=config.settings.model_artifact,
            named=shared["named"],
        )
        runner = GateRunner(config, baselines, _smoke_cases(config))
        if "champion" in shared:
            runner.baselines.fix_champion(*shared["champion"])
        return cls(shared["pathspec"], runner, dry_run=dry_run, keep_on_fail=keep_on_fail)

    # -- evidence, loaded lazily (in each xdist worker) -------------------------
    @cached_property
    def run(self) -> Any:
        return runs.get_run(self.pathspec)

    @cached_property
    def data(self) -> Any:
        return runs.load_artifact(self.pathspec, self.settings.data_artifact, role=CANDIDATE)

    @cached_property
    def model(self) -> Any:
        """The candidate's model, through its model source (:mod:`modelgate.metaflow_io.models`)."""
        settings = self.settings
        return models.load_model(self.pathspec, settings.model_artifact, role=CANDIDATE, source=settings.model_source)

    @property
    def scorer(self) -> Scorer:
        """The candidate's scorer (for the evidence's task), cached."""
        return self.evaluation.candidate_scorer  # type: ignore[return-value]

    @property
    def smoke_cases(self) -> list[AnyCase]:
        return list(self.runner.smoke_cases)

    @cached_property
    def evaluation(self) -> Evaluation:
        """The evidence, computed once: the candidate scored on the validation rows
        (read, and warned about, once), for the task the config names or the model implies."""
        where = f"artifact {self.settings.model_artifact!r} of candidate run {self.pathspec}"
        return self.runner.evidence(self.model, self.data, where)

    def checks(self) -> list[Check]:
        # Slices read the validation frame (its columns and values), not the scores.
        return self.runner.checks(self.data if self.config.slices else None)

    # -- what people read ------------------------------------------------------------
    def header(self) -> list[str]:
        """The session header: the run, the champion, the config, the data, the task, warnings."""
        mode = " (dry run)" if self.dry_run else ""
        source = self.config.source
        return [
            f"model run: {self.pathspec} (modelgate manages tag {self.settings.tag!r}{mode})",
            f"{self.baselines.champion_label}: {self.baselines.champion_line()}",
            f"gate config: {self.config_line or source or 'none found (defaults and command line)'}",
            self._data_line(),
            *self._task_line(),
            *(f"modelgate warning: {note}" for note in self.notes),
            *self._power_lines(),
        ]

    def _power_lines(self) -> list[str]:
        """What each bound-based check can detect at this n (once the evidence is read)."""
        evidence = self.__dict__.get("evaluation")
        if evidence is None:
            return []
        from ..report.power import power_lines

        return power_lines(self.runner.early_results(evidence), self.config.power_effect)

    def _data_line(self) -> str:
        """Which validation data the gate judges on: the artifact, its run, its rows (once read)."""
        evidence = self.__dict__.get("evaluation")
        rows = f", {evidence.n:,} rows" if evidence is not None else ""
        return f"data: artifact {self.settings.data_artifact!r} of {self.pathspec}{rows}"

    def _task_line(self) -> list[str]:
        """What the gate judges: the task, the rows and what the model receives (once scored)."""
        evidence = self.__dict__.get("evaluation")  # never scores the model just to print a header
        if evidence is None:
            return []
        inferred = "" if self.settings.task else " (inferred)"
        if evidence.task == BINARY:
            classes = _positive_class(evidence.classes)
        else:
            classes = f", {len(evidence.classes)} classes" if evidence.classes else ""
        if evidence.features is not None:
            inputs = f"{evidence.features.shape[1]} feature columns (a DataFrame)"
        else:
            inputs = f"text column {self.settings.text_column!r}"
        rows = f"{evidence.n} validation rows"
        if evidence.groups is not None:  # the bounds count groups, not rows: say how many
            groups = len(set(evidence.groups.tolist()))
            rows += f" in {groups:,} groups of {self.settings.group_column!r}"
        return [f"task: {evidence.task}{inferred}{classes}; {rows}; the model receives {inputs}"]

    def summary_lines(self) -> list[tuple[str, str]]:
        """The closing summary as (line, colour): the verdict table, then what
        happened to the tag (red: something failed; green: applied)."""
        from ..report.render import inconclusive_passed, inconclusive_warning, verdict_table
        from ..text import printable

        verdict = self.verdict()
        lines = [(verdict_table(verdict), "")] if self.results else []  # escaped cell by cell
        let_pass = inconclusive_passed(verdict)
        if let_pass:  # passed on data that could not decide: say so beside the tag
            names = ", ".join(r.name for r in let_pass)
            lines.append((printable(f"modelgate: WARNING: {inconclusive_warning(let_pass)} ({names})"), "yellow"))
        lines += [(printable(f"modelgate: {error}"), "red") for error in self.report_errors[1:]]
        if self.recheck_line:
            lines.append((printable(f"modelgate: WARNING: {self.recheck_line}"), "red"))
        if self.holdout_line:
            lines.append((printable(f"modelgate: WARNING: {self.holdout_line}"), "yellow"))
        applied = self.decision is not None and self.decision.action == "apply" and not self.dry_run
        failed = self.tag_error or self.report_errors or self.recheck_line
        lines.append((printable(f"modelgate: {self.tag_line}"), "red" if failed else "green" if applied else "yellow"))
        return lines

    # -- the end: decide and act ------------------------------------------------
    def finish(self, files: ReportFiles | None) -> int:
        """Decide, write the reports, then the tag; the session's exit code.

        The reports are written before the tag: one that cannot be written
        stops the gate with no tag change. They are written again only when
        the tag write changed the story (an outage, an interrupt).
        """
        self.decide_tag()
        self.report_errors = files.write(self.verdict()) if files else []
        if self.report_errors:
            self.tag_line = f"FAILED: {self.report_errors[0]}; no tag was changed"
            if files:  # the reports that could be written must not say "applied"
                files.write(self.verdict())
            return EXIT_USAGE
        line = self.tag_line
        self.record_verdict()  # before the tag: a verdict that cannot be recorded changes no tag
        self.carry_out()
        self.correct_record()  # the tag write failed: the record must not say it was done
        self.count_holdout()  # advice, after the tag: a slow or interrupted count changes nothing
        if self.tag_line != line and files:
            self.report_errors = files.write(self.verdict())
        return self.exit_status()

    def record_verdict(self) -> None:
        """Write the verdict record on the candidate's end task (:mod:`modelgate.metaflow_io.records`);
        a record that cannot be written fails the session as a failed tag write does."""
        decision = self.decision
        if decision is None or decision.dry_run or self.tag_error or self.outage:
            return  # nothing decided, or a dry run: nothing is written
        try:
            data = records.data_fingerprint(self.data)
            verdict = self.verdict()
            record = records.build_record(
                verdict,
                self.config,
                front_end="pytest",
                data=data,
                champion=verdict.champion,  # the one the reports name
                champion_label=verdict.champion_label,  # --gate-baseline-run's run is no champion
                tag_action=decision.action,
                tag_reason=decision.reason,
            )
            records.write_record(self.pathspec, record)
            self.record = record
        except KeyboardInterrupt:
            self.interrupted = True
            self.tag_error = f"interrupted while recording the verdict on {self.pathspec}"
            self.tag_line = f"FAILED: {self.tag_error}; no tag was changed"
            return
        except Exception as exc:
            self.tag_error = f"could not record the verdict on {self.pathspec}: {tagging.describe_error(exc)}"
            self.tag_line = f"FAILED: {self.tag_error}; no tag was changed"
            return

    def correct_record(self) -> None:
        """After a recorded verdict whose tag change could not be written: a second record
        saying so (:func:`~modelgate.metaflow_io.records.tag_not_written`), so that the
        history never shows a tag applied (or revoked) that was not."""
        if self.record is None or not self.tag_error:
            return
        try:
            records.write_record(self.pathspec, records.tag_not_written(self.record, self.tag_error))
        except BaseException as exc:  # an outage, a second interrupt: say what the history still shows
            said = "interrupted" if isinstance(exc, KeyboardInterrupt) else tagging.describe_error(exc)
            action = self.record["tag"]["action"]
            self.tag_line += f"; the verdict's record still says {action!r} and could not be corrected: {said}"

    def count_holdout(self) -> None:
        """The holdout-reuse warning, once the verdict is on record and the tag written."""
        if self.record is None:
            return
        try:
            self.holdout_line = self._holdout_line(str(self.record["data_fingerprint"]))
        except KeyboardInterrupt:  # it reads many runs: Ctrl-C here leaves the verdict and the tag as they are
            self.holdout_line = "holdout reuse not counted: interrupted"

    def _holdout_line(self, data: str) -> str:
        """A warning when this validation set has gated more candidates than ``max_holdout_reuse``."""
        return records.holdout_warning(self.pathspec, data, self.config.max_holdout_reuse)

    def exit_status(self) -> int:
        """The exit code carries the verdict (README, "Exit codes"): 0 only when
        the tag was applied (in a dry run, would be); bad input 4; an interrupt 2;
        otherwise pytest's own code, or 1 where pytest would say 0."""
        if self.report_errors:
            return EXIT_USAGE
        if self.interrupted:  # Ctrl-C or pytest.exit (any return code) here, or during the tag write
            return EXIT_INTERRUPTED
        passed = self.decision is not None and self.decision.action == "apply"
        status = self.outcome.exitstatus
        if status == EXIT_NO_TESTS and (self.outcome.deselected or self.outcome.removed):
            return EXIT_NOT_PASSED  # everything was deselected: narrowed, not "nothing collected"
        if self.tag_error or self.recheck_line or (not passed and status == EXIT_OK):
            return EXIT_NOT_PASSED
        return status

    def decide_tag(self) -> TagDecision:
        """Decide on the tag and say what would happen to it (``tag_line``).

        Nothing is written yet: the plugin writes the reports first, so that a
        report that cannot be written stops the gate before the tag changes.
        """
        decision = decide(self.outcome, dry_run=self.dry_run, keep_on_fail=self.keep_on_fail)
        self.decision = decision
        if self.outage:  # the evidence could not be read: nothing is decided, nothing written
            self.tag_error = self.outage
            self.tag_line = f"FAILED: {self.outage}; no tag was changed"
            return decision
        try:
            self.carried_before = tagging.has_tag(self.pathspec, self.settings.tag)
        except KeyboardInterrupt:  # Ctrl-C while reading the tags (a slow service): no traceback
            self.interrupted = True
            self.tag_error = f"interrupted while reading the tags of {self.pathspec}"
            self.tag_line = f"FAILED: {self.tag_error}; no tag was changed"
            return decision
        except Exception as exc:  # an outage: say so, and change nothing
            self.tag_error = f"could not read the tags of {self.pathspec}: {tagging.describe_error(exc)}"
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
            self.tag_error = f"could not {decision.action} tag {tag!r} on {run}: {tagging.describe_error(exc)}"
            self.tag_line = f"FAILED: {self.tag_error} ({self._carries_now()})"

    def recheck(self) -> str:
        """Re-read the tag at the very end: '' when the run carries what this
        session left, else a line saying that another writer changed it."""
        self.recheck_line = self._recheck()
        return self.recheck_line

    def _recheck(self) -> str:
        decision = self.decision
        if decision is None or decision.dry_run or self.tag_error or self.report_errors:
            return ""  # nothing was written
        expected = {"apply": True, "revoke": False}.get(decision.action, self.carried_before)
        try:
            now = tagging.has_tag(self.pathspec, self.settings.tag)
        except KeyboardInterrupt:
            return f"could not re-read the tags of {self.pathspec}: interrupted"
        except Exception as exc:
            return f"could not re-read the tags of {self.pathspec}: {tagging.describe_error(exc)}"
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

    def verdict(self) -> Verdict:
        return self.runner.verdict(
            self.results,
            run=self.pathspec,
            decision=self._reported_decision(),
            tag_line=self.tag_line,
            error=self.tag_error or (self.report_errors[0] if self.report_errors else ""),
        )

    def _reported_decision(self) -> TagDecision | None:
        """The decision as the reports give it. When the tags could not be read or
        written (a metadata service outage, a lost write, an interrupt), the
        reports say action "none" and why: never "apply" or "revoke" for a change
        that did not happen (nor for one never tried: a report could not be written).
        The session's own decision (exit code) is unchanged."""
        decision = self.decision
        if decision is None or decision.action == "none" or not (self.tag_error or self.report_errors):
            return decision
        return replace(
            decision, action="none", reason=f"{decision.reason}; but the run's tags could not be read or written"
        )


def _smoke_cases(config: GateConfig) -> list[AnyCase]:
    from ..runner import load_smoke_cases

    return load_smoke_cases(config)


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

    Checks now what would otherwise fail inside a test (and count as an error
    there, not a verdict): the run, the artifacts, the data, the smoke cases,
    the model. Warnings (skipped unreadable runs, duplicate rows) become the
    session's notes.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runner, pathspec = GateRunner.open(
            spec, flow=flow, namespace=namespace, config=config or GateConfig(), baseline_run=baseline_run
        )
        session = GateSession(pathspec, runner, dry_run=dry_run, keep_on_fail=keep_on_fail)
        session.evaluation  # noqa: B018  (read for its checks) the data, the task, the model and its output: checked before any test
        session.checks()  # slices the data cannot have (a missing column, too many values): before any test
        runner.baselines.champion_line()  # looked up now, whatever the verbosity: the reports name it
    runner.baselines.keep_notes(caught)
    return session


def _positive_class(classes: tuple[Any, ...]) -> str:
    """ ", positive class 2 (of 1, 2)" for the header, unless it is 1 (True) of 0/1 (False/True)."""
    from ..evidence.classes import shown, sorted_values

    if len(classes) != 2 or ({*classes} == {0, 1} and classes[1] == 1):  # also 0.0/1.0: nothing to say
        return ""
    return f", positive class {shown(classes[1:])} (of {shown(sorted_values(classes))})"
