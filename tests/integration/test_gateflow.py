"""modelgate.flow.GateFlow, shipped in the package and configured by a Metaflow Config: real
local Metaflow runs of a three-line subclass (written in tmp_path beside its deployment file)
gating runs of tests/flows/ (PlainFlow, ProjectFlow).

Locally, Metaflow's own ``--trigger Flow/id`` stands in for the event of a finished run, as
Metaflow's trigger tests do; the Argo compilation is in tests/deployments/test_argo.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import modelgate
from helpers import FLOWS, PROJECT, user_tags
from modelgate.metaflow_io.runs import get_run, global_namespace
from modelgate.names import DEFAULT_TAG

pytestmark = pytest.mark.slow  # every test makes Metaflow runs of its own

GATE = FLOWS / "gate_tiny.toml"
SUBCLASS = """\
from modelgate.flow import GateFlow


class TinyGateFlow(GateFlow): ...


if __name__ == "__main__":
    TinyGateFlow()
"""


@dataclass
class Launched:
    returncode: int
    output: str
    pathspec: str | None  # None: Metaflow refused the flow before the run started

    def one_line(self, message: str) -> None:
        assert self.returncode != 0, self.output
        assert message in self.output, self.output
        assert "Traceback" not in self.output, self.output


def _environment() -> dict[str, str]:
    # Flow tasks import modelgate from this checkout, and review_data (PlainFlow's models) from tests/flows.
    paths = [str(PROJECT / "src"), str(FLOWS), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def launch(
    flow_file: Path, *args: str, top: tuple[str, ...] = (), flow_name: str = "TinyGateFlow", command: str = "run"
) -> Launched:
    """``python <flow_file> [top] run [args]`` in the datastore root; the run's pathspec, if it began."""
    root = os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"]
    id_file = Path(tempfile.mkdtemp(prefix="gateflow-", dir=root)) / "run_id"
    line = [sys.executable, str(flow_file), *top, command, "--run-id-file", str(id_file), *args]
    done = subprocess.run(line, cwd=root, env=_environment(), capture_output=True, text=True, timeout=600)
    pathspec = f"{flow_name}/{id_file.read_text().strip()}" if id_file.exists() else None
    return Launched(done.returncode, done.stdout + done.stderr, pathspec)


