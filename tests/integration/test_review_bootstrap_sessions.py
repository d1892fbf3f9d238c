"""A hostile review of the statistics engine in a session: a bootstrap check declared with
too few resamples for its confidence is refused in one line (exit 4), never a tag."""

import pytest


@pytest.mark.parametrize(
    ("check", "message"),
    [
        # a floor: the bound of one resample is above the estimate half the time
        (
            "metric=f1,at_least=0.05,n_resamples=1",
            "--gate-check #1.n_resamples: n_resamples=1 is too few for a 0.95 bound: at least 20",
        ),
        # a margin (f1's own method is the bootstrap)
        ("metric=f1,margin=-0.9,n_resamples=19", "n_resamples=19 is too few for a 0.95 bound: at least 20"),
        # a method asked for by name, at another confidence
        (
            "metric=roc_auc,margin=-0.9,method=bootstrap,confidence=0.99,n_resamples=50",
            "n_resamples=50 is too few for a 0.99 bound: at least 100",
        ),
    ],
    ids=["floor", "margin", "named-method"],
)
def test_a_bootstrap_check_with_too_few_resamples_is_refused(gate_suite, run, check, message):
    from helpers import usage_error, user_tags
    from modelgate.names import DEFAULT_TAG

    gate_suite.write()
    usage_error(gate_suite.run(run, "--gate-check", check), message)
    assert DEFAULT_TAG not in user_tags(run)


def test_enough_resamples_still_gate(gate_suite, run):
    from helpers import user_tags
    from modelgate.names import DEFAULT_TAG

    gate_suite.write()
    result = gate_suite.run(run, "--gate-check", "metric=f1,at_least=0.05,n_resamples=20", "-rA")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["PASSED modelgate::f1-at-least-0.05"])
    assert DEFAULT_TAG in user_tags(run)
