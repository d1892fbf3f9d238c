"""``GateFlow``: the quality gate as a Metaflow flow, shipped in modelgate and configured
by a Metaflow ``Config``, not by edits to its source.

Deploy it beside a training flow with a file of three lines::

    from modelgate.flow import GateFlow

    class NLPGateFlow(GateFlow): ...

    if __name__ == "__main__":
        NLPGateFlow()

and a deployment file (:mod:`modelgate.config.deployment`; ``gateflow.toml`` in the folder
it is launched from, or ``--config gate FILE``) naming the training flow, its ``@project``,
the gate and the tag::

    python nlp_gate.py run --model-run NLPFlow/1234        # gate one run by hand
    python nlp_gate.py --trigger NLPFlow/1234 run          # as if NLPFlow/1234 had triggered it
    python nlp_gate.py argo-workflows create               # run whenever an NLPFlow run finishes

The flow: ``start`` resolves the candidate (the triggering run, or ``--model-run``),
checks the gate against it and cuts the validation rows into shards; ``score`` (a
``foreach``, one task a shard, where ``@resources`` or ``@kubernetes`` go) scores the
shard with the candidate and every run baseline; ``join`` merges the scores in row
order (a lost or doubled shard is an error) and runs every check; ``end`` records the
verdict on the candidate's end task, then tags it when every check passed (else
removes the tag). Anything wrong is one line, and tags nothing.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import metaflow
from metaflow import Config, FlowMutator, FlowSpec, Parameter, config_expr, current, step

from .step_gate import GateStepError

__all__ = ["GateFlow", "candidate_of", "gate_deployment"]

CONFIG_NAME = "gate"  # --config gate FILE
DEFAULT_FILE = "gateflow.toml"


def _flow_folder() -> Path:
    """The folder of the flow file being launched (the subclass's): where the deployment
    file is looked for, and what the paths in it are relative to, as for ``@gate``."""
    from metaflow.parameters import current_flow

    # The class being launched (by the command line, or by Metaflow's Runner, which loads the
    # flow file as a module it keeps out of sys.modules), else the script that was started.
    folder = getattr(getattr(current_flow, "flow_cls", None), "_modelgate_folder", None)
    return folder or Path(os.path.abspath(sys.argv[0])).parent


def _default_file(context: Any) -> str:
    return str(_flow_folder() / DEFAULT_FILE)


def _parse(text: str) -> dict[str, Any]:
    """Metaflow's parser for the deployment file: its value, or one line naming the key."""
    from .config.deployment import read_deployment
    from .errors import GateUsageError

    try:
        return read_deployment(text, _flow_folder())
    except GateUsageError as exc:
        raise GateStepError(str(exc)) from None


class gate_deployment(FlowMutator):  # noqa: N801  (a decorator: spelled as Metaflow's own)
    """Keeps the flow's ``@project`` and ``@trigger_on_finish`` only when the deployment file
    names a project and a training flow.

    They are declared on the class, not added here: Metaflow gives the command-line options
    of a flow decorator (``--branch``, ``--production``, ``--trigger``) only to decorators
    declared in code."""

    def pre_mutate(self, mutable_flow: Any) -> None:
        value = dict(mutable_flow.configs).get(CONFIG_NAME) or {}
        if not value.get("project"):
            mutable_flow.remove_decorator("project")
        if not value.get("flow"):
            mutable_flow.remove_decorator("trigger_on_finish")


def _gate(value: Any) -> Any:
    from .config.deployment import deployment_gate
    from .errors import GateUsageError

    try:
        return deployment_gate(value)
    except GateUsageError as exc:
        raise GateStepError(str(exc)) from None


def _peak_memory_mb() -> float:
    """This task's peak resident memory, in MB (Linux reports KB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


@gate_deployment
@metaflow.trigger_on_finish(flow=config_expr(f"{CONFIG_NAME}.flow"))  # type: ignore[attr-defined]  # made at import
@metaflow.project(name=config_expr(f"{CONFIG_NAME}.project"))  # type: ignore[attr-defined]
class GateFlow(FlowSpec):
    """The gate of one training flow's runs: subclass it (its name is the deployed flow's)."""

    _modelgate_folder: Path | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The file the subclass is defined in: the first module-level frame up the stack.
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_name != "<module>":
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None and frame.f_globals.get("__file__"):
            cls._modelgate_folder = Path(os.path.abspath(frame.f_globals["__file__"])).parent

    gate = Config(
        CONFIG_NAME,
        default=_default_file,
        parser=_parse,
        help="The deployment file: [gateflow] flow, project, gate, tag, shards (modelgate docs, 'GateFlow').",
    )
    model_run = Parameter(
        "model-run", default="", help="The run to gate (Flow/run_id), when no training run triggered this one."
    )
    shards = Parameter("shards", default=0, type=int, help="Score the validation rows in N shards (0: the config's).")
    rows_per_shard = Parameter(
        "rows-per-shard", default=0, type=int, help="Or cut shards of this many rows (0: the config's)."
    )

    @step
    def start(self) -> None:
        "The candidate, its gate checked against it, and its validation rows cut into shards."
        from .errors import GateUsageError, MetaflowUnavailable

        try:
            self._start()
        except (GateUsageError, MetaflowUnavailable) as exc:  # bad input, or an outage: one line
            raise GateStepError(str(exc)) from None
        self.next(self.score, foreach="shard_plan")

    def _start(self) -> None:
        from dataclasses import asdict

        from .errors import GateUsageError, MetaflowUnavailable
        from .evidence.shards import plan_shards
        from .metaflow_io import records, runs
        from .names import CANDIDATE, CHAMPION
        from .runner import GateRunner

        config = _gate(self.gate)
        self.candidate = candidate_of(
            current.get("trigger"),
            model_run=str(self.model_run),
            gate_name=str(current.flow_name),
            deployment=self.gate,
            branch=current.get("branch_name"),
        )
        # A run that does not exist, has not finished or lacks the artifacts stops here.
        runner, self.candidate = GateRunner.open(self.candidate, config=config)
        settings = config.settings
        data = runs.load_artifact(self.candidate, settings.data_artifact, role=CANDIDATE)
        checks = runner.checks(data)  # slices the data cannot have stop the flow here
        if not checks:
            raise GateStepError("the gate declares no check: a gate with no check cannot pass")
        self.checks = [check.name for check in checks]  # the join's verdict must have each, in this order
        model, _ = self._candidate_model(settings)
        self.task, self.classes, _ = runner.task_of(model, data)
        # The runs the checks name, resolved once (a name such as Flow/latest-successful may mean
        # another run by the time a shard runs): every shard and the join compare with these.
        self.named_runs = dict(runner.baselines.named)
        try:
            self.champion = runner.baselines.champion
            self.no_champion_reason = runner.baselines.no_champion_reason
        except (GateUsageError, MetaflowUnavailable) as exc:
            if CHAMPION in config.baseline_names:
                raise  # a check compares with it (GateRunner.open looked it up already)
            # As in the pytest gate: a champion no check compares with never stops the gate.
            self.champion, self.no_champion_reason = None, str(exc)
        # Scored in the shards: the run baselines the checks compare with (the label-only ones need no model).
        found = {**self.named_runs, **({CHAMPION: self.champion} if self.champion else {})}
        self.scored_runs = {name: pathspec for name, pathspec in found.items() if name in config.baseline_names}
        self.data_fingerprint = records.data_fingerprint(data)
        self.n_rows = len(data)
        # --shards or --rows-per-shard, else the deployment file's
        shards, rows_per_shard = int(self.shards), int(self.rows_per_shard)  # type: ignore[call-overload]
        if not (shards or rows_per_shard):
            shards, rows_per_shard = int(self.gate.get("shards", 0)), int(self.gate.get("rows_per_shard", 0))
        plan = plan_shards(self.n_rows, shards=shards, rows_per_shard=rows_per_shard)
        self.shard_plan = [asdict(shard) for shard in plan]
        for shard in plan:  # each shard's rows an artifact of its own: a shard task loads only its rows
            setattr(self, _rows_artifact(shard.index), data.iloc[shard.start : shard.stop])
        scored = ", ".join([CANDIDATE, *self.scored_runs])
        print(f"gating {self.candidate}: {self.n_rows} validation rows in {len(plan)} shard(s), scoring {scored}")

    @step
    def score(self) -> None:
        "Score this shard's rows with the candidate and every run baseline."
        from .errors import GateUsageError, MetaflowUnavailable
        from .evidence.shards import Shard

        planned = dict(self.input or {})
        shard = Shard(**planned)
        began = time.time()
        try:
            self.shard_scores = {"shard": planned, "scores": self._score(shard)}
        except (GateUsageError, MetaflowUnavailable) as exc:
            raise GateStepError(f"{shard.describe()} of {self.candidate}: {exc}") from None
        self.shard_seconds = time.time() - began
        self.peak_memory_mb = _peak_memory_mb()
        print(f"{shard.describe()}: scored in {self.shard_seconds:.1f} s, peak memory {self.peak_memory_mb:.0f} MB")
        self.next(self.join)

    def _score(self, shard: Any) -> dict[str, Any]:
        from .evidence.evaluation import validation_inputs
        from .names import CANDIDATE
        from .runner import candidate_scorer

        config = _gate(self.gate)
        settings = config.settings
        name = _rows_artifact(shard.index)
        rows = getattr(self, name)
        # Metaflow keeps a loaded artifact on the flow object and, at the end of the task, pickles
        # every attribute again to see whether it is new: the shard's rows, as large as they are
        # (+0.9 GB and a second of pickling for 1,000,000 rows; benchmarks/bench_shards.py). The
        # inherited artifact stays the task's without being read again.
        vars(self).pop(name, None)
        if len(rows) != shard.rows:
            raise GateStepError(f"{shard.describe()} holds {len(rows)} rows, not {shard.rows}")
        inputs, _ = validation_inputs(rows, settings)
        model, where = self._candidate_model(settings)
        scorers = {CANDIDATE: candidate_scorer(model, self.task, self.classes, where)}
        baselines = self._runner(config).baselines.scorers(self.task, self.classes)
        scorers.update({name: baselines[name] for name in self.scored_runs})
        return {name: _scores_of(name, scorer, inputs) for name, scorer in scorers.items()}

    def _candidate_model(self, settings: Any) -> tuple[Any, str]:
        """The candidate's model, through its model source, and where it came from (for messages)."""
        from .metaflow_io import models
        from .names import CANDIDATE

        model = models.load_model(self.candidate, settings.model_artifact, role=CANDIDATE, source=settings.model_source)
        return model, f"artifact {settings.model_artifact!r} of candidate run {self.candidate}"

    def _runner(self, config: Any) -> Any:
        """The gate's runner, with the runs start resolved: the champion and the runs the checks
        name (every task compares with the same runs, never with ones resolved again)."""
        from .runner import Baselines, GateRunner, load_smoke_cases

        settings = config.settings
        baselines = Baselines(
            self.candidate, tag=settings.tag, model_artifact=settings.model_artifact, named=self.named_runs
        )
        baselines.fix_champion(self.champion, self.no_champion_reason)
        return GateRunner(config, baselines, load_smoke_cases(config))

    @step
    def join(self, inputs: Any) -> None:
        "Merge the shards' scores in row order, then run every check on them: one verdict."
        from .errors import GateUsageError, MetaflowUnavailable

        shared = [
            "candidate",
            "champion",
            "no_champion_reason",
            "data_fingerprint",
            "task",
            "classes",
            "n_rows",
            "checks",
        ]
        self.merge_artifacts(inputs, include=[*shared, "named_runs", "scored_runs", "shard_plan"])
        try:
            self.verdict = self._verdict([task.shard_scores for task in inputs])
        except (GateUsageError, MetaflowUnavailable) as exc:
            raise GateStepError(f"{self.candidate}: {exc}") from None
        self.gate_verdict = self.verdict.to_dict()
        self.join_peak_memory_mb = _peak_memory_mb()
        print(self.verdict.summary())
        self.next(self.end)

    def _verdict(self, parts: list[Any]) -> Any:
        from .errors import GateUsageError
        from .evidence.shards import Shard, as_part, merge_shards
        from .metaflow_io import runs
        from .names import CANDIDATE

        config = _gate(self.gate)
        settings = config.settings
        plan = [Shard(**raw) for raw in self.shard_plan]
        scores = merge_shards([as_part(raw) for raw in parts], plan, self.n_rows)
        runner = self._runner(config)
        data = runs.load_artifact(self.candidate, settings.data_artifact, role=CANDIDATE)
        model, where = self._candidate_model(settings)
        evidence = runner.evidence(model, data, where, scores=scores)
        results = runner.evaluate(evidence)
        if [result.name for result in results] != self.checks:  # a check lost on the way is no pass
            raise GateUsageError(f"the join ran {len(results)} checks, start planned {len(self.checks)}")
        return runner.verdict(results, run=self.candidate)

    @step
    def end(self) -> None:
        "Record the verdict on the candidate, then tag it when every check passed (else make sure it has no tag)."
        from .metaflow_io import records
        from .metaflow_io.outages import describe_error
        from .metaflow_io.tagging import apply_tag, revoke_tag

        config = _gate(self.gate)
        tag = config.settings.tag
        self._check_champion(config)  # a resumed (or slow) run: start's champion must still be the one
        self.passed = self.verdict.passed
        # On record before the tag: a record that cannot be written fails this step, tagging nothing.
        record = records.build_record(
            self.verdict,
            config,
            front_end="GateFlow",
            data=self.data_fingerprint,
            champion=self.verdict.champion,
            tag_action="apply" if self.passed else "revoke",
            tag_reason=f"GateFlow {current.flow_name}/{current.run_id}",
        )
        try:
            records.write_record(self.candidate, record)
        except Exception as exc:
            raise GateStepError(
                f"could not record the verdict on {self.candidate}: {describe_error(exc)}; no tag was changed"
            ) from None
        removed = False
        try:
            if self.passed:
                apply_tag(self.candidate, tag)
            else:
                removed = revoke_tag(self.candidate, tag)
        except Exception as exc:  # the record announced a tag change: say on record that it was not made
            action = record["tag"]["action"]
            error = f"could not {action} tag {tag!r} on {self.candidate}: {describe_error(exc)}"
            try:
                records.write_record(self.candidate, records.tag_not_written(record, error))
            except Exception as again:  # an outage that lasts: say what the history still shows
                error += f"; its record still says {action!r} and could not be corrected: {describe_error(again)}"
            raise GateStepError(error) from None
        if self.passed:
            print(f"{self.candidate}: PASS, tagged {tag!r}")
        else:
            failed = ", ".join(r.name for r in self.verdict.failures)
            print(f"{self.candidate}: FAIL, not tagged {tag!r} ({'tag removed; ' if removed else ''}failed: {failed})")
        # Counted after the tag: advice, which changes no verdict and no tag.
        self.holdout_warning = records.holdout_warning(self.candidate, self.data_fingerprint, config.max_holdout_reuse)
        if self.holdout_warning:
            print(f"WARNING: {self.holdout_warning}")

    def _check_champion(self, config: Any) -> None:
        """The champion the checks compared with must still be the candidate's champion when the
        verdict is recorded: start looked it up, and a run resumed days later (start cloned), or a
        run that another gate's tag overtook, would otherwise tag on a champion dethroned since."""
        from .errors import GateUsageError, MetaflowUnavailable
        from .names import CHAMPION
        from .runner import Baselines, GateRunner

        if CHAMPION not in config.baseline_names:
            return  # no check compared with it
        settings = config.settings
        baselines = Baselines(self.candidate, tag=settings.tag, model_artifact=settings.model_artifact)
        try:
            now = GateRunner(config, baselines).baselines.champion
        except (GateUsageError, MetaflowUnavailable) as exc:
            raise GateStepError(str(exc)) from None
        if now != self.champion:
            raise GateStepError(
                f"the champion of {self.candidate} is now {now or 'none'}, not {self.champion or 'none'} "
                "as when this gate run started: its verdict compared with another run; gate the candidate "
                "again (no record, no tag change)"
            )


