"""Bad input: a one-line usage error, exit code 4, no traceback, never a tag."""

import subprocess
import sys
import time

import pytest

from helpers import FLOWS, error_line, reset_tags, run_flow, usage_error, user_tags
from modelgate.names import DEFAULT_TAG

SUITE = "def test_anything(evaluation):\n    assert evaluation.n > 0\n"


@pytest.fixture(scope="module")
def failed_runs():
    return {
        "early": run_flow(FLOWS / "tiny_flow.py", fail_at="start"),
        "late": run_flow(FLOWS / "tiny_flow.py", fail_at="end"),
    }


@pytest.fixture(scope="module")
def running_run(tmp_path_factory):
    """A TinyFlow run still in progress (sleeping in its train step)."""
    id_file = tmp_path_factory.mktemp("running") / "run_id"
    proc = subprocess.Popen(
        [sys.executable, "tiny_flow.py", "run", "--pause", "120", "--run-id-file", str(id_file)],
        cwd=FLOWS,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (id_file.exists() and id_file.read_text().strip()):
            assert proc.poll() is None and time.monotonic() < deadline, "TinyFlow did not start"
            time.sleep(0.2)
        yield f"TinyFlow/{id_file.read_text().strip()}"
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def text_label_run():
    return run_flow(FLOWS / "tiny_flow.py", labels_kind="text")


@pytest.fixture(scope="module")
def empty_run():
    return run_flow(FLOWS / "tiny_flow.py", labels_kind="empty")


@pytest.fixture
def suite(gate_suite):
    """This module's suite (one test that needs the evaluation), written by the shared helper."""
    return gate_suite.write(SUITE)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("TinyFlow/1/2", "is not a run spec"),
        ("Tiny Flow/12", "is not a run spec"),
        ("12345", "names no flow"),
        ("NoSuchFlow/123", "unknown flow 'NoSuchFlow'"),
        ("TinyFlow/999999", "unknown candidate run TinyFlow/999999"),
    ],
    ids=["too-many-parts", "bad-flow-name", "bare-id-without-flow", "unknown-flow", "unknown-run"],
)
def test_bad_run_specs(suite, tiny_run, spec, message):
    usage_error(suite.run(spec), message)


def test_latest_without_flow(suite, tiny_run):
    usage_error(suite.run("latest"), "names no flow")


@pytest.mark.parametrize(
    "kind, message", [("early", "failed in step 'start'"), ("late", "failed in step 'end': only a successful run")]
)
def test_failed_runs(suite, failed_runs, kind, message):
    usage_error(suite.run(failed_runs[kind]), message)
    assert DEFAULT_TAG not in user_tags(failed_runs[kind])


def test_unfinished_run(suite, running_run):
    usage_error(suite.run(running_run), f"run {running_run} has not finished")
    assert DEFAULT_TAG not in user_tags(running_run)


def test_latest_refuses_a_newest_run_that_has_not_finished(suite, running_run):
    # 'latest' is the newest run of the flow, here the one still running: it
    # is refused, never silently replaced by an older finished run.
    result = suite.run("latest", "--model-flow", "TinyFlow")
    usage_error(result, f"the newest run of TinyFlow, {running_run}, has not finished")
    assert "latest-successful" in error_line(result)
    assert DEFAULT_TAG not in user_tags(running_run)


def test_missing_model_artifact(suite, tiny_run):
    result = suite.run(tiny_run, "--gate-model-artifact", "model_dict")
    usage_error(result, f"run {tiny_run} has no artifact 'model_dict' in its end step")


def test_missing_step_of_a_step_artifact(suite, tiny_run):
    result = suite.run(tiny_run, "--gate-data-artifact", "join/val_df")
    usage_error(result, "has no step 'join'")


def test_data_artifact_without_the_columns(suite, tiny_run):
    result = suite.run(tiny_run, "--gate-text-column", "text")
    usage_error(result, "validation data has no column 'text'")


