"""Failure rates of the text properties over ``n_examples`` examples, as CheckList reports them.

The examples are sampled uniformly with a seeded generator (an unbiased rate, the
same verdict in every process) and scored in one batch; Hypothesis, with
deterministic settings, then finds and shrinks a counterexample."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..evidence.scorers import Scorer, as_scorer
from ..lazy import LazyModule
from ..text import printable
from .perturbations import (
    FILLER_SENTENCES,
    MAX_INDEX,
    NEGATIVE_SENTENCES,
    OPS,
    POSITIVE_SENTENCES,
    Perturbation,
    chosen_kinds,
    distinct_texts,
    perturbation_draws,
    perturbations,
    texts_from,
)
from .reports import BUDGET_CONFIDENCE, Counterexample, RateReport, within_budget
from .text_checks import append_sentence, check_direction, directional_violated, invariance_name, invariance_violated

if TYPE_CHECKING:
    from hypothesis import strategies as st
else:
    # Hypothesis only searches for and shrinks a counterexample: a gate whose
    # properties hold never imports it.
    st = LazyModule("hypothesis.strategies")


# A draw is materialised as (original, perturbed, kind, change description).
_Pair = tuple[str, str, str, str]


def _rate_check(
    model: Any,
    sample: Callable[[np.random.Generator], Any],
    materialise: Callable[[Any], _Pair],
    violated: Callable[[float, float], bool],
    strategies: Callable[[list[Any]], list[st.SearchStrategy[Any]]],
    *,
    name: str,
    n_examples: int,
    max_failure_rate: float,
    seed: int,
    confidence: float | None = BUDGET_CONFIDENCE,
) -> RateReport:
    """Sample ``n_examples``, score them in one batch, count failures; shrink one if too many.

    The examples are sampled uniformly with a seeded numpy generator, so the
    rate is an unbiased CheckList-style estimate and the verdict is the same in
    every process. (Hypothesis's derandomized generation is not: it mixes in
    constants from whichever local modules happen to be imported.) Hypothesis
    then searches ``strategies(failing_draws)`` in order and shrinks the first
    failure it finds; all texts go through the caching scorer.
    """
    if n_examples < 1:
        raise ValueError(f"n_examples must be at least 1, got {n_examples}")
    if not 0.0 <= max_failure_rate <= 1.0:
        raise ValueError(f"max_failure_rate must be in [0, 1], got {max_failure_rate}")
    scorer: Scorer = as_scorer(model)
    rng = np.random.default_rng(seed)

    draws: list[Any] = []
    pairs: list[_Pair] = []
    for _ in range(20 * n_examples):  # bounded: texts no perturbation can change
        if len(pairs) == n_examples:
            break
        draw = sample(rng)
        pair = materialise(draw)
        if pair[1] != pair[0]:  # an unchanged text proves nothing
            draws.append(draw)
            pairs.append(pair)

    n = len(pairs)
    scores = scorer([p[0] for p in pairs] + [p[1] for p in pairs]).tolist()
    failing = [i for i in range(n) if violated(scores[i], scores[n + i])]

    def to_counterexample(pair: _Pair, shrunk: bool) -> Counterexample:
        s0, s1 = (float(s) for s in scorer([pair[0], pair[1]]))
        return Counterexample(pair[0], pair[1], s0, s1, pair[2], pair[3], shrunk)

    def fails(draw: Any) -> bool:
        original, changed, _, _ = materialise(draw)
        s0, s1 = scorer([original, changed]).tolist()
        return changed != original and violated(s0, s1)

    counterexample = None
    if failing:
        counterexample = to_counterexample(pairs[failing[0]], shrunk=False)
        if not within_budget(len(failing), n, max_failure_rate, confidence):
            from .shrinking import smallest_failure  # Hypothesis: only for a rate over budget

            smallest = smallest_failure(strategies([draws[i] for i in failing]), fails, max(n_examples, 200))
            if smallest is not None:
                counterexample = to_counterexample(materialise(smallest), shrunk=True)
    return RateReport(
        property=name,
        n_examples=n,
        n_failures=len(failing),
        max_failure_rate=max_failure_rate,
        counterexample=counterexample,
        confidence=confidence,
    )


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def check_invariance_rate(
    model: Any,
    texts: Iterable[str],
    *,
    n_examples: int = 100,
    max_failure_rate: float = 0.0,
    tolerance: float | None = None,
    threshold: float = 0.5,
    kinds: Iterable[str] | None = None,
    fillers: Sequence[str] = FILLER_SENTENCES,
    seed: int = 0,
    confidence: float | None = BUDGET_CONFIDENCE,
) -> RateReport:
    """Invariance over ``n_examples`` sampled (text, perturbation) pairs; fails above ``max_failure_rate``.

    Each example is a text drawn uniformly from ``texts`` and a perturbation
    of one of ``kinds`` (default: all) that changes it. A failure is a label
    flip at ``threshold``, or with ``tolerance``, a score change >= tolerance.
    A positive budget passes when the ``confidence`` upper bound of the rate
    (Clopper-Pearson) is below it; ``confidence=None`` decides on the rate itself.
    """
    unique = distinct_texts(texts)
    chosen = chosen_kinds(kinds)
    fillers = tuple(fillers)
    if "filler" in chosen and not fillers:
        raise ValueError("the filler perturbation needs at least one sentence in fillers=")

    def sample(rng: np.random.Generator) -> tuple[str, Perturbation]:
        kind = _pick(rng, chosen)
        index, position = (int(v) for v in rng.integers(0, MAX_INDEX + 1, size=2))
        sentence = _pick(rng, fillers) if kind == "filler" else ""
        return _pick(rng, unique), Perturbation(kind, _pick(rng, OPS[kind]), index, position, sentence)

    def materialise(draw: tuple[str, Perturbation]) -> _Pair:
        original, p = draw
        changed, change = p._apply(original)
        return original, changed, p.kind, change

    def strategies(failing: list[tuple[str, Perturbation]]) -> list[st.SearchStrategy[Any]]:
        # All texts and kinds first (the simplest counterexample overall), then
        # only the texts and kinds seen failing, where a rare failure is found.
        return [
            perturbation_draws(unique, perturbations(chosen, fillers=fillers)),
            perturbation_draws(
                [d[0] for d in failing],
                perturbations({d[1].kind for d in failing}, fillers=fillers),
            ),
        ]

    return _rate_check(
        model,
        sample,
        materialise,
        lambda s0, s1: invariance_violated(s0, s1, tolerance, threshold),
        strategies,
        name=invariance_name(tolerance, threshold),
        n_examples=n_examples,
        max_failure_rate=max_failure_rate,
        seed=seed,
        confidence=confidence,
    )


def check_directional_rate(
    model: Any,
    texts: Iterable[str],
    *,
    direction: Literal["negative", "positive"] = "negative",
    sentences: Sequence[str] | None = None,
    n_examples: int = 100,
    max_failure_rate: float = 0.0,
    tolerance: float = 0.02,
    seed: int = 0,
    confidence: float | None = BUDGET_CONFIDENCE,
) -> RateReport:
    """Directional expectation over ``n_examples`` sampled (text, sentence) pairs.

    ``sentences`` defaults to NEGATIVE_SENTENCES or POSITIVE_SENTENCES.
    """
    check_direction(direction)
    if sentences is None:
        sentences = NEGATIVE_SENTENCES if direction == "negative" else POSITIVE_SENTENCES
    sentences = tuple(sentences)
    if not sentences:
        raise ValueError("check_directional_rate needs at least one sentence")
    unique = distinct_texts(texts)
    kind = f"{direction} sentence"

    def sample(rng: np.random.Generator) -> tuple[str, str]:
        return _pick(rng, unique), _pick(rng, sentences)

    def materialise(draw: tuple[str, str]) -> _Pair:
        original, sentence = draw
        return original, append_sentence(original, sentence), kind, f"appended {sentence!r}"

    def strategies(failing: list[tuple[str, str]]) -> list[st.SearchStrategy[Any]]:
        return [
            st.tuples(texts_from(unique), st.sampled_from(sentences)),
            st.tuples(
                texts_from(d[0] for d in failing),
                st.sampled_from([s for s in sentences if s in {d[1] for d in failing}]),
            ),
        ]

    return _rate_check(
        model,
        sample,
        materialise,
        lambda s0, s1: directional_violated(s0, s1, direction, tolerance),
        strategies,
        name=f"directional ({direction} sentence)",
        n_examples=n_examples,
        max_failure_rate=max_failure_rate,
        seed=seed,
        confidence=confidence,
    )


def assert_invariance_rate(model: Any, texts: Iterable[str], **kwargs: Any) -> RateReport:
    """:func:`check_invariance_rate`, raising AssertionError with the report when it fails."""
    report = check_invariance_rate(model, texts, **kwargs)
    if not report.passed:
        raise AssertionError(printable(report.message, keep_newlines=True))
    return report


def assert_directional_rate(model: Any, texts: Iterable[str], **kwargs: Any) -> RateReport:
    """:func:`check_directional_rate`, raising AssertionError with the report when it fails."""
    report = check_directional_rate(model, texts, **kwargs)
    if not report.passed:
        raise AssertionError(printable(report.message, keep_newlines=True))
    return report
