"""Behavioural properties in the style of CheckList (Ribeiro et al., ACL 2020), with Hypothesis.

* Invariance (INV): a label-preserving perturbation (typo, case, punctuation,
  whitespace, a neutral filler sentence) must not change the predicted label,
  or, with ``tolerance=``, must move the score by less than ``tolerance``.
* Directional expectation (DIR): appending a clearly negative sentence must not
  raise the positive score (beyond a small tolerance); appending a clearly
  positive one must not lower it.

Strategies (``texts_from``, ``perturbations``, ``perturbed`` ...) draw real
texts and perturbations as choices and indices, so Hypothesis shrinks a
failure towards the shortest text and the simplest perturbation.

Each property has three forms: ``check_*`` returns a result object,
``assert_*`` raises ``AssertionError`` with a readable message, and the
``*_rate`` forms report a failure rate over ``n_examples`` examples, as
CheckList does, with a counterexample shrunk by Hypothesis. The rate forms
sample their examples uniformly with a seeded generator (an unbiased rate,
the same verdict in every process) and use Hypothesis, with deterministic
settings, to find and shrink a counterexample.

Models go through :func:`modelgate.evidence.scorers.as_scorer`, so scores are cached
and all drawn examples are scored in one batch.

The parts: :mod:`.perturbations` (text edits and their strategies), :mod:`.text_checks`
(one pair), :mod:`.rates` (failure rates over texts), :mod:`.tabular` (feature
columns), :mod:`.reports` (what a rate check reports), :mod:`.shrinking` (Hypothesis).
"""

from typing import TYPE_CHECKING, Any

from .perturbations import (
    FILLER_SENTENCES,
    NEGATIVE_SENTENCES,
    POSITIVE_SENTENCES,
    Perturbation,
    case_changes,
    filler_sentences,
    perturbations,
    perturbed,
    punctuation_changes,
    texts_from,
    typos,
    whitespace_changes,
)
from .rates import assert_directional_rate, assert_invariance_rate, check_directional_rate, check_invariance_rate
from .reports import Counterexample, RateReport
from .tabular import check_column_invariance_rate, check_monotonic_rate
from .text_checks import PropertyResult, assert_directional, assert_invariance, check_directional, check_invariance

if TYPE_CHECKING:
    from .shrinking import property_settings

__all__ = [
    "FILLER_SENTENCES",
    "NEGATIVE_SENTENCES",
    "POSITIVE_SENTENCES",
    "Counterexample",
    "Perturbation",
    "PropertyResult",
    "RateReport",
    "assert_directional",
    "assert_directional_rate",
    "assert_invariance",
    "assert_invariance_rate",
    "case_changes",
    "check_directional",
    "check_column_invariance_rate",
    "check_directional_rate",
    "check_invariance",
    "check_monotonic_rate",
    "check_invariance_rate",
    "filler_sentences",
    "perturbations",
    "perturbed",
    "property_settings",
    "punctuation_changes",
    "texts_from",
    "typos",
    "whitespace_changes",
]


def __getattr__(name: str) -> Any:
    # Hypothesis's settings: imported only when asked for, so that a gate whose
    # properties hold never imports Hypothesis.
    if name == "property_settings":
        from .shrinking import property_settings

        return property_settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
