"""Hostile review of the verdict records: what the history says must be what happened to
the run (a tag write that is lost after the record, a session that ran no test, a baseline
the user named), and the history command's errors speak of its own arguments."""

from __future__ import annotations

import pytest

import modelgate
from helpers import user_tags
from modelgate.names import DEFAULT_TAG

LOSE_TAG_WRITES = """
from metaflow.client.core import Run

def pytest_configure():
    Run._gate_add_tag = Run.add_tag
    Run.add_tag = lambda self, tag: None

def pytest_unconfigure():
    Run.add_tag = Run._gate_add_tag
"""


def _new_records(run: str, before: set[str]) -> list[dict]:
    return [r for r in modelgate.history(run) if r["id"] not in before]


def test_a_tag_write_lost_after_the_record_is_on_record_too(gate_suite, run):
    """The record is written before the tag: when the tag write then fails, a second record
    says no tag was changed and no verdict reached, so the history never shows "PASS apply"
    for a run that does not carry the tag."""
    before = {r["id"] for r in modelgate.history(run)}
    result = gate_suite.write().conftest(LOSE_TAG_WRITES).run(run)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert DEFAULT_TAG not in user_tags(run)
    announced, corrected = _new_records(run, before)
    assert (announced["tag"]["action"], announced["passed"]) == ("apply", True)
    assert corrected["corrects"] == announced["id"] and corrected["time"] > announced["time"]
    assert corrected["tag"]["action"] == "none" and corrected["passed"] is None
    assert corrected["tag"]["reason"].startswith("could not apply the tag: could not apply tag ")
    assert corrected["verdict"]["status"] == "error" and "not there on re-reading" in corrected["verdict"]["error"]
    assert corrected["verdict"]["tag"]["action"] == "none"
    assert corrected["data_fingerprint"] == announced["data_fingerprint"]
    assert modelgate.history(run)[-1]["id"] == corrected["id"]  # the newest: what the run's history ends on


@pytest.mark.slow  # a Metaflow run of its own
def test_a_gate_decorator_whose_tag_write_is_lost_says_so_on_record(tmp_path, monkeypatch):
    """@gate records "apply" in `end`, then tags: a lost tag write fails the step in one
    line, and a second record says the tag was not applied."""
    from test_gate_decorator import launch

    (tmp_path / "sitecustomize.py").write_text(
        "from metaflow.client.core import Run\nRun.add_tag = lambda self, tag: None\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # the flow's processes lose every tag write
    launched = launch("gated_flow.py")
    assert launched.returncode != 0
    assert "could not apply tag 'deployment_candidate' on " in launched.output, launched.output
    assert "not there on re-reading; the run is not tagged" in launched.output
    assert DEFAULT_TAG not in user_tags(launched.pathspec)
    announced, corrected = modelgate.history(launched.pathspec)
    assert (announced["front_end"], announced["tag"]["action"], announced["passed"]) == ("@gate", "apply", True)
    assert (corrected["tag"]["action"], corrected["passed"], corrected["corrects"]) == ("none", None, announced["id"])


@pytest.mark.slow  # a Metaflow run of its own
def test_a_baseline_run_named_on_the_command_line_is_not_recorded_as_the_champion(gate_suite, run):
    """With --gate-baseline-run the gate compares another run "as champion": its record says
    so (champion_label), and the history shows it, so that months later nobody reads that the
    candidate beat the deployed champion when it beat a run somebody named."""
    from test_records import _cli

    from helpers import FLOWS, run_flow

    baseline = run_flow(FLOWS / "tiny_flow.py", train_noise=0.3)
    before = {r["id"] for r in modelgate.history(run)}
    check = "metric=roc_auc,baseline=champion,margin=-0.5"
    result = gate_suite.write().run(run, "--gate-baseline-run", baseline, "--gate-check", check)
    assert result.ret == 0, result.outlines
    (record,) = _new_records(run, before)
    assert record["champion"] == baseline
    assert record["champion_label"] == "baseline run (--gate-baseline-run, compared as 'champion')"
    shown = _cli(run)
    assert shown.returncode == 0, shown.stderr
    assert f"{baseline} (baseline run)" in shown.stdout.splitlines()[-2]


@pytest.mark.slow  # pytest in a subprocess: an interrupt in pytester's in-process session ends the outer one
def test_ctrl_c_while_counting_holdout_reuse_leaves_the_verdict_its_record_and_its_tag(gate_suite, run):
    """Counting the holdout's reuse reads up to 200 runs: it comes after the tag (it is advice),
    and Ctrl-C there neither leaves a record of "apply" without the tag nor prints a traceback."""
    before = {r["id"] for r in modelgate.history(run)}
    gate_suite.write().conftest(
        """
        from modelgate.metaflow_io import records

        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt()

        records.holdout_uses = interrupted
        """
    )
    result = gate_suite.run_subprocess(run)
    assert result.ret == pytest.ExitCode.OK, result.outlines + result.errlines
    assert "Traceback" not in "\n".join(result.outlines + result.errlines)
    assert "modelgate: WARNING: holdout reuse not counted: interrupted" in result.outlines
    assert gate_suite.tag_line(result, warnings=True).startswith(f"modelgate: tag '{DEFAULT_TAG}' applied to {run}")
    assert DEFAULT_TAG in user_tags(run)
    (record,) = _new_records(run, before)
    assert (record["tag"]["action"], record["passed"]) == ("apply", True)


@pytest.mark.slow  # pytest in a subprocess: an interrupt in pytester's in-process session ends the outer one
def test_ctrl_c_while_reading_the_tags_is_one_line_no_record_and_no_tag(gate_suite, run):
    before = {r["id"] for r in modelgate.history(run)}
    gate_suite.write().conftest(
        """
        from modelgate.metaflow_io import tagging

        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt()

        tagging.has_tag = interrupted
        """
    )
    result = gate_suite.run_subprocess(run)
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.outlines + result.errlines
    assert "Traceback" not in "\n".join(result.outlines + result.errlines)
    assert (
        gate_suite.tag_line(result)
        == f"modelgate: FAILED: interrupted while reading the tags of {run}; no tag was changed"
    )
    assert DEFAULT_TAG not in user_tags(run) and not _new_records(run, before)
