"""The tutorial flow in examples/, trained for real and gated by its own suite.

Every test here but test_scores_are_computed_once_per_session trains the
example NLPFlow with TensorFlow: slow (conftest's SLOW_FIXTURES).
"""

import pytest

from helpers import EXAMPLES, FLOWS, run_flow, untag_flow, user_tags
from modelgate.metaflow_io.runs import get_run, load_artifact
from modelgate.names import DEFAULT_TAG

GATE_SUITE = str(EXAMPLES / "gate")
# examples/pyproject.toml: 3 checks, 6 slice checks (the demo reviews' 2 length buckets and
# 4 garments), 3 properties, 12 smoke cases; + 1 test in gate/
N_QUALITY_TESTS = 25
N_REAL_QUALITY_TESTS = N_QUALITY_TESTS + 1  # the real reviews have long ones too: a third length bucket


def gate_example(gate_suite, run, *args):
    """Run the example's gate suite on ``run``, with no champion around (no other run tagged)."""
    untag_flow(run.split("/")[0])
    return gate_suite.run(run, GATE_SUITE, *args)


def test_demo_data_model_lands_inside_the_promised_range(demo_run):
    auc = load_artifact(demo_run, "model_rocauc")
    acc = load_artifact(demo_run, "model_acc")
    assert 0.75 < auc < 0.97
    assert acc > load_artifact(demo_run, "base_acc")


def test_flow_keeps_the_tutorial_artifacts(demo_run):
    run = get_run(demo_run)
    start = {a.id for a in run["start"].task}
    end = {a.id for a in run["end"].task}
    assert {"df", "valdf"} <= start
    assert {"base_acc", "base_rocauc", "model_dict", "train_df", "val_df", "model_acc", "model_rocauc"} <= end
    assert "valdf" not in end  # as in the tutorial: the join does not carry it on
    assert set(load_artifact(demo_run, "model_dict")) == {"vectorizer", "model"}
    # the in-flow gate's verdict rides along as an artifact
    assert load_artifact(demo_run, "gate_verdict")["passed"] is True


def test_example_gate_tags_the_demo_run(gate_suite, demo_run):
    result = gate_example(gate_suite, demo_run)
    result.assert_outcomes(passed=N_QUALITY_TESTS)
    assert DEFAULT_TAG in user_tags(demo_run)
    result.stdout.fnmatch_lines(
        [
            "*PASS  roc_auc vs majority*DeLong*",
            "*PASS  roc_auc vs champion*no baseline*",
            f"modelgate: tag '{DEFAULT_TAG}' applied to {demo_run}*",
        ]
    )


def test_example_gate_reads_start_step_artifacts(gate_suite, demo_run):
    """`step/name` reads another step's artifact: the tutorial's valdf lives only in start."""
    result = gate_example(gate_suite, demo_run, "--gate-data-artifact", "start/valdf", "--gate-dry-run")
    result.assert_outcomes(passed=N_QUALITY_TESTS)


@pytest.mark.slow
def test_real_data_flow_matches_the_tutorial_and_is_tagged(gate_suite, real_run):
    auc = load_artifact(real_run, "model_rocauc")
    acc = load_artifact(real_run, "model_acc")
    assert 0.88 < auc < 0.94, auc  # the tutorial reports about 0.91
    assert 0.84 < acc < 0.90, acc  # and 86-87%
    result = gate_example(gate_suite, real_run)
    result.assert_outcomes(passed=N_REAL_QUALITY_TESTS)
    result.stdout.fnmatch_lines(["*PASS  roc_auc vs majority [[]length=long, n=1189[]]*"])
    assert DEFAULT_TAG in user_tags(real_run)


@pytest.mark.slow
def test_inverted_model_is_not_tagged_and_the_failing_check_is_named(gate_suite, real_run):
    inverted = run_flow(FLOWS / "inverted_flow.py", source=real_run)
    result = gate_example(gate_suite, inverted)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert DEFAULT_TAG not in user_tags(inverted)
    result.stdout.fnmatch_lines(
        [
            "*FAIL  roc_auc vs majority*DeLong*",
            f"modelgate: tag '{DEFAULT_TAG}' not applied to {inverted}: *quality tests failed*",
        ]
    )
    assert "FAILED" in result.stdout.str()
    result.stdout.re_match_lines([r"FAILED \S*modelgate::roc_auc-vs-majority-margin\+0\.1( - |$)"])


def test_scores_are_computed_once_per_session(gate_suite, tiny_run):
    gate_suite.write(
        """
        seen = []

        def test_auc(gate, evaluation):
            seen.append(evaluation)
            gate.beats("roc_auc", margin=0.1)

        def test_accuracy(gate, evaluation):
            seen.append(evaluation)
            gate.beats("accuracy")

        def test_f1(gate, evaluation):
            seen.append(evaluation)
            gate.beats("f1", margin=-1.0, confidence=None)

        def test_zz_model_was_called_once(model_scorer, evaluation):
            assert all(e is evaluation for e in seen) and len(seen) == 3
            assert model_scorer.model_calls == 1
            assert model_scorer.texts_scored == len(set(evaluation.texts))
        """
    )
    result = gate_suite.run(tiny_run, "--gate-dry-run")
    result.assert_outcomes(passed=4)


def test_a_gate_session_on_a_keras_run_prints_no_library_chatter(gate_suite, demo_run, monkeypatch):
    """In a new process (TensorFlow is imported there by the gate, unpickling the model):
    no PyYAML deprecation re-emitted by the gate, no TensorFlow or absl start-up lines."""
    import re

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)  # the gate quiets TensorFlow itself
    suite = gate_suite.write("def test_auc(gate):\n    gate.beats('roc_auc', margin=0.1)\n", ini=None)
    result = suite.run_subprocess(demo_run, "--gate-dry-run")
    result.assert_outcomes(passed=1)
    output = result.outlines + result.errlines
    assert not [line for line in output if "DeprecationWarning" in line or "_yaml" in line], output
    chatter = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} |WARNING:absl:)|oneDNN|cuda|TF_CPP")
    assert not [line for line in output if chatter.search(line)], output
    assert any(line.startswith("modelgate: dry run: would apply") for line in result.outlines)
