"""Hostile review: the session's evidence is shared by every quality test (session-scoped
fixtures). A hand-written test that changes it in place (relabelling, sorting scores) must
not change the verdict of the tests that run after it: the evidence is read-only."""

from helpers import user_tags
from modelgate.names import DEFAULT_TAG

# The second test alone fails: TinyFlow's AUC lower bound over majority is about +0.30.
MUTATES_THEN_GATES = """
def test_a_what_if_labels_were_the_predictions(evaluation):
    labels = evaluation.labels
    labels[:] = (evaluation.scores("candidate") > 0.5).astype(labels.dtype)  # in place

def test_b_auc_beats_majority_by_a_lot(gate):
    gate.beats("roc_auc", margin=0.4)
"""


def test_a_test_that_changes_the_evidence_in_place_cannot_pass_the_gate(gate_suite, run):
    result = gate_suite.write(MUTATES_THEN_GATES).run(run)
    assert DEFAULT_TAG not in user_tags(run)
    assert result.ret == 1
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 0, outcomes  # neither the mutation nor the check it would fake passes
    result.stdout.fnmatch_lines(["*read-only*"])


# Against the real majority baseline (accuracy 0.64) the difference's lower bound is about +0.19.
LOWERS_THE_BASELINE_THEN_GATES = """
def test_a_what_if_the_baseline_said_no(majority_baseline):
    majority_baseline[:] = 0.0  # in place: a baseline that predicts the minority class

def test_b_accuracy_beats_majority_by_a_lot(gate):
    gate.beats("accuracy", margin=0.4)
"""


def test_a_test_that_changes_a_baseline_in_place_cannot_pass_the_gate(gate_suite, run):
    result = gate_suite.write(LOWERS_THE_BASELINE_THEN_GATES).run(run)
    assert DEFAULT_TAG not in user_tags(run)
    assert result.ret == 1
    assert result.parseoutcomes().get("passed", 0) == 0
    result.stdout.fnmatch_lines(["*read-only*"])