def test_labels_that_are_not_binary(suite, text_label_run):
    # TinyFlow's classifier knows classes 0 and 1; these labels are spelled 'pos' / 'neg'
    usage_error(
        suite.run(text_label_run),
        "label column 'labels' holds 2 classes the model does not know: 'pos', 'neg' (200 rows; "
        "the model's classes: 0, 1)",
    )


def test_empty_validation_set(suite, empty_run):
    usage_error(suite.run(empty_run), "validation data is empty")


def test_run_invisible_in_the_namespace(suite, tiny_run):
    flow = tiny_run.split("/")[0]
    result = suite.run("latest", "--model-flow", flow, "--gate-namespace", "user:somebody-else")
    usage_error(result, "has no run in namespace user:somebody-else")


def test_bad_input_never_tags(suite, tiny_run):
    reset_tags(tiny_run)
    result = suite.run(tiny_run, "--gate-text-column", "text")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert DEFAULT_TAG not in user_tags(tiny_run)


def test_bad_input_changes_no_tag(suite, tiny_run):
    from modelgate.metaflow_io.tagging import apply_tag

    apply_tag(tiny_run)
    result = suite.run(tiny_run, "--gate-model-artifact", "val_df")
    usage_error(result, f"artifact 'val_df' of candidate run {tiny_run} is not a model")
    assert DEFAULT_TAG in user_tags(tiny_run)


