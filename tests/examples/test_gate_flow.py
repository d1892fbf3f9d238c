"""The gate as a Metaflow flow (examples/gateflow.py: modelgate's GateFlow, deployed for
NLPFlow by examples/gateflow.toml), run for real on local Metaflow.

It gates the run that triggered it (``@trigger_on_finish(flow="NLPFlow")``;
locally, Metaflow's ``--trigger NLPFlow/<id>`` stands in for the event) or the
run given as ``--model-run``: the validation rows scored in parallel shards, one
verdict in the join, the tag in ``end`` only when every check passed.
"""

import os

import pytest

from helpers import EXAMPLES

pytestmark = pytest.mark.slow  # Metaflow runs of its own (and TensorFlow in three tasks)

GATEFLOW = EXAMPLES / "gateflow.py"
TAG = "deployment_candidate"


def run_gateflow(*, trigger: str | None = None, model_run: str | None = None, shards: int = 0):
    """Run the example's GateFlow to its end (or its failure); (status, Run, output)."""
    from metaflow import Runner

    top_level = {"trigger": [trigger]} if trigger else {}
    params = {"model_run": model_run} if model_run else {}
    params |= {"shards": shards} if shards else {}
    cwd = os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"]  # where run_flow runs flows (cards)
    with Runner(str(GATEFLOW), show_output=False, cwd=cwd, **top_level).run(**params) as running:
        return running.status, running.run, running.stdout + running.stderr


@pytest.fixture
def untagged(demo_run):
    """The demo NLPFlow run without the gate's tag; its tags as they were, afterwards."""
    from modelgate.metaflow_io.tagging import apply_tag, has_tag, revoke_tag

    carried = has_tag(demo_run, TAG)
    revoke_tag(demo_run, TAG)
    yield demo_run
    (apply_tag if carried else revoke_tag)(demo_run, TAG)


def test_triggered_gate_flow_tags_the_run_and_stores_the_verdict(untagged):
    from modelgate import Gate
    from modelgate.metaflow_io.tagging import has_tag
    from modelgate.verdict import Verdict

    status, run, output = run_gateflow(trigger=untagged, shards=2)

    assert status == "successful", output
    assert run.data.candidate == untagged  # the triggering run, not the (empty) parameter
    assert len(list(run["score"].tasks())) == 2  # one parallel task a shard
    assert run["start"].task.data.n_rows == sum(s["stop"] - s["start"] for s in run["start"].task.data.shard_plan)
    verdict = run.data.verdict
    assert isinstance(verdict, Verdict) and verdict.run == untagged
    expected = Gate.from_config(EXAMPLES / "pyproject.toml")
    slices = 6  # the demo reviews' 2 length buckets and 4 garments, for one check
    assert len(verdict.results) == len(expected.checks) + slices + len(expected.properties) + len(expected.smoke_cases)
    assert len(verdict.results) == 24
    assert sum(r.slice is not None for r in verdict.results) == slices
    assert verdict.passed and run.data.passed, verdict.summary()
    assert run.data.gate_verdict["passed"] is True
    assert [r["name"] for r in run.data.gate_verdict["results"]] == [r.name for r in verdict.results]
    assert has_tag(untagged, TAG)  # the candidate, not the gate's own run
    assert TAG not in run.user_tags
    import modelgate

    record = modelgate.history(untagged)[-1]  # on the candidate's end task, written before the tag
    assert (record["front_end"], record["passed"], record["tag"]["action"]) == ("GateFlow", True, "apply")
    assert record["tag"]["reason"] == f"GateFlow {run.pathspec}"
    assert [r["name"] for r in record["verdict"]["results"]] == [r.name for r in verdict.results]


def test_a_run_that_cannot_be_gated_stops_the_flow_and_tags_nothing(untagged):
    from modelgate.metaflow_io.tagging import has_tag

    flow = untagged.split("/")[0]
    status, run, output = run_gateflow(model_run=f"{flow}/no-such-run")

    assert status == "failed"
    assert "no such run" in output, output
    assert not run["start"].task.successful
    assert "end" not in [step.id for step in run]
    assert not has_tag(untagged, TAG)
