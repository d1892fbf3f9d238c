"""The tabular example flows, trained for real and gated by their own suites.

examples/wine (WineFlow: a multiclass scikit-learn pipeline on the wine table),
examples/diabetes (DiabetesFlow: a gradient-boosted regressor on the diabetes
table) and examples/breast_cancer (BreastCancerFlow: a binary scikit-learn
pipeline on the breast cancer table) each run twice, as ``python <flow>.py
run`` in a subprocess with this session's Metaflow isolation: once as
written, once with ``--shuffle-labels True`` (a model with no skill); the six
runs are made side by side, once per session (conftest's ``tabular_runs``,
which tests/integration/metamorphic shares). Then pytest gates each run with the
example's own suite (``examples/<name>/gate`` and its ``pyproject.toml``): the
good run passes and is tagged, the shuffled one fails, is not tagged, and the
failing checks are named.

Every test here makes Metaflow runs of its own: slow.
"""

from pathlib import Path

import pytest

from helpers import EXAMPLES, untag_flow, user_tags
from modelgate.metaflow_io.runs import load_artifact
from modelgate.names import DEFAULT_TAG

pytestmark = pytest.mark.slow

WINE = EXAMPLES / "wine"
DIABETES = EXAMPLES / "diabetes"
BREAST_CANCER = EXAMPLES / "breast_cancer"
# [tool.modelgate] items + the tests in gate/:
N_WINE_TESTS = 3 + 2 + 9 + 1  # 3 checks, 2 properties, 9 smoke rows; 1 test in gate/
N_DIABETES_TESTS = 5 + 1 + 3 + 7 + 2  # 5 checks, 1 gap, 3 properties, 7 smoke rows; 2 tests in gate/
N_BREAST_CANCER_TESTS = 4 + 2 + 5 + 1  # 4 checks, 2 properties, 5 smoke rows; 1 test in gate/


@pytest.fixture(scope="module")
def wine_runs(tabular_runs) -> dict:
    return tabular_runs["wine"]


@pytest.fixture(scope="module")
def diabetes_runs(tabular_runs) -> dict:
    return tabular_runs["diabetes"]


@pytest.fixture(scope="module")
def breast_cancer_runs(tabular_runs) -> dict:
    return tabular_runs["breast_cancer"]


def gate(gate_suite, run: str, folder: Path, *args: str):
    """``pytest <folder>/gate --model-run run``, with no champion around (no run of the flow tagged)."""
    from threadpoolctl import threadpool_limits  # comes with scikit-learn

    untag_flow(run.split("/")[0])
    with threadpool_limits(limits=1):  # the gate scores small batches: threads only wait (see ONE_THREAD)
        return gate_suite.run(run, str(folder / "gate"), *args)


# --- WineFlow: multiclass ---------------------------------------------------------


def test_wine_flow_trains_a_good_classifier_and_gates_it_in_flow(wine_runs):
    good, shuffled = wine_runs["good"], wine_runs["shuffled"]
    assert load_artifact(good, "model_accuracy") > 0.9
    assert 0.38 < load_artifact(good, "majority_accuracy") < 0.42  # 29 of 72 validation wines are cultivar 1
    assert load_artifact(shuffled, "model_accuracy") < 0.6
    val_df = load_artifact(good, "val_df")
    assert len(val_df) == 72 and {"sample_id", "proline", "target"} <= set(val_df.columns)
    # The end step ran the same gate: the good run passed and tagged itself, the shuffled one did not.
    assert load_artifact(good, "gate_verdict")["passed"] is True
    assert load_artifact(shuffled, "gate_verdict")["passed"] is False
    assert DEFAULT_TAG in wine_runs["tags_after_flow"]["good"]
    assert DEFAULT_TAG not in wine_runs["tags_after_flow"]["shuffled"]


def test_wine_gate_passes_and_tags_the_good_run(gate_suite, wine_runs):
    run = wine_runs["good"]
    result = gate(gate_suite, run, WINE)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.assert_outcomes(passed=N_WINE_TESTS)
    assert DEFAULT_TAG in user_tags(run)
    result.stdout.fnmatch_lines([f"modelgate: tag '{DEFAULT_TAG}' applied to {run}*"])


def test_wine_gate_fails_the_shuffled_run_and_names_the_checks(gate_suite, wine_runs):
    run = wine_runs["shuffled"]
    result = gate(gate_suite, run, WINE)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert DEFAULT_TAG not in user_tags(run)
    result.stdout.fnmatch_lines([f"modelgate: tag '{DEFAULT_TAG}' not applied to {run}: *quality tests failed*"])
    result.stdout.re_match_lines(
        [
            r"FAILED \S*modelgate::accuracy-vs-majority-margin\+0\.2( - |$)",
            r"FAILED \S*modelgate::log_loss-vs-majority-margin\+0\.5( - |$)",
            r"FAILED \S*modelgate::macro_f1-at-least-0\.8( - |$)",
        ]
    )
    # Dropping sample_id keeps the invariance property, whatever the labels were.
    result.stdout.fnmatch_lines(["PASS  property: invariance-sample_id *"])


# --- DiabetesFlow: regression -----------------------------------------------------


