"""Every example gate, in memory (``Gate.evaluate`` on real fitted models), under
the transformations of ``transformations.py``.

Hypothesis draws chains of invariant transformations (relabel the classes,
permute the rows, reorder the columns, rename the label column) with their
parameters; the verdict, every check's pass/fail and every bound must stay
what the untouched example gives. Each binary coding and each flip is also
checked on its own, for every example it applies to. The tabular examples
train in memory in about a second: not slow. The NLP example needs the demo
NLPFlow run's Keras model: slow.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .examples import TABULAR
from .transformations import (
    BINARY_CODINGS,
    FLIPS,
    INVARIANTS,
    SHUFFLE,
    Case,
    Transformation,
    baseline_comparisons_passed,
    differences,
    group_rows,
    relabel,
)

DRAWS = settings(
    max_examples=4,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def references(tabular_cases) -> dict:
    """Each tabular example's verdict as it is."""
    return {name: case.verdict() for name, case in tabular_cases.items()}


def apply_drawn(case: Case, data: st.DataObject) -> tuple[Case, list[str]]:
    """A chain of 1-3 invariant transformations that apply to the case, drawn with their parameters."""
    chain = data.draw(st.lists(st.sampled_from([t for t in INVARIANTS if t.applies_to(case)]), min_size=1, max_size=3))
    done = []
    for transformation in chain:
        parameter = data.draw(transformation.parameter(case), label=transformation.name)
        case = transformation.apply(case, parameter)
        done.append(f"{transformation.name} ({parameter!r})")
    return case, done


def assert_same(reference, case: Case, done: list[str]) -> None:
    relabelled = any(step.startswith("relabel") for step in done)
    found = differences(reference, case.verdict(), names=not relabelled)
    assert not found, f"{case.example} after {' then '.join(done)}:\n" + "\n".join(found)


# -- invariants ------------------------------------------------------------------------
@pytest.mark.parametrize("example", [e.name for e in TABULAR])
@DRAWS
@given(data=st.data())
def test_invariant_transformations_keep_the_verdict_and_the_bounds(tabular_cases, references, example, data):
    transformed, done = apply_drawn(tabular_cases[example], data)
    assert_same(references[example], transformed, done)


@pytest.mark.slow  # three copies of every row through every bound: 11 s for the breast-cancer example
@pytest.mark.parametrize("example", [e.name for e in TABULAR])
@pytest.mark.filterwarnings("ignore:validation data has .* duplicate rows")
def test_copies_of_a_row_inside_its_group_keep_the_verdict_and_the_bounds(tabular_cases, example):
    """With ``group_column``, three copies of every row (each row its own group) give the
    verdict and every bound of the rows themselves: copies are no evidence."""
    alone = group_rows(tabular_cases[example], 1)
    reference = alone.verdict()
    assert any("groups" in (r.method or "") for r in reference.results), "no bound was grouped"
    assert_same(reference, group_rows(tabular_cases[example], 3), ["copy every row 3 times in its group"])


def binary_cases(tabular_cases) -> list[Case]:
    return [case for case in tabular_cases.values() if case.task == "binary"]


@pytest.mark.parametrize("coding", BINARY_CODINGS, ids=lambda c: f"{c[0]!r}-{c[1]!r}")
def test_every_binary_coding_keeps_the_verdict(tabular_cases, references, coding):
    """0/1 as 1/2, -1/1, "neg"/"pos" or False/True, the model trained on the coded labels:
    the positive class is the greater label (the model's classes_[1])."""
    for case in binary_cases(tabular_cases):
        assert_same(references[case.example], relabel(case, dict(zip((0, 1), coding))), [f"relabel {coding!r}"])


@pytest.fixture(scope="module")
def nlp_reference(nlp_case):
    return nlp_case.verdict()


@pytest.mark.slow
@pytest.mark.parametrize("coding", BINARY_CODINGS, ids=lambda c: f"{c[0]!r}-{c[1]!r}")
def test_every_binary_coding_keeps_the_nlp_verdict(nlp_case, nlp_reference, coding):
    """A model that names no classes (the Keras model_dict) scores the greater label."""
    assert_same(nlp_reference, relabel(nlp_case, dict(zip((0, 1), coding))), [f"relabel {coding!r}"])


@pytest.mark.slow
def test_relabelling_twice_keeps_the_nlp_verdict(nlp_case, nlp_reference):
    """Two renamings in a row (hypothesis drew this chain): the positive class follows both,
    so the second must rename the first one's positive class (2), not assume it is 1."""
    twice = relabel(relabel(nlp_case, {0: 1, 1: 2}), {1: 1, 2: 2})
    assert twice.gate.config.settings.positive_class == 2
    assert_same(nlp_reference, twice, ["relabel {0: 1, 1: 2}", "relabel {1: 1, 2: 2}"])
    words = relabel(relabel(nlp_case, {0: "neg", 1: "pos"}), {"neg": 0, "pos": 1})
    assert_same(nlp_reference, words, ["relabel {0: 'neg', 1: 'pos'}", "relabel {'neg': 0, 'pos': 1}"])


@pytest.mark.slow
@DRAWS
@given(data=st.data())
def test_the_nlp_example_keeps_its_verdict(nlp_case, nlp_reference, data):
    transformed, done = apply_drawn(nlp_case, data)
    assert_same(nlp_reference, transformed, done)


# -- flips -----------------------------------------------------------------------------
def assert_flipped(flip: Transformation, case: Case, reference) -> None:
    assert reference.passed, f"{case.example} does not pass as it is"
    verdict = flip.apply(case, None).verdict()
    assert not verdict.passed, f"{case.example} still passes after '{flip}':\n{verdict}"
    if flip is SHUFFLE:  # no skill: not one baseline comparison may pass
        assert baseline_comparisons_passed(verdict) == [], f"{case.example} after '{flip}':\n{verdict}"


@pytest.mark.parametrize("flip", FLIPS, ids=str)
@pytest.mark.parametrize("example", [e.name for e in TABULAR])
def test_flips_fail_the_verdict(tabular_cases, references, example, flip):
    assert_flipped(flip, tabular_cases[example], references[example])


@pytest.mark.slow
@pytest.mark.parametrize("flip", FLIPS, ids=str)
def test_flips_fail_the_nlp_verdict(nlp_case, nlp_reference, flip):
    assert_flipped(flip, nlp_case, nlp_reference)