def deployed(folder: Path, deployment: str) -> Path:
    """The three-line subclass in ``folder``, with ``deployment`` as its gateflow.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gateflow.toml").write_text(deployment)
    flow_file = folder / "tiny_gate.py"
    flow_file.write_text(SUBCLASS)
    return flow_file


def deployment(**keys: object) -> str:
    lines = [f"gate = {json.dumps(str(GATE))}", *(f"{k} = {json.dumps(v)}" for k, v in keys.items())]
    return "[gateflow]\n" + "\n".join(lines) + "\n"


def training_run(flow_file: str, *args: str, top: tuple[str, ...] = ()) -> str:
    flow_name = {"plain_flow.py": "PlainFlow", "project_flow.py": "ProjectFlow"}[flow_file]
    launched = launch(FLOWS / flow_file, *args, top=top, flow_name=flow_name)
    assert launched.returncode == 0, launched.output
    assert launched.pathspec is not None
    return launched.pathspec


def results(verdict: dict) -> list[tuple]:
    return [(r["name"], r["passed"], r["estimate"], r["lower"], r["margin"], r["method"]) for r in verdict["results"]]


@pytest.fixture(scope="module")
def plain_run() -> str:
    """A PlainFlow run whose train step @gate gated (attached with --with): it passed, and is tagged."""
    return training_run("plain_flow.py", "--with", "modelgate.gate:config=gate_tiny.toml,step=train")


def test_three_shards_give_the_verdict_of_one_and_the_run_is_recorded_then_tagged(plain_run, tmp_path):
    flow_file = deployed(tmp_path / "flow", deployment(flow="PlainFlow", shards=3))
    sharded = launch(flow_file, "--model-run", plain_run)
    assert sharded.returncode == 0, sharded.output
    one = launch(flow_file, "--model-run", plain_run, "--shards", "1")
    assert one.returncode == 0, one.output
    with global_namespace():
        run, single = get_run(sharded.pathspec), get_run(one.pathspec)
        assert len(list(run["score"].tasks())) == 3 and len(list(single["score"].tasks())) == 1
        plan = run["start"].task.data.shard_plan
        assert [(s["start"], s["stop"]) for s in plan] == [(0, 67), (67, 133), (133, 200)]
        verdict = run["join"].task.data.gate_verdict
        assert verdict["passed"] is True
        assert results(verdict) == results(single["join"].task.data.gate_verdict)
    assert DEFAULT_TAG in user_tags(plain_run)
    record = modelgate.history(plain_run)[-1]  # on the candidate's end task, before the tag
    assert (record["front_end"], record["passed"], record["tag"]["action"]) == ("GateFlow", True, "apply")
    assert record["tag"]["reason"] == f"GateFlow {one.pathspec}"


def test_every_front_end_gives_the_same_verdict(plain_run, tmp_path, gate_suite):
    """pytest --model-run, @gate (the run's own train step), the in-flow Gate and GateFlow (in
    two shards), on one candidate with one config: the same checks, bounds and outcomes."""
    from modelgate import Gate
    from modelgate.metaflow_io.runs import load_artifact

    with global_namespace():
        decorated = get_run(plain_run)["train"].task.data.modelgate_verdict
    model, val_df = load_artifact(plain_run, "train/model"), load_artifact(plain_run, "train/val_df")
    in_flow = Gate.from_config(GATE).evaluate(model, val_df, run=plain_run).to_dict()

    flow_file = deployed(tmp_path / "flow", deployment(flow="PlainFlow", shards=2))
    launched = launch(flow_file, "--model-run", plain_run)
    assert launched.returncode == 0, launched.output
    with global_namespace():
        gate_flow = get_run(launched.pathspec)["join"].task.data.gate_verdict

    gate_suite.file("pyproject.toml", GATE.read_text())
    (gate_suite.path / "gate").mkdir()
    session = gate_suite.run(plain_run, "gate", "--gate-dry-run", "--gate-report", "verdict.json")
    assert session.ret == 0, session.outlines
    pytest_verdict = json.loads((gate_suite.path / "verdict.json").read_text())

    expected = results(in_flow)
    assert len(expected) == 2 and in_flow["passed"] is True
    assert results(decorated) == expected
    assert results(gate_flow) == expected
    assert results(pytest_verdict) == expected


def test_a_failing_verdict_is_recorded_and_removes_the_tag(tmp_path):
    inverted = training_run("plain_flow.py", "--inverted", "True")
    from modelgate.metaflow_io.tagging import apply_tag

    apply_tag(inverted, DEFAULT_TAG)  # tagged before: a failing gate takes the tag away
    launched = launch(deployed(tmp_path / "flow", deployment(flow="PlainFlow", shards=2)), "--model-run", inverted)
    assert launched.returncode == 0, launched.output  # the gate ran: its verdict is FAIL
    assert f"{inverted}: FAIL, not tagged" in launched.output
    assert DEFAULT_TAG not in user_tags(inverted)
    record = modelgate.history(inverted)[-1]
    assert (record["front_end"], record["passed"], record["tag"]["action"]) == ("GateFlow", False, "revoke")


def test_a_triggering_run_is_the_candidate(plain_run, tmp_path):
    flow_file = deployed(tmp_path / "flow", deployment(flow="PlainFlow"))
    launched = launch(flow_file, top=("--trigger", plain_run))
    assert launched.returncode == 0, launched.output
    with global_namespace():
        assert get_run(launched.pathspec)["start"].task.data.candidate == plain_run


def test_a_run_of_another_flow_is_not_gated(tmp_path):
    project_run = training_run("project_flow.py")
    launched = launch(deployed(tmp_path / "flow", deployment(flow="PlainFlow")), top=("--trigger", project_run))
    launched.one_line(f"TinyGateFlow gates PlainFlow runs, but {project_run} triggered it")


def test_the_trigger_follows_the_training_flows_project_branch(tmp_path):
    """With the training flow's @project, the gate is deployed on a branch and gates that
    branch's runs only: a run of another branch is one line, and stays untagged."""
    alpha = training_run("project_flow.py", top=("--branch", "alpha"))
    flow_file = deployed(tmp_path / "flow", deployment(flow="ProjectFlow", project="modelgate_tests"))

    same = launch(flow_file, top=("--branch", "alpha", "--trigger", alpha))
    assert same.returncode == 0, same.output
    assert "Project: modelgate_tests, Branch: test.alpha" in same.output
    assert DEFAULT_TAG in user_tags(alpha)

    beta = training_run("project_flow.py", top=("--branch", "beta"))
    other = launch(flow_file, top=("--branch", "alpha", "--trigger", beta))
    other.one_line(f"{beta} is on project 'modelgate_tests' branch 'test.beta'")
    assert DEFAULT_TAG not in user_tags(beta)


