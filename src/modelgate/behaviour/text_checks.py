"""Invariance and directional properties of a text model, on one (original, perturbed) pair.

``check_*`` returns a result object; ``assert_*`` raises ``AssertionError`` with a readable message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..evidence.scorers import as_scorer
from ..text import printable
from .perturbations import NEGATIVE_SENTENCES, POSITIVE_SENTENCES
from .reports import shown_text


@dataclass(frozen=True)
class PropertyResult:
    """The outcome of one property on one (original, perturbed) pair; truthy when it held."""

    property: str
    passed: bool
    original: str
    perturbed: str
    original_score: float
    perturbed_score: float
    message: str

    def __bool__(self) -> bool:
        return self.passed


def _label(score: float, threshold: float) -> str:
    return "positive" if score > threshold else "negative"


def invariance_violated(s0: float, s1: float, tolerance: float | None, threshold: float) -> bool:
    if tolerance is None:
        return (s0 > threshold) != (s1 > threshold)
    return not abs(s1 - s0) < tolerance


def directional_violated(s0: float, s1: float, direction: str, tolerance: float) -> bool:
    if direction == "negative":
        return s1 > s0 + tolerance
    return s1 < s0 - tolerance


def check_direction(direction: str) -> None:
    if direction not in ("negative", "positive"):
        raise ValueError(f"direction must be 'negative' or 'positive', got {direction!r}")


def append_sentence(text: str, sentence: str) -> str:
    return text.rstrip() + " " + sentence


def invariance_name(tolerance: float | None, threshold: float) -> str:
    if tolerance is None:
        return f"invariance (label at {threshold:g})"
    return f"invariance (score within {tolerance:g})"


def _invariance_message(
    original: str,
    perturbed_text: str,
    s0: float,
    s1: float,
    tolerance: float | None,
    threshold: float,
    violated: bool,
) -> str:
    name = invariance_name(tolerance, threshold)
    verdict = "violated" if violated else "holds"
    if tolerance is None:
        what = f"label {_label(s0, threshold)} ({s0:.4f}) -> {_label(s1, threshold)} ({s1:.4f})"
    else:
        what = f"score {s0:.4f} -> {s1:.4f} (moved {abs(s1 - s0):.4f}, allowed < {tolerance:g})"
    return f"{name} {verdict}: {what}; original {shown_text(original)} perturbed {shown_text(perturbed_text)}"


def _directional_message(
    original: str,
    sentence: str,
    s0: float,
    s1: float,
    direction: str,
    tolerance: float,
    violated: bool,
) -> str:
    moved = "raised" if s1 > s0 else "lowered" if s1 < s0 else "kept"
    rule = (
        f"must not rise by more than {tolerance:g}"
        if direction == "negative"
        else f"must not fall by more than {tolerance:g}"
    )
    verdict = "violated" if violated else "holds"
    return (
        f"directional ({direction} sentence) {verdict}: appending {sentence!r} {moved} the "
        f"score {s0:.4f} -> {s1:.4f} (it {rule}); text {shown_text(original)}"
    )


def check_invariance(
    model: Any,
    original: str,
    perturbed_text: str,
    *,
    tolerance: float | None = None,
    threshold: float = 0.5,
) -> PropertyResult:
    """Does the label (score > threshold) survive the perturbation? With ``tolerance``, does the score move less than it?"""
    s0, s1 = (float(s) for s in as_scorer(model)([original, perturbed_text]))
    violated = invariance_violated(s0, s1, tolerance, threshold)
    return PropertyResult(
        property=invariance_name(tolerance, threshold),
        passed=not violated,
        original=original,
        perturbed=perturbed_text,
        original_score=s0,
        perturbed_score=s1,
        message=_invariance_message(original, perturbed_text, s0, s1, tolerance, threshold, violated),
    )


def assert_invariance(
    model: Any,
    original: str,
    perturbed_text: str,
    *,
    tolerance: float | None = None,
    threshold: float = 0.5,
) -> PropertyResult:
    """Like :func:`check_invariance`, raising AssertionError with the message when it fails."""
    result = check_invariance(model, original, perturbed_text, tolerance=tolerance, threshold=threshold)
    if not result.passed:
        raise AssertionError(printable(result.message, keep_newlines=True))
    return result


def check_directional(
    model: Any,
    original: str,
    *,
    direction: Literal["negative", "positive"] = "negative",
    sentence: str | None = None,
    tolerance: float = 0.02,
) -> PropertyResult:
    """Append a ``direction`` sentence to ``original``: the score must not move the other way.

    ``sentence`` defaults to the first of NEGATIVE_SENTENCES / POSITIVE_SENTENCES.
    """
    check_direction(direction)
    if sentence is None:
        sentence = (NEGATIVE_SENTENCES if direction == "negative" else POSITIVE_SENTENCES)[0]
    changed = append_sentence(original, sentence)
    s0, s1 = (float(s) for s in as_scorer(model)([original, changed]))
    violated = directional_violated(s0, s1, direction, tolerance)
    return PropertyResult(
        property=f"directional ({direction} sentence)",
        passed=not violated,
        original=original,
        perturbed=changed,
        original_score=s0,
        perturbed_score=s1,
        message=_directional_message(original, sentence, s0, s1, direction, tolerance, violated),
    )


def assert_directional(
    model: Any,
    original: str,
    *,
    direction: Literal["negative", "positive"] = "negative",
    sentence: str | None = None,
    tolerance: float = 0.02,
) -> PropertyResult:
    """Like :func:`check_directional`, raising AssertionError with the message when it fails."""
    result = check_directional(model, original, direction=direction, sentence=sentence, tolerance=tolerance)
    if not result.passed:
        raise AssertionError(printable(result.message, keep_newlines=True))
    return result
