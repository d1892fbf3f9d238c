"""Hostile review: ways to get a tag without evidence, a config the user did not mean,
or a misspelt setting that is silently ignored."""

import pytest

from conftest import usage_error, user_tags

TAG = "deployment_candidate"


def test_a_conftest_fixture_named_evaluation_is_not_evidence(gate_suite, run):
    # The test looks at a fake, never at the model: nothing was gated.
    gate_suite.conftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def evaluation():
            return {"roc_auc": 0.99}
        """
    ).write("def test_quality(evaluation):\n    assert evaluation['roc_auc'] > 0.9\n")
    result = gate_suite.run(run)
    assert TAG not in user_tags(run)
    assert result.ret == 1, result.outlines
    assert "nothing was gated" in gate_suite.tag_line(result)


def test_a_module_fixture_named_gate_is_not_evidence(gate_suite, run):
    gate_suite.write(
        """
import pytest

@pytest.fixture
def gate():
    class Fake:
        def beats(self, *a, **k):
            return None
    return Fake()

def test_auc_beats_majority(gate):
    gate.beats("roc_auc", margin=0.5)
"""
    )
    result = gate_suite.run(run)
    assert TAG not in user_tags(run)
    assert result.ret == 1, result.outlines


def test_a_fixture_overriding_evaluation_that_uses_the_real_one_is_evidence(gate_suite, run):
    # Overriding a fixture while requesting the original (pytest's own pattern) still looks at the model.
    gate_suite.conftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def evaluation(evaluation):
            return evaluation
        """
    ).write("def test_quality(evaluation):\n    assert evaluation.n > 0\n")
    result = gate_suite.run(run)
    assert result.ret == 0, result.outlines
    assert TAG in user_tags(run)