def test_a_shard_that_fails_is_one_line_and_tags_nothing(tmp_path):
    poisoned = training_run("plain_flow.py", "--poison", "True")
    launched = launch(deployed(tmp_path / "flow", deployment(flow="PlainFlow", shards=3)), "--model-run", poisoned)
    launched.one_line(
        f"shard 3 of 3 (rows 133-199) of {poisoned}: the candidate's model failed on these rows: "
        "RuntimeError: cannot score a poisoned review"
    )
    assert DEFAULT_TAG not in user_tags(poisoned)
    assert modelgate.history(poisoned) == []


def test_nothing_to_gate_is_one_line(tmp_path):
    launched = launch(deployed(tmp_path / "flow", deployment(flow="PlainFlow")))
    launched.one_line("nothing to gate: give --model-run Flow/run_id, or let a training run trigger the flow")


def test_a_bad_deployment_file_stops_the_flow_before_it_starts(tmp_path):
    launched = launch(deployed(tmp_path / "flow", deployment(flow="PlainFlow", shard=3)))
    launched.one_line("[gateflow]: unknown key 'shard'")
    assert launched.pathspec is None


def test_a_missing_deployment_file_stops_the_flow_before_it_starts(tmp_path):
    flow_file = deployed(tmp_path / "flow", "")
    (tmp_path / "flow" / "gateflow.toml").unlink()
    launched = launch(flow_file, "--model-run", "PlainFlow/1")
    launched.one_line("default configuration file")
    assert launched.pathspec is None


# --- what triggered the gate: Metaflow's own Trigger objects -------------------------------
DEPLOYED = {"flow": "PlainFlow", "project": ""}


@pytest.mark.parametrize("model_run", ["", "PlainFlow/1"])
def test_an_event_that_names_no_run_is_one_line(model_run):
    from metaflow.events import Trigger

    from modelgate.flow import GateStepError, candidate_of

    event = Trigger([{"type": "event", "name": "data_refreshed", "id": "e1", "timestamp": 1}])
    with pytest.raises(GateStepError, match=r"triggered by an event that names no run \(data_refreshed\)"):
        candidate_of(event, model_run=model_run, gate_name="G", deployment=DEPLOYED, branch=None)


def test_two_triggering_runs_are_refused_not_one_silently_gated(plain_run):
    from metaflow import Run
    from metaflow.events import Trigger

    from modelgate.flow import GateStepError, candidate_of

    inverted = training_run("plain_flow.py", "--inverted", "True")
    with global_namespace():
        trigger = Trigger.from_runs([Run(plain_run), Run(inverted)])
    with pytest.raises(GateStepError, match="triggered by 2 runs"):
        candidate_of(trigger, model_run="", gate_name="G", deployment=DEPLOYED, branch=None)


def test_no_trigger_and_no_model_run_is_one_line():
    from modelgate.flow import GateStepError, candidate_of

    with pytest.raises(GateStepError, match="nothing to gate"):
        candidate_of(None, model_run="", gate_name="G", deployment=DEPLOYED, branch=None)
    assert candidate_of(None, model_run="PlainFlow/7", gate_name="G", deployment=DEPLOYED, branch=None) == "PlainFlow/7"


def test_gating_one_holdout_again_and_again_warns_from_gate_and_gateflow(tmp_path):
    """max_holdout_reuse = 1: once two PlainFlow runs were gated on the same validation rows,
    @gate (in its run's end) and GateFlow (in its end, after the tag) warn, and still tag."""
    warning = "has gated"
    training_run("plain_flow.py", "--with", "modelgate.gate:config=gate_reuse.toml,step=train")
    again = launch(
        FLOWS / "plain_flow.py", "--with", "modelgate.gate:config=gate_reuse.toml,step=train", flow_name="PlainFlow"
    )
    assert again.returncode == 0, again.output
    assert "modelgate: WARNING: holdout reuse: this validation data" in again.output, again.output
    assert "more than max_holdout_reuse = 1" in again.output

    gate_file = FLOWS / "gate_reuse.toml"
    flow_file = deployed(tmp_path / "flow", f"[gateflow]\ngate = {json.dumps(str(gate_file))}\n")
    gated = launch(flow_file, "--model-run", again.pathspec)
    assert gated.returncode == 0, gated.output
    assert "WARNING: holdout reuse: this validation data" in gated.output and warning in gated.output
    assert DEFAULT_TAG in user_tags(again.pathspec)  # advice: the verdict and the tag stand


