"""Hypothesis, only to find and shrink a counterexample: its settings, and the search."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable


def property_settings(max_examples: int = 100) -> settings:
    """Hypothesis settings for gate properties: derandomized, no database, no deadline.

    Derandomized runs repeat in the same process state, but Hypothesis also
    mixes in constants found in the local modules imported so far, so a
    different test selection can draw different examples. The ``*_rate``
    checks therefore sample their examples with numpy and use Hypothesis
    only to find and shrink a counterexample.
    """
    return settings(
        max_examples=max_examples,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        # No explain phase: it re-runs the model many times only to annotate the report.
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        print_blob=False,
    )


def smallest_failure(
    strategies: Sequence[st.SearchStrategy[Any]], fails: Callable[[Any], bool], max_examples: int
) -> Any | None:
    """The simplest draw that ``fails``, shrunk by Hypothesis, from the first strategy
    (in order) that finds one; None when none does."""
    config = property_settings(max_examples)
    for strategy in strategies:
        try:
            return find(strategy, fails, settings=config)
        except (NoSuchExample, Unsatisfiable):
            continue
    return None