def test_diabetes_flow_trains_a_regressor_and_gates_it_in_flow(diabetes_runs):
    good, shuffled = diabetes_runs["good"], diabetes_runs["shuffled"]
    assert 0.3 < load_artifact(good, "model_r2") < 0.6
    assert load_artifact(good, "model_mae") < load_artifact(good, "mean_mae") - 10
    assert load_artifact(shuffled, "model_r2") < 0.1
    val_df = load_artifact(good, "val_df")
    assert len(val_df) == 133 and {"patient_id", "bmi", "s5", "target"} <= set(val_df.columns)
    assert load_artifact(good, "gate_verdict")["passed"] is True
    assert load_artifact(shuffled, "gate_verdict")["passed"] is False
    assert DEFAULT_TAG in diabetes_runs["tags_after_flow"]["good"]
    assert DEFAULT_TAG not in diabetes_runs["tags_after_flow"]["shuffled"]


def test_diabetes_gate_passes_and_tags_the_good_run(gate_suite, diabetes_runs):
    run = diabetes_runs["good"]
    result = gate(gate_suite, run, DIABETES)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.assert_outcomes(passed=N_DIABETES_TESTS)
    assert DEFAULT_TAG in user_tags(run)
    result.stdout.fnmatch_lines([f"modelgate: tag '{DEFAULT_TAG}' applied to {run}*"])


def test_diabetes_gate_fails_the_shuffled_run_and_names_the_checks(gate_suite, diabetes_runs):
    run = diabetes_runs["shuffled"]
    result = gate(gate_suite, run, DIABETES)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert DEFAULT_TAG not in user_tags(run)
    result.stdout.fnmatch_lines([f"modelgate: tag '{DEFAULT_TAG}' not applied to {run}: *quality tests failed*"])
    result.stdout.re_match_lines(
        [
            r"FAILED \S*modelgate::mae-vs-mean-margin\+5(\.0)?( - |$)",
            r"FAILED \S*modelgate::mae-vs-median-margin\+5(\.0)?( - |$)",
            r"FAILED \S*modelgate::r2-at-least-0\.15( - |$)",
            r"FAILED \S*modelgate::mae-at-most-55(\.0)?( - |$)",
            r"FAILED \S*modelgate::median_ae-at-most-52(\.0)?( - |$)",
        ]
    )
    # The trees are constrained in bmi and s5: monotonic even when trained on noise.
    result.stdout.fnmatch_lines(
        [
            "PASS  property: invariance-patient_id *",
            "PASS  property: monotonic-bmi-increasing *",
            "PASS  property: monotonic-s5-increasing *",
        ]
    )


# --- BreastCancerFlow: binary -----------------------------------------------------


def test_breast_cancer_flow_trains_a_good_classifier_and_gates_it_in_flow(breast_cancer_runs):
    good, shuffled = breast_cancer_runs["good"], breast_cancer_runs["shuffled"]
    assert load_artifact(good, "model_roc_auc") > 0.98
    assert 0.62 < load_artifact(good, "majority_accuracy") < 0.63  # 143 of 228 validation tumours are benign
    assert load_artifact(shuffled, "model_roc_auc") < 0.7
    val_df = load_artifact(good, "val_df")
    assert len(val_df) == 228 and {"patient_id", "worst area", "target"} <= set(val_df.columns)
    assert load_artifact(good, "gate_verdict")["passed"] is True
    assert load_artifact(shuffled, "gate_verdict")["passed"] is False
    assert DEFAULT_TAG in breast_cancer_runs["tags_after_flow"]["good"]
    assert DEFAULT_TAG not in breast_cancer_runs["tags_after_flow"]["shuffled"]


def test_breast_cancer_gate_passes_and_tags_the_good_run(gate_suite, breast_cancer_runs):
    run = breast_cancer_runs["good"]
    result = gate(gate_suite, run, BREAST_CANCER)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.assert_outcomes(passed=N_BREAST_CANCER_TESTS)
    assert DEFAULT_TAG in user_tags(run)
    result.stdout.fnmatch_lines([f"modelgate: tag '{DEFAULT_TAG}' applied to {run}*"])


def test_breast_cancer_gate_fails_the_shuffled_run_and_names_the_checks(gate_suite, breast_cancer_runs):
    run = breast_cancer_runs["shuffled"]
    result = gate(gate_suite, run, BREAST_CANCER)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert DEFAULT_TAG not in user_tags(run)
    result.stdout.fnmatch_lines([f"modelgate: tag '{DEFAULT_TAG}' not applied to {run}: *quality tests failed*"])
    result.stdout.re_match_lines(
        [
            r"FAILED \S*modelgate::roc_auc-vs-majority-margin\+0\.3( - |$)",
            r"FAILED \S*modelgate::accuracy-vs-majority-margin\+0\.2( - |$)",
            r"FAILED \S*modelgate::log_loss-vs-majority-margin\+0\.3( - |$)",
            r"FAILED \S*modelgate::f1-at-least-0\.9( - |$)",
        ]
    )
    # Dropping patient_id keeps the invariance property, whatever the labels were.
    result.stdout.fnmatch_lines(["PASS  property: invariance-patient_id *"])