@pytest.fixture
def as_root_without_a_user_name(monkeypatch):
    """The environment of CI: root, and no METAFLOW_USER."""
    for var in ("METAFLOW_USER", "SUDO_USER", "USERNAME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("USER", "root")


@pytest.mark.slow  # a pytest subprocess
def test_unknown_user_explicit_run_still_resolves_and_tags(suite, tiny_run, as_root_without_a_user_name):
    reset_tags(tiny_run)
    # a subprocess, so that Metaflow reads the changed environment at import
    result = suite.run_subprocess(tiny_run)
    result.assert_outcomes(passed=1)
    assert DEFAULT_TAG in user_tags(tiny_run)


@pytest.fixture
def newest_run():
    return run_flow(FLOWS / "tiny_flow.py")  # as user modelgate-tests


@pytest.mark.slow  # a pytest subprocess
def test_unknown_user_latest_falls_back_to_the_global_namespace(suite, newest_run, as_root_without_a_user_name):
    newest = newest_run
    result = suite.run_subprocess("latest-successful", "--model-flow", "TinyFlow", "--gate-dry-run")
    result.assert_outcomes(passed=1)
    assert f"model run: {newest}" in result.stdout.str()


@pytest.mark.slow  # a pytest subprocess
def test_unknown_user_with_namespace_user_is_a_usage_error(suite, tiny_run, as_root_without_a_user_name):
    flow = tiny_run.split("/")[0]
    result = suite.run_subprocess("latest", "--model-flow", flow, "--gate-namespace", "user")
    usage_error(result, "Metaflow cannot tell who you are")


# -- run specs, baselines and 'latest', said plainly ------------------------------
@pytest.mark.parametrize("spec", ["TinyFlow/.", "TinyFlow/.."])
def test_run_ids_made_of_dots_are_refused(suite, tiny_run, spec):
    # '.' would make Metaflow read the flow's own metadata as a run.
    import os
    from pathlib import Path

    flow_meta = Path(os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"], ".metaflow", "TinyFlow", "_meta", "_self.json")
    before, flow_before = user_tags(tiny_run), flow_meta.read_bytes()
    usage_error(suite.run(spec), "is not a run id")
    assert user_tags(tiny_run) == before
    assert flow_meta.read_bytes() == flow_before


@pytest.mark.parametrize("name", ["TinyFlow", "ReviewClfFlow"])
def test_a_flow_name_given_as_the_run_says_how_to_name_a_run(suite, tiny_run, name):
    usage_error(
        suite.run(name),
        f"--model-run {name!r} looks like a flow name: give {name}/<run id>, "
        f"or --model-flow {name} with a run id or 'latest'",
    )


@pytest.mark.parametrize("name", ["Tinyflow", "tinyflow", "TinyFlw"], ids=["case", "lower-case", "typo"])
def test_a_misspelt_flow_name_suggests_the_flow_metaflow_knows(suite, tiny_run, name):
    run_id = tiny_run.split("/")[1]
    for args in ((f"{name}/{run_id}",), ("latest", "--model-flow", name)):
        result = suite.run(*args)
        usage_error(result, f"unknown flow {name!r}: did you mean 'TinyFlow'? Flow names are case-sensitive")
        assert "METAFLOW_" not in error_line(result).replace("METAFLOW_DATASTORE_SYSROOT_LOCAL=", "")


@pytest.mark.parametrize(
    "args", [("NoSuchFlow/123",), ("latest", "--model-flow", "NoSuchFlow")], ids=["run-id", "latest"]
)
def test_unknown_flow_says_where_metaflow_looked(suite, tiny_run, args):
    import os

    result = suite.run(*args)
    usage_error(result, "unknown flow 'NoSuchFlow'")
    line = error_line(result)
    assert "local metadata" in line, line
    assert os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"] in line, line
    assert "METAFLOW_DATASTORE_SYSROOT_LOCAL" in line and "METAFLOW_" in line, line


def test_a_misspelt_baseline_names_the_known_ones(suite, tiny_run):
    result = suite.run(tiny_run, "--gate-check", "metric=roc_auc,baseline=majorty")
    usage_error(
        result,
        "baseline 'majorty' is neither a known baseline (majority, mean, median, champion) nor a run of TinyFlow",
    )


@pytest.fixture
def newest_run_failed():
    """A successful TinyFlow run, then a newer one that failed in its start step."""
    return run_flow(FLOWS / "tiny_flow.py"), run_flow(FLOWS / "tiny_flow.py", fail_at="start")


def test_latest_refuses_a_newest_run_that_failed_and_latest_successful_skips_it(suite, newest_run_failed):
    ok, failed = newest_run_failed
    result = suite.run("latest", "--model-flow", "TinyFlow")
    usage_error(result, f"the newest run of TinyFlow, {failed}, failed in step 'start'")
    assert "latest-successful" in error_line(result)
    assert DEFAULT_TAG not in user_tags(failed)
    result = suite.run("latest-successful", "--model-flow", "TinyFlow", "--gate-dry-run")
    result.assert_outcomes(passed=1)
    assert f"model run: {ok}" in result.stdout.str()


def test_latest_is_the_newest_by_start_not_the_last_tagged(suite, tiny_run, newest_run):
    # Tagging rewrites a local run's timestamp: after
    # tagging the older run, Metaflow's own newest-first order puts it first.
    from metaflow import Flow

    from modelgate.metaflow_io.runs import get_run, global_namespace

    get_run(tiny_run).add_tag("retagged_for_order_test")
    try:
        with global_namespace():
            assert next(iter(Flow("TinyFlow"))).pathspec == tiny_run  # the pitfall is real
        for which in ("latest", "latest-successful"):
            result = suite.run(which, "--model-flow", "TinyFlow", "--gate-dry-run")
            result.assert_outcomes(passed=1)
            assert f"model run: {newest_run}" in result.stdout.str()
    finally:
        get_run(tiny_run).remove_tag("retagged_for_order_test")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Tinyflow", ["TinyFlow"]),
        ("tinyflow", ["TinyFlow"]),
        ("TinyFlw", ["TinyFlow"]),
        ("Wineflow", ["WineFlow"]),
        ("NoSuchFlow", []),
    ],
)
def test_a_wrong_case_suggests_only_the_flow_of_that_name(name, expected):
    # Found in CI: with WineFlow runs in the same datastore, 'Tinyflow' also suggested
    # 'WineFlow' (difflib ratio 0.75): a flow that differs only by case is the one answer.
    from modelgate.metaflow_io.runs import close_names

    assert close_names(name, ["BreastCancerFlow", "DiabetesFlow", "TinyFlow", "WineFlow"]) == expected