# --- review3: what the gate is told to gate by hand --------------------------------------
def test_a_model_run_of_another_flow_is_refused_as_a_triggering_one_is():
    """The docs: "a run of another flow is refused". --model-run OtherFlow/7 on a gate deployed
    for PlainFlow was gated with PlainFlow's gate, and tagged."""
    from modelgate.flow import GateStepError, candidate_of

    with pytest.raises(GateStepError, match="G gates PlainFlow runs, but --model-run names ProjectFlow/7"):
        candidate_of(None, model_run="ProjectFlow/7", gate_name="G", deployment=DEPLOYED, branch=None)


@pytest.mark.parametrize("model_run", ["latest", "latest-successful", "7"])
def test_a_model_run_without_a_flow_is_a_run_of_the_deployments_flow(model_run):
    """--model-run latest (or a run id) on a gate deployed for PlainFlow: a PlainFlow run,
    not a one-line error pointing at a --model-flow option GateFlow does not have."""
    from modelgate.flow import GateStepError, candidate_of

    got = candidate_of(None, model_run=model_run, gate_name="G", deployment=DEPLOYED, branch=None)
    assert got == f"PlainFlow/{model_run}"
    with pytest.raises(GateStepError, match="names no flow"):  # no flow deployed: Flow/run_id it is
        candidate_of(None, model_run=model_run, gate_name="G", deployment={"flow": ""}, branch=None)


CHAMPION_GATE = """\
[tool.modelgate]
model_artifact = "model"
data_artifact = "val_df"
text_column = "review"
label_column = "labels"

[[tool.modelgate.checks]]
metric = "roc_auc"
baseline = "champion"
margin = 0.0
"""


def test_a_resumed_run_does_not_tag_on_a_champion_dethroned_since_its_start(tmp_path):
    """A GateFlow run fails after start (here: more shards than --max-num-splits); a better
    run is tagged, so it is the champion now; the run is resumed. start is cloned, with the
    old champion in it: the candidate beat the old one, not the new one. A fresh gate says
    FAIL; the resumed one tagged the candidate."""
    from modelgate.metaflow_io.tagging import apply_tag

    (tmp_path / "flow").mkdir()
    (tmp_path / "flow" / "gate.toml").write_text(CHAMPION_GATE)
    flow_file = deployed(tmp_path / "flow", '[gateflow]\nflow = "PlainFlow"\ngate = "gate.toml"\n')
    old_champion = training_run("plain_flow.py", "--inverted", "True")
    apply_tag(old_champion, DEFAULT_TAG)
    candidate = training_run("plain_flow.py")

    failed = launch(flow_file, "--model-run", candidate, "--shards", "2", "--max-num-splits", "1")
    assert failed.returncode != 0 and failed.pathspec is not None, failed.output
    with global_namespace():
        assert get_run(failed.pathspec)["start"].task.data.champion == old_champion

    new_champion = training_run("plain_flow.py")  # as good as the candidate: it cannot beat it
    apply_tag(new_champion, DEFAULT_TAG)
    fresh = launch(flow_file, "--model-run", candidate, "--shards", "2")
    assert fresh.returncode == 0 and f"{candidate}: FAIL" in fresh.output, fresh.output

    origin = failed.pathspec.split("/")[1]
    resumed = launch(flow_file, "--origin-run-id", origin, "--max-num-splits", "4", command="resume")
    resumed.one_line(f"the champion of {candidate} is now {new_champion}, not {old_champion}")
    assert DEFAULT_TAG not in user_tags(candidate)
    assert [record["front_end"] for record in modelgate.history(candidate)] == ["GateFlow"]  # the fresh one's