def candidate_of(trigger: Any, *, model_run: str, gate_name: str, deployment: Any, branch: str | None) -> str:
    """The run to gate: the one run that triggered the gate (a run of the deployment's
    ``flow``, on the gate's ``@project`` branch), else ``--model-run``. GateStepError otherwise."""
    if trigger is None:
        if not model_run:
            raise GateStepError("nothing to gate: give --model-run Flow/run_id, or let a training run trigger the flow")
        return _model_run(model_run, gate_name, deployment.get("flow"))
    triggering = trigger.runs or []
    if not triggering:
        names = ", ".join(str(event.name) for event in trigger.events or []) or "none"
        raise GateStepError(f"{gate_name} was triggered by an event that names no run ({names}): nothing to gate")
    if len(triggering) > 1:
        shown = ", ".join(run.pathspec for run in triggering)
        raise GateStepError(f"{gate_name} was triggered by {len(triggering)} runs ({shown}): a gate judges one")
    run = triggering[0]
    expected = deployment.get("flow")
    if expected and run.parent.id != expected:
        raise GateStepError(f"{gate_name} gates {expected} runs, but {run.pathspec} triggered it")
    if model_run and _model_run(model_run, gate_name, expected) != run.pathspec:
        raise GateStepError(f"--model-run {model_run} and the triggering run {run.pathspec} differ")
    project = deployment.get("project")
    if project:  # a deployed gate judges its own @project branch's runs only
        from .metaflow_io.runs import project_of

        their_project, their_branch = project_of(run)
        if their_project != project or their_branch != branch:
            raise GateStepError(
                f"{run.pathspec} is on project {their_project!r} branch {their_branch!r}; this gate is "
                f"deployed for project {project!r} branch {branch!r}: it does not gate another branch's runs"
            )
    return str(run.pathspec)


def _model_run(model_run: str, gate_name: str, flow: str | None) -> str:
    """``--model-run``: ``Flow/run_id`` of the deployment's flow (a run of another flow is refused,
    as a triggering one is), or a run id, ``latest`` or ``latest-successful`` of that flow."""
    model_run = model_run.strip()
    if "/" not in model_run:
        if not flow:
            raise GateStepError(f"--model-run {model_run!r} names no flow: give Flow/run_id (or set [gateflow].flow)")
        return f"{flow}/{model_run}"
    if flow and model_run.split("/")[0] != flow:
        raise GateStepError(f"{gate_name} gates {flow} runs, but --model-run names {model_run}")
    return model_run


def _scores_of(name: str, scorer: Any, inputs: Any) -> Any:
    """One model's scores on a shard's rows; its failure is one line naming the model."""
    import numpy as np

    from .errors import GateUsageError
    from .runner import model_failure

    try:
        return np.asarray(scorer(inputs), dtype=float)
    except GateUsageError:
        raise
    except Exception as exc:
        raise model_failure(exc, inputs, f"the {name}'s model", "these rows") from None


def _rows_artifact(index: int) -> str:
    return f"shard_rows_{index}"
