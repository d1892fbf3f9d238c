"""@gate, the step decorator: real Metaflow runs of tests/flows/ (gated_flow.py has it in code on
a middle step, recorded_flow.py on end with on_fail="record", plain_flow.py knows nothing of
modelgate and gets it with --with), each a `python <flow> ...` subprocess in the session's
isolated Metaflow (tests/conftest.py)."""

from __future__ import annotations

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

CONFIG = FLOWS / "gate_tiny.toml"
WITH = "modelgate.gate:config=gate_tiny.toml"


@dataclass
class Launched:
    returncode: int
    output: str
    pathspec: str | None  # None: Metaflow refused the flow before the run started


def launch(
    flow_file: str,
    *args: str,
    top: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    command: tuple[str, ...] = ("run",),
) -> Launched:
    """``python <flow> [top options] run [args]`` in the datastore root, importing modelgate from this
    checkout; the run's pathspec whether or not it succeeded."""
    root = os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"]
    id_file = Path(tempfile.mkdtemp(prefix="gate-deco-", dir=root)) / "run_id"
    paths = [str(PROJECT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    environment = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join(paths)}
    line = [sys.executable, str(FLOWS / flow_file), *top, *command, "--run-id-file", str(id_file), *args]
    done = subprocess.run(line, cwd=root, env=environment, capture_output=True, text=True, timeout=600)
    flow_name = {
        "gated_flow.py": "GatedFlow",
        "recorded_flow.py": "RecordedFlow",
        "plain_flow.py": "PlainFlow",
        "two_gates_flow.py": "TwoGatesFlow",
    }
    pathspec = f"{flow_name[flow_file]}/{id_file.read_text().strip()}" if id_file.exists() else None
    return Launched(done.returncode, done.stdout + done.stderr, pathspec)


def artifacts(pathspec: str, step: str) -> dict:
    """The modelgate artifacts of the step's task (absent ones left out)."""
    with global_namespace():
        task = get_run(pathspec)[step].task
        return {
            name: task[name].data
            for name in ("modelgate_verdict", "modelgate_passed", "modelgate_tag", "modelgate_data_fingerprint")
            if name in task
        }


def package_files(flow_file: str, *top: str) -> list[str]:
    """The files `python <flow> [top options] package list` says the code package holds."""
    done = subprocess.run(
        [sys.executable, str(FLOWS / flow_file), *top, "package", "list"],
        cwd=os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"],
        env={**os.environ, "PYTHONPATH": str(PROJECT / "src")},
        capture_output=True,
        text=True,
        check=True,
    )
    return [Path(line.strip()).name for line in (done.stdout + done.stderr).splitlines() if line.strip()]


def one_line_failure(launched: Launched, message: str) -> None:
    assert launched.returncode != 0, launched.output
    assert message in launched.output, launched.output
    assert "Traceback" not in launched.output, launched.output


@pytest.fixture(scope="module")
def gated_run() -> str:
    launched = launch("gated_flow.py")
    assert launched.returncode == 0, launched.output
    return launched.pathspec


def test_gate_in_code_records_the_verdict_and_tags_the_run_at_its_end(gated_run):
    train = artifacts(gated_run, "train")
    assert train["modelgate_passed"] is True
    verdict = train["modelgate_verdict"]
    assert verdict["passed"] is True and verdict["run"] == gated_run
    assert [r["name"] for r in verdict["results"]] == [
        "roc_auc-vs-majority-margin+0.1",
        "accuracy-vs-majority-margin+0",
    ]
    assert artifacts(gated_run, "start") == {}  # the gate acted in train only
    assert artifacts(gated_run, "end")["modelgate_tag"] == DEFAULT_TAG  # written by the end step
    assert DEFAULT_TAG in user_tags(gated_run)
    (record,) = modelgate.history(gated_run)  # on record in the end step, before the tag
    assert (record["front_end"], record["passed"], record["tag"]["action"]) == ("@gate", True, "apply")

    def decided(results):
        return [(r["name"], r["passed"], r["lower"]) for r in results]

    assert decided(record["verdict"]["results"]) == decided(verdict["results"])
    assert record["data_fingerprint"] == train["modelgate_data_fingerprint"]


def test_a_failing_verdict_fails_the_gated_step_and_tags_nothing():
    launched = launch("gated_flow.py", "--inverted", "True")
    one_line_failure(
        launched,
        "the gate failed on step 'train' (config gate_tiny.toml); "
        "failed: roc_auc-vs-majority-margin+0.1, accuracy-vs-majority-margin+0.",
    )
    train = artifacts(launched.pathspec, "train")  # a failed task keeps its artifacts
    assert train["modelgate_passed"] is False and train["modelgate_verdict"]["passed"] is False
    with global_namespace():
        assert {step.id for step in get_run(launched.pathspec)} == {"start", "train"}  # nothing ran after it
    assert DEFAULT_TAG not in user_tags(launched.pathspec)
    (record,) = modelgate.history(launched.pathspec)  # on the failed task: the run has no end
    assert (record["front_end"], record["passed"], record["tag"]["action"]) == ("@gate", False, "none")
    # the history of a failed run is readable too (it refused runs that were not successful)
    shown = subprocess.run(
        [sys.executable, "-m", "modelgate", "history", launched.pathspec], capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[2].split()[2:5] == ["@gate", "FAIL", "none"]


def test_a_run_that_fails_after_the_gate_passed_is_never_tagged():
    launched = launch("gated_flow.py", "--fail-at", "check")
    assert launched.returncode != 0 and "GatedFlow failing in check as asked" in launched.output
    assert artifacts(launched.pathspec, "train")["modelgate_passed"] is True
    with global_namespace():
        assert not get_run(launched.pathspec).successful
    assert DEFAULT_TAG not in user_tags(launched.pathspec)


def test_on_fail_record_records_a_failing_verdict_and_the_run_goes_on_untagged():
    launched = launch("recorded_flow.py", "--inverted", "True")
    assert launched.returncode == 0, launched.output
    end = artifacts(launched.pathspec, "end")
    assert end["modelgate_passed"] is False and end["modelgate_verdict"]["passed"] is False
    assert end["modelgate_tag"] is None
    assert DEFAULT_TAG not in user_tags(launched.pathspec)
    (record,) = modelgate.history(launched.pathspec)
    assert (record["front_end"], record["passed"], record["tag"]["action"]) == ("@gate", False, "none")


def test_with_attaches_the_gate_to_every_step_and_it_acts_in_end_only():
    launched = launch("plain_flow.py", "--with", WITH)
    assert launched.returncode == 0, launched.output
    assert launched.output.count("verdict: PASS") == 1
    assert artifacts(launched.pathspec, "start") == artifacts(launched.pathspec, "train") == {}
    end = artifacts(launched.pathspec, "end")
    assert end["modelgate_passed"] is True and end["modelgate_tag"] == DEFAULT_TAG
    assert DEFAULT_TAG in user_tags(launched.pathspec)


def test_with_step_train_gates_train_and_tags_at_the_end():
    launched = launch("plain_flow.py", "--with", f"{WITH},step=train")
    assert launched.returncode == 0, launched.output
    assert launched.output.count("verdict: PASS") == 1
    assert artifacts(launched.pathspec, "start") == {}
    assert artifacts(launched.pathspec, "train")["modelgate_passed"] is True
    assert artifacts(launched.pathspec, "end")["modelgate_tag"] == DEFAULT_TAG
    assert DEFAULT_TAG in user_tags(launched.pathspec)


def test_with_at_the_top_level_works_too():
    launched = launch("plain_flow.py", "--inverted", "True", top=("--with", f"{WITH},step=train,on_fail=record"))
    assert launched.returncode == 0, launched.output
    assert artifacts(launched.pathspec, "train")["modelgate_passed"] is False
    assert artifacts(launched.pathspec, "end")["modelgate_tag"] is None
    assert DEFAULT_TAG not in user_tags(launched.pathspec)


def test_a_step_without_the_configured_artifacts_names_the_ones_it_has():
    launched = launch("plain_flow.py", "--with", f"{WITH},step=start")
    one_line_failure(
        launched,
        "@gate on step 'start': no artifact model_artifact 'model', data_artifact 'val_df' "
        "(config gate_tiny.toml); the step has: df, inverted, poison, valdf",
    )
    assert DEFAULT_TAG not in user_tags(launched.pathspec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (f"{WITH},step=evaluate", "@gate(step='evaluate') names no step of PlainFlow (its steps: end, start, train)"),
        ("modelgate.gate:config=missing.toml", "@gate config 'missing.toml' does not exist (looked for "),
        ("modelgate.gate:config=../gate.toml", "@gate config '../gate.toml' lies outside the flow's folder"),
        ("modelgate.gate:config=gate_tiny.toml,on_fail=ignore", "@gate(on_fail='ignore'): expected 'fail' or 'record'"),
        ("modelgate.gate:config=gate_tiny.toml,steps=end", "@gate got unknown argument(s) steps"),
        ("modelgate.gate", "@gate needs the config file"),
    ],
)
def test_bad_arguments_stop_the_flow_before_it_starts(spec, message):
    launched = launch("plain_flow.py", "--with", spec)
    one_line_failure(launched, message)
    assert launched.pathspec is None  # refused at launch: no run, so no tag


def test_the_config_travels_in_the_code_package_with_no_flag():
    assert "gate_tiny.toml" in package_files("gated_flow.py")  # @gate in code
    assert "gate_tiny.toml" in package_files("plain_flow.py", "--with", WITH)  # attached with --with
    assert "gate_tiny.toml" not in package_files("plain_flow.py")  # Metaflow's default: .py files only


def test_a_config_missing_from_the_task_package_is_one_line(tmp_path):
    from modelgate.step_gate import GateStepError, _load_gate

    (tmp_path / "deployed_flow.py").write_text("class DeployedFlow:\n    pass\n")
    sys.path.insert(0, str(tmp_path))
    try:
        from deployed_flow import DeployedFlow  # a flow file whose folder lacks the config
    finally:
        sys.path.remove(str(tmp_path))
    with pytest.raises(GateStepError, match=r"@gate config 'gate.toml' is not in this task's code package"):
        _load_gate(DeployedFlow(), "gate.toml")


def test_the_decorator_gives_the_in_flow_gates_verdict(gated_run):
    from modelgate import Gate
    from modelgate.metaflow_io.runs import load_artifact

    model, val_df = load_artifact(gated_run, "train/model"), load_artifact(gated_run, "train/val_df")
    in_flow = Gate.from_config(CONFIG).evaluate(model, val_df, run=gated_run).to_dict()
    decorated = artifacts(gated_run, "train")["modelgate_verdict"]
    assert decorated["passed"] == in_flow["passed"] is True

    def rows(verdict):
        return [
            (r["name"], r["passed"], r["estimate"], r["lower"], r["margin"], r["method"]) for r in verdict["results"]
        ]

    assert rows(decorated) == rows(in_flow)


# --- found by a hostile review ----------------------------------------------------------


def test_every_gated_step_decides_the_tag_and_is_on_record():
    """train passes, train2 fails (on_fail="record"): Metaflow kept one tag step of the two
    gates, which read train alone and tagged the run; train2's verdict had no record."""
    launched = launch("two_gates_flow.py")
    assert launched.returncode == 0, launched.output
    assert DEFAULT_TAG not in user_tags(launched.pathspec)
    records = modelgate.history(launched.pathspec)
    assert sorted(r["passed"] for r in records) == [False, True]
    assert {r["tag"]["action"] for r in records} == {"none"}
    assert "step 'train2' did not pass" in records[0]["tag"]["reason"]
    # both good: tagged
    both = launch("two_gates_flow.py", env={"MODELGATE_TEST_SECOND": "good"})
    assert both.returncode == 0, both.output
    assert DEFAULT_TAG in user_tags(both.pathspec)


def test_two_gates_on_one_step_are_refused_not_one_silently_dropped():
    """--with ...,step=train on a step with @gate in the code: Metaflow ignored the second
    copy, and a stricter gate never ran."""
    launched = launch("gated_flow.py", top=("--with", f"{WITH},step=train"))
    one_line_failure(launched, "step 'train' of GatedFlow has two gates")
    assert launched.pathspec is None


def test_a_resumed_run_is_not_tagged_on_a_verdict_cloned_from_its_origin(tmp_path):
    flag = tmp_path / "fail"
    flag.write_text("fail")
    env = {"MODELGATE_TEST_FAIL_FLAG": str(flag), "MODELGATE_TEST_SECOND": "good"}
    failed = launch("two_gates_flow.py", env=env)
    assert failed.returncode != 0 and "TwoGatesFlow failing in check as asked" in failed.output
    flag.unlink()
    resumed = launch("two_gates_flow.py", env=env, command=("resume", "--origin-run-id", failed.pathspec.split("/")[1]))
    assert resumed.returncode == 0, resumed.output
    assert DEFAULT_TAG not in user_tags(resumed.pathspec)
    (last, *_) = sorted(modelgate.history(resumed.pathspec), key=lambda r: -r["time"])
    assert last["tag"]["action"] == "none" and "(cloned by resume)" in last["tag"]["reason"]
