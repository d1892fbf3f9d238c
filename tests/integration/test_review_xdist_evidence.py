"""Hostile review: under xdist each worker builds the evidence itself, on first use. A test
that changes the ``validation_data`` frame in place before then must not change what the
gate judges (without xdist, the evidence is built before any test runs)."""

import pytest

from helpers import user_tags
from modelgate.names import DEFAULT_TAG

# TinyFlow's AUC lower bound over majority is about +0.30: test_b fails on the real labels.
RELABELS_THEN_GATES = """
def test_a_relabel_as_the_model_predicts(validation_data, model_run):
    model = model_run.data.model
    validation_data["labels"] = (model.predict_proba(validation_data["review"])[:, 1] > 0.5).astype(int)

def test_b_auc_beats_majority_by_a_lot(gate):
    gate.beats("roc_auc", margin=0.4)
"""


@pytest.mark.slow  # xdist workers
def test_a_test_that_changes_validation_data_cannot_change_the_evidence_of_an_xdist_worker(gate_suite, run):
    result = gate_suite.write(RELABELS_THEN_GATES).run(run, "-n", "2", "--dist", "loadfile")
    assert DEFAULT_TAG not in user_tags(run)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["FAIL*roc_auc vs majority*0.8534*+0.4000*"])


def test_the_same_without_xdist(gate_suite, run):
    result = gate_suite.write(RELABELS_THEN_GATES).run(run)
    assert DEFAULT_TAG not in user_tags(run)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["FAIL*roc_auc vs majority*0.8534*+0.4000*"])
