"""The quality gate as a Metaflow flow: it gates an NLPFlow run in parallel tasks
and tags it ``deployment_candidate`` only when every check passed.

    python examples/gateflow.py run --model-run NLPFlow/1234     # by hand, any run
    python examples/gateflow.py --trigger NLPFlow/1234 run       # as if NLPFlow/1234 had triggered it

Deployed (``argo-workflows create``), it runs whenever an NLPFlow run finishes
(``@trigger_on_finish``), and the triggering run is the candidate.

The gate is ``pyproject.toml`` beside this file, the same ``[tool.modelgate]``
table the pytest gate (``pytest examples/gate --model-run=...``) and NLPFlow's
end step read, with its smoke cases (``gate/smoke_cases.csv``). Metaflow's code
package takes only ``.py``, ``.R`` and ``.RDS`` files by default, so deploy it
with the TOML and CSV files included::

    python examples/gateflow.py --package-suffixes .py,.toml,.csv argo-workflows create

(or ``export METAFLOW_DEFAULT_PACKAGE_SUFFIXES=.py,.toml,.csv``). A package
without the config fails in ``start``, and so tags nothing.

start (the candidate; one entry a check kind) -> check (foreach: one task a
kind, each scoring the model and running its checks) -> join (one Verdict)
-> end (the verdict recorded on the candidate's end task, then the tag: applied
when every check passed, else removed).
"""

from pathlib import Path

from metaflow import FlowSpec, Parameter, current, step, trigger_on_finish

CONFIG = Path(__file__).resolve().parent / "pyproject.toml"


def gate_config():
    """The gate: the whole [tool.modelgate] table of the file beside this one (no search: the code package holds it)."""
    from modelgate.config import load_config

    return load_config(CONFIG, required=True)


@trigger_on_finish(flow="NLPFlow")
class GateFlow(FlowSpec):
    model_run = Parameter(
        "model-run", default="", help="The run to gate (Flow/run_id), when no NLPFlow run triggered this one."
    )

    @step
    def start(self):
        "The candidate run, and the kinds of check its gate declares (one parallel task each)."
        from modelgate.runner import GateRunner

        trigger = current.get("trigger")
        if trigger is not None and trigger.run is not None:
            self.candidate = trigger.run.pathspec
        elif self.model_run:
            self.candidate = self.model_run
        else:
            raise ValueError("nothing to gate: give --model-run Flow/run_id, or let an NLPFlow run trigger the flow")
        if not CONFIG.is_file():
            raise FileNotFoundError(
                f"the gate config {CONFIG.name} is not in the code package: "
                "deploy with --package-suffixes .py,.toml,.csv"
            )
        config = gate_config()
        # A run that does not exist, has not finished or lacks the artifacts stops here, tagging nothing.
        runner, self.candidate = GateRunner.open(self.candidate, config=config)
        from modelgate.metaflow_io import runs
        from modelgate.metaflow_io.records import data_fingerprint
        from modelgate.names import CANDIDATE

        # The slices the data cannot have (a column the run's frame lacks) stop the flow here.
        data = runs.load_artifact(self.candidate, config.settings.data_artifact, role=CANDIDATE)
        runner.checks(data)
        self.data_fingerprint = data_fingerprint(data)  # for the verdict's record
        self.kinds = runner.kinds()  # the order both front ends run them in
        if not self.kinds:
            raise ValueError(f"{CONFIG} declares no check: a gate with no check cannot pass")
        print(f"gating {self.candidate}: {', '.join(self.kinds)} checks in parallel")
        self.next(self.check, foreach="kinds")

    @step
    def check(self):
        "Score the candidate's model once and run this task's kind of check."
        from modelgate.metaflow_io import runs
        from modelgate.names import CANDIDATE
        from modelgate.runner import GateRunner

        config = gate_config()
        runner, pathspec = GateRunner.open(self.candidate, config=config)
        settings = config.settings
        model = runs.load_artifact(pathspec, settings.model_artifact, role=CANDIDATE)
        data = runs.load_artifact(pathspec, settings.data_artifact, role=CANDIDATE)
        evidence = runner.evidence(model, data, f"artifact {settings.model_artifact!r} of candidate run {pathspec}")
        mine = [check for check in runner.checks(data) if check.check_kind == self.input]
        self.kind = self.input
        self.results = [result.to_dict() for result in runner.evaluate(evidence, mine)]
        self.champion = runner.baselines.champion if runner.baselines.resolved else None
        passed = sum(result["passed"] for result in self.results)
        print(f"{self.kind}: {passed} of {len(self.results)} passed")
        self.next(self.join)

    @step
    def join(self, inputs):
        "Gather every task's results into one verdict."
        from modelgate.verdict import CheckResult, Verdict

        self.candidate = inputs[0].candidate
        self.data_fingerprint = inputs[0].data_fingerprint
        by_kind = {task.kind: task for task in inputs}
        champions = {task.champion for task in inputs if task.champion}
        if len(champions) > 1:  # the tasks compared with different runs: no verdict
            raise RuntimeError(f"the check tasks saw different champions: {sorted(champions)}")
        results = [CheckResult.from_dict(r) for kind in inputs[0].kinds for r in by_kind[kind].results]
        self.verdict = Verdict(results=results, run=self.candidate, champion=next(iter(champions), None))
        self.gate_verdict = self.verdict.to_dict()
        print(self.verdict.summary())
        self.next(self.end)

    @step
    def end(self):
        "Record the verdict on the candidate, then tag it when every check passed (else make sure it carries no tag)."
        from modelgate.metaflow_io import records
        from modelgate.metaflow_io.tagging import apply_tag, revoke_tag

        config = gate_config()
        tag = config.settings.tag
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
        records.write_record(self.candidate, record)
        try:
            if self.passed:
                apply_tag(self.candidate, tag)
            else:
                removed = revoke_tag(self.candidate, tag)
        except Exception as exc:  # the record announced a tag change: say on record that it was not made
            error = f"could not {record['tag']['action']} tag {tag!r} on {self.candidate}: {exc}"
            records.write_record(self.candidate, records.tag_not_written(record, error))
            raise
        if self.passed:
            print(f"{self.candidate}: tagged {tag!r}")
        else:
            failed = ", ".join(r.name for r in self.verdict.failures)
            print(f"{self.candidate}: not tagged {tag!r} ({'tag removed; ' if removed else ''}failed: {failed})")


if __name__ == "__main__":
    GateFlow()
