"""Every verdict on record: a gate session writes what it decided, on what and by whom, on
the candidate's end task; ``modelgate.history`` and ``python -m modelgate history`` read the
records back, oldest first; a record that cannot be written changes no tag (exit 1); the
validation data's reuse is counted and warned about."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import modelgate
from helpers import FLOWS, reset_tags, run_flow, user_tags
from modelgate.names import DEFAULT_TAG

CONFIG = """
[tool.modelgate]
model_artifact = "model"
{extra}

[[tool.modelgate.checks]]
metric = "roc_auc"
margin = {margin}
"""


def _session(gate_suite, run, margin=0.1, *args, extra=""):
    gate_suite.write(None)
    gate_suite.file("pyproject.toml", CONFIG.format(margin=margin, extra=extra))
    return gate_suite.run(run, "-rA", *args)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgate", "history", *args], capture_output=True, text=True, env=os.environ.copy()
    )


@pytest.fixture
def fresh_run() -> str:
    """A TinyFlow run of its own: these tests count its records."""
    return run_flow(FLOWS / "tiny_flow.py")


@pytest.mark.slow
def test_each_session_records_its_verdict_and_the_history_reads_them_oldest_first(gate_suite, fresh_run):
    run = fresh_run
    assert modelgate.history(run) == []
    assert _session(gate_suite, run).ret == 0
    assert _session(gate_suite, run, margin=0.6).ret == 1  # a margin it cannot make: FAIL, the tag revoked
    assert _session(gate_suite, run, 0.1, "--gate-dry-run").ret == 0  # a dry run writes nothing
    first, second = modelgate.history(run)
    assert (first["passed"], first["tag"]["action"], second["passed"], second["tag"]["action"]) == (
        True,
        "apply",
        False,
        "revoke",
    )
    assert first["time"] <= second["time"]
    for record in (first, second):
        assert record["run"] == run and record["front_end"] == "pytest"
        assert record["tag"]["name"] == DEFAULT_TAG
        assert record["user"] == os.environ["METAFLOW_USER"]
        assert record["modelgate_version"] == modelgate.__version__
        # the newest other run carrying the tag, if any (other tests tag TinyFlow runs): as the report says
        assert record["champion"] == record["verdict"]["champion"] != run
        assert record["data_fingerprint"].startswith("sha256:")
        assert record["config"]["settings"]["model_artifact"] == "model"
    assert first["data_fingerprint"] == second["data_fingerprint"]
    assert first["config_hash"] != second["config_hash"]  # the margin changed
    (check,) = [r for r in first["verdict"]["results"] if r["name"] == "roc_auc-vs-majority-margin+0.1"]
    assert check["passed"] and check["lower"] > 0.1 and check["margin"] == 0.1 and check["method"] == "DeLong"
    assert check["outcome"] == "pass"
    assert DEFAULT_TAG not in user_tags(run)

    shown = _cli(run)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"{run}: 2 verdicts recorded, oldest first"
    assert lines[1].split()[:4] == ["time", "(UTC)", "front", "end"]
    assert [line.split()[3:5] for line in lines[2:4]] == [["PASS", "apply"], ["FAIL", "revoke"]]
    assert lines[4].startswith(f"its latest validation data ({first['data_fingerprint']}) has gated ")
    as_json = _cli(run, "--json")
    assert as_json.returncode == 0 and [r["id"] for r in json.loads(as_json.stdout)] == [first["id"], second["id"]]


def test_history_of_a_bad_run_is_one_line_and_exit_4(run):
    shown = _cli("NoSuchFlow/1")
    assert shown.returncode == 4 and shown.stdout == ""
    assert shown.stderr.startswith("modelgate history: error: ") and len(shown.stderr.splitlines()) == 1
    shown = _cli(run, "--tabel")
    assert shown.returncode == 4 and "unknown option --tabel" in shown.stderr


def _end_task_metadata(pathspec: str) -> Path:
    flow, run_id = pathspec.split("/")
    root = Path(os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"]) / ".metaflow" / flow / run_id / "end"
    (task,) = [p for p in root.iterdir() if p.is_dir() and p.name != "_meta"]
    return task / "_meta"


@pytest.mark.slow
def test_a_verdict_that_cannot_be_recorded_changes_no_tag(gate_suite, fresh_run):
    run = fresh_run
    meta = _end_task_metadata(run)
    # Immutable: even root cannot add a file to it, and it can still be read.
    if subprocess.run(["chattr", "+i", str(meta)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not supported on this filesystem")
    try:
        result = _session(gate_suite, run)
    finally:
        subprocess.run(["chattr", "-i", str(meta)], check=True)
    assert result.ret == 1, result.outlines
    line = gate_suite.tag_line(result)
    assert line.startswith(f"modelgate: FAILED: could not record the verdict on {run}: ")
    assert line.endswith("; no tag was changed")
    assert DEFAULT_TAG not in user_tags(run)
    assert modelgate.history(run) == []
    # Once it can be written again, the same gate records and tags.
    assert _session(gate_suite, run).ret == 0
    assert DEFAULT_TAG in user_tags(run) and len(modelgate.history(run)) == 1


@pytest.mark.slow
def test_a_validation_set_that_gated_too_many_candidates_is_warned_about(gate_suite, run, fresh_run):
    """Two runs of TinyFlow hold the same validation rows: the second candidate gated on them
    passes max_holdout_reuse = 1 and is warned; the verdict and the tag do not change."""
    reset_tags(run)
    extra = "max_holdout_reuse = 1"
    assert _session(gate_suite, run, extra=extra).ret == 0
    result = _session(gate_suite, fresh_run, extra=extra)
    assert result.ret == 0
    (warning,) = [l for l in result.outlines if l.startswith("modelgate: WARNING: holdout reuse: ")]
    assert "has gated" in warning and "more than max_holdout_reuse = 1" in warning
    assert DEFAULT_TAG in user_tags(fresh_run)
    assert gate_suite.tag_line(result, warnings=True).startswith("modelgate: tag 'deployment_candidate' applied")