def _flow_processes_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """``code`` in a sitecustomize.py every process of the launched flows imports first."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(code)
    monkeypatch.setenv("PYTHONPATH", str(site))


def test_a_lost_tag_write_in_end_is_one_line_and_on_record(plain_run, tmp_path, monkeypatch):
    """end records "apply", then the tag write is lost: one line (as @gate's), not a traceback."""
    from modelgate.metaflow_io.tagging import revoke_tag

    revoke_tag(plain_run, DEFAULT_TAG)
    before = {r["id"] for r in modelgate.history(plain_run)}
    _flow_processes_run(
        tmp_path, monkeypatch, "from metaflow.client.core import Run\nRun.add_tag = lambda s, t: None\n"
    )
    launched = launch(deployed(tmp_path / "flow", deployment(flow="PlainFlow")), "--model-run", plain_run)
    launched.one_line(f"could not apply tag 'deployment_candidate' on {plain_run}")
    assert DEFAULT_TAG not in user_tags(plain_run)
    announced, corrected = [r for r in modelgate.history(plain_run) if r["id"] not in before]
    assert (announced["tag"]["action"], corrected["tag"]["action"]) == ("apply", "none")


def test_a_metaflow_outage_in_start_is_one_line(plain_run, tmp_path, monkeypatch):
    """The candidate cannot be read (a metadata service outage) in start: one line, as in score and join."""
    _flow_processes_run(
        tmp_path,
        monkeypatch,
        "from modelgate.errors import MetaflowUnavailable\n"
        "from modelgate.metaflow_io import runs\n"
        "def down(*args, **kwargs):\n"
        "    raise MetaflowUnavailable('cannot read the candidate: the metadata service is down')\n"
        "runs.resolve_run = down\n",
    )
    launched = launch(deployed(tmp_path / "flow", deployment(flow="PlainFlow")), "--model-run", plain_run)
    launched.one_line("the metadata service is down")


def test_the_shards_and_the_join_compare_with_the_runs_start_resolved(monkeypatch):
    """A check's baseline "PlainFlow/latest-successful" was resolved again in every shard task
    and in the join: a run finishing meanwhile made shards score different baselines (merged as
    one), and the record name a run start never checked. start's resolution is the one."""
    from types import SimpleNamespace

    from modelgate.config.gate_config import parse_table
    from modelgate.flow import GateFlow
    from modelgate.metaflow_io import runs

    config = parse_table(
        {
            "model_artifact": "model",
            "data_artifact": "val_df",
            "checks": [{"metric": "roc_auc", "baseline": "PlainFlow/latest-successful", "margin": 0.0}],
        }
    )
    monkeypatch.setattr(runs, "resolve_named_baseline", lambda name, candidate: "PlainFlow/9")  # newer since
    started = SimpleNamespace(
        candidate="PlainFlow/1",
        champion=None,
        no_champion_reason="no champion yet",
        named_runs={"PlainFlow/latest-successful": "PlainFlow/5"},
    )
    runner = GateFlow._flow_cls._runner(started, config)  # the class under its FlowMutator
    assert dict(runner.baselines.runs()) == {"PlainFlow/latest-successful": "PlainFlow/5"}


def test_a_champion_no_check_compares_with_does_not_stop_the_gate_when_it_cannot_be_looked_up(
    plain_run, tmp_path, monkeypatch
):
    """The pytest gate: "a champion no check compares with never stops a gate". GateFlow's
    start asked for it anyway, and a failed lookup failed the run (gate_tiny.toml compares with
    the majority only)."""
    from modelgate.metaflow_io.tagging import revoke_tag

    revoke_tag(plain_run, DEFAULT_TAG)
    _flow_processes_run(
        tmp_path,
        monkeypatch,
        "from modelgate.errors import MetaflowUnavailable\n"
        "from modelgate.metaflow_io import runs\n"
        "def down(*args, **kwargs):\n"
        "    raise MetaflowUnavailable('cannot list the tagged runs: the metadata service is slow')\n"
        "runs.resolve_champion = down\n",
    )
    launched = launch(deployed(tmp_path / "flow", deployment(flow="PlainFlow", shards=2)), "--model-run", plain_run)
    assert launched.returncode == 0, launched.output
    assert f"{plain_run}: PASS, tagged" in launched.output
    assert DEFAULT_TAG in user_tags(plain_run)
    assert modelgate.history(plain_run)[-1]["champion"] is None
