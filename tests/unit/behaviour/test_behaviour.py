"""CheckList-style properties: invariance and directional expectation, with Hypothesis."""

from __future__ import annotations

import re
import string

import numpy as np
import pytest
from hypothesis import given

from helpers import example_module
from modelgate import behaviour as B
from modelgate.evidence.scorers import as_scorer

VALID = example_module("demo_data").make_reviews(300, seed=1)["review"].tolist()
SHORTEST = min(VALID, key=len)

POSITIVE_WORDS = {"love", "great", "perfect", "perfectly", "comfortable", "beautiful", "gorgeous"}
NEGATIVE_WORDS = {"not", "returned", "apart", "cheap", "poorly", "disappointed", "terrible"}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def positive_words_only(texts):
    """Ignores negation: counts positive words, so "I wanted to love it, but..." raises it."""
    counts = np.array([sum(w in POSITIVE_WORDS for w in _words(t)) for t in texts])
    return counts / (counts + 2)


def lexicon_with_negatives(texts):
    """Weighs negative words twice as much as positive ones."""
    net = np.array(
        [sum(w in POSITIVE_WORDS for w in _words(t)) - 2 * sum(w in NEGATIVE_WORDS for w in _words(t)) for t in texts]
    )
    return 1 / (1 + np.exp(-net))


def starts_with_capital(texts):
    """Fragile on purpose: the score depends only on the case of the first letter."""
    return np.array([0.9 if t.lstrip()[:1].isupper() else 0.1 for t in texts])


# --- strategies -------------------------------------------------------------------------


@B.property_settings(60)
@given(B.perturbed(VALID))
def test_perturbed_pairs_are_real_texts_changed(pair):
    original, changed = pair
    assert original in VALID and changed != original


@B.property_settings(60)
@given(B.texts_from(VALID), B.case_changes())
def test_case_changes_only_change_case(text, p):
    assert p(text).lower() == text.lower()


@B.property_settings(60)
@given(B.texts_from(VALID), B.whitespace_changes())
def test_whitespace_changes_keep_the_words(text, p):
    assert p(text).split() == text.split()


@B.property_settings(60)
@given(B.texts_from(VALID), B.punctuation_changes())
def test_punctuation_changes_keep_letters(text, p):
    def letters(s: str) -> str:
        return "".join(c for c in s if c not in string.punctuation)

    assert letters(p(text)).split() == letters(text).split()


@B.property_settings(60)
@given(B.texts_from(VALID), B.typos())
def test_typos_touch_one_word_by_one_letter(text, p):
    before, after = text.split(), p(text).split()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(changed) <= 1
    for a, b in changed:
        assert abs(len(a) - len(b)) <= 1 and set(b) <= set(a)


@B.property_settings(60)
@given(B.texts_from(VALID), B.filler_sentences())
def test_filler_adds_one_neutral_sentence(text, p):
    out = p(text)
    assert p.sentence in B.FILLER_SENTENCES
    assert out in (text.rstrip() + " " + p.sentence, p.sentence + " " + text.lstrip())


def test_perturbation_examples_and_descriptions():
    swap = B.Perturbation("typo", "swap", index=1, position=0)
    assert swap("Love this dress") == "Love htis dress"
    assert swap.describe("Love this dress") == "typo (swap): 'this' -> 'htis'"
    assert B.Perturbation("case", "lower")("Love It") == "love it"
    assert B.Perturbation("whitespace", "newline", index=1)("a b c") == "a b\nc"
    filler = B.Perturbation("filler", "append", sentence="It arrived on Tuesday.")
    assert filler("Great fit. ") == "Great fit. It arrived on Tuesday."


def test_texts_from_rejects_empty_input():
    with pytest.raises(ValueError, match="at least one non-empty text"):
        B.texts_from(["", "  "])


# --- single-example checks -----------------------------------------------------------


def test_check_invariance_reports_a_label_change():
    result = B.check_invariance(starts_with_capital, "Love it.", "love it.")
    assert not result and not result.passed
    assert (result.original_score, result.perturbed_score) == (0.9, 0.1)
    assert result.message == (
        "invariance (label at 0.5) violated: label positive (0.9000) -> negative (0.1000); "
        "original 'Love it.' perturbed 'love it.'"
    )
    with pytest.raises(AssertionError, match=r"violated: label positive \(0.9000\) -> negative"):
        B.assert_invariance(starts_with_capital, "Love it.", "love it.")


def test_negation_blind_model_fails_directional():
    text = "Nice dress."
    result = B.check_directional(positive_words_only, text)
    assert not result.passed
    assert result.perturbed == "Nice dress. I wanted to love it, but it fell apart and I returned it."
    assert result.message == (
        "directional (negative sentence) violated: appending 'I wanted to love it, but it fell "
        "apart and I returned it.' raised the score 0.0000 -> 0.3333 (it must not rise by more "
        "than 0.02); text 'Nice dress.'"
    )
    with pytest.raises(AssertionError, match="raised the score 0.0000 -> 0.3333"):
        B.assert_directional(positive_words_only, text)


def test_lexicon_with_negatives_passes_directional_both_ways():
    for sentence in B.NEGATIVE_SENTENCES:
        assert B.check_directional(lexicon_with_negatives, "Nice dress.", sentence=sentence)
    report = B.check_directional_rate(lexicon_with_negatives, VALID, n_examples=50)
    assert report.passed and report.n_failures == 0 and report.counterexample is None


def test_directional_rejects_an_unknown_direction():
    with pytest.raises(ValueError, match="direction must be 'negative' or 'positive'"):
        B.check_directional(positive_words_only, "x", direction="up")


# --- failure-rate checks ---------------------------------------------------------------


def test_negation_blind_model_fails_directional_rate():
    report = B.check_directional_rate(positive_words_only, VALID, n_examples=50)
    assert not report.passed
    assert report.failure_rate == 1.0 and report.n_examples == 50
    c = report.counterexample
    assert c.shrunk
    # Shrunk to the shortest text and the first (simplest) negative sentence.
    assert c.original == SHORTEST
    assert c.perturbed == SHORTEST + " " + B.NEGATIVE_SENTENCES[0]
    assert c.perturbed_score > c.original_score
    with pytest.raises(AssertionError) as info:
        B.assert_directional_rate(positive_words_only, VALID, n_examples=50)
    assert str(info.value).splitlines()[:2] == [
        "directional (negative sentence): FAIL, failed on 50 of 50 examples (100.0%; allowed 0.0%)",
        f"  shrunk counterexample: appended {B.NEGATIVE_SENTENCES[0]!r}",
    ]


def test_case_fragile_model_fails_invariance_with_a_shrunk_case_change():
    report = B.check_invariance_rate(starts_with_capital, VALID, n_examples=100, max_failure_rate=0.01)
    assert not report.passed and report.failure_rate > 0.01
    c = report.counterexample
    assert c.shrunk and c.kind == "case"
    # Minimal: the shortest validation text, lower-cased as a whole (the first case op).
    assert c.original == SHORTEST
    assert c.perturbed == SHORTEST.lower()
    assert c.change == "case (lower)"
    assert (c.original_score, c.perturbed_score) == (0.9, 0.1)
    assert "shrunk counterexample: case (lower)" in report.message


def test_rate_checks_are_deterministic():
    scorer = as_scorer(starts_with_capital)
    first = B.check_invariance_rate(scorer, VALID, n_examples=60)
    second = B.check_invariance_rate(scorer, VALID, n_examples=60)
    assert first == second
