"""The tutorial's NbowModel (examples/model.py, TensorFlow) trained in process: its scorers and its behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import example_module
from modelgate import behaviour as B
from modelgate.evidence.scorers import ScorerOutputError, as_scorer


@pytest.fixture(scope="module")
def valid_texts(demo) -> list[str]:
    return list(demo[1].review[:300])


def test_model_dict_fast_path_equals_model_predict(trained_nbow, valid_texts):
    scorer = as_scorer(trained_nbow.model_dict)
    assert scorer.description == "Keras model + CountVectorizer (fast path)"
    scores = scorer(valid_texts)
    assert scores.dtype == np.float64 and scores.shape == (len(valid_texts),)
    expected = trained_nbow.predict(valid_texts).ravel()
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-6)
    # The scores are not degenerate: the model separates the demo classes.
    assert scores.min() < 0.3 and scores.max() > 0.7


def test_fast_path_never_calls_model_predict(trained_nbow, valid_texts, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the fast path must not call model.predict")

    monkeypatch.setattr(type(trained_nbow.model), "predict", forbidden)
    scores = as_scorer(trained_nbow.model_dict, cache=False)(valid_texts[:5])
    assert scores.shape == (5,)


def test_bare_keras_model_with_vectorizer(trained_nbow, valid_texts):
    scorer = as_scorer(trained_nbow.model, vectorizer=trained_nbow.cv)
    assert scorer.description == "Keras model + CountVectorizer (fast path)"
    expected = trained_nbow.model.predict(trained_nbow.cv.transform(valid_texts[:50]).toarray(), verbose=0).ravel()
    np.testing.assert_allclose(scorer(valid_texts[:50]), expected, rtol=0, atol=1e-6)


def test_keras_model_without_vectorizer_cannot_score_texts(trained_nbow):
    scorer = as_scorer(trained_nbow.model)  # fine for feature columns (a DataFrame)
    with pytest.raises(TypeError, match=r"needs vectorizer= \(an object with \.transform"):
        scorer(["great product"])


def test_vectorizer_of_the_wrong_width_is_named(trained_nbow):
    from sklearn.feature_extraction.text import CountVectorizer

    other = CountVectorizer().fit(["just three words", "three more words"])
    scorer = as_scorer(trained_nbow.model, vectorizer=other)
    width = len(trained_nbow.cv.vocabulary_)
    with pytest.raises(ValueError) as info:
        scorer(["a dress"])
    assert str(info.value) == (
        f"the vectorizer (CountVectorizer) gives 4 features but the Keras model expects "
        f"{width}: are they from the same run?"
    )


def test_keras_model_with_two_outputs_per_row_names_the_model_type(trained_nbow):
    import keras

    inputs = keras.Input(shape=(len(trained_nbow.cv.vocabulary_),))
    two_class = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    scorer = as_scorer(two_class, vectorizer=trained_nbow.cv)
    with pytest.raises(ScorerOutputError) as info:
        scorer(["a nice dress", "poor fit"])
    assert str(info.value) == (
        "Keras model + CountVectorizer (fast path) returned 2 columns for 2 rows, but the task is "
        'binary: a multiclass output: gate it with task = "multiclass"'
    )


def test_chunks_bound_what_the_vectorizer_sees(trained_nbow, valid_texts):
    class RecordingVectorizer:
        """The real CountVectorizer, recording the size of each transform call."""

        def __init__(self, cv):
            self.cv, self.sizes = cv, []

        def transform(self, texts):
            self.sizes.append(len(texts))
            return self.cv.transform(texts)

    vec = RecordingVectorizer(trained_nbow.cv)
    chunked = as_scorer(trained_nbow.model, vectorizer=vec, chunk_size=64, cache=False)
    scores = chunked(valid_texts)
    assert vec.sizes == [64, 64, 64, 64, 44]
    assert chunked.model_calls == 5 and chunked.texts_scored == 300
    whole = as_scorer(trained_nbow.model_dict, chunk_size=10_000)(valid_texts)
    np.testing.assert_allclose(scores, whole, rtol=0, atol=1e-6)


def test_cache_scores_repeated_texts_once(trained_nbow, valid_texts):
    scorer = as_scorer(trained_nbow.model_dict)
    first = scorer(valid_texts[:40])
    second = scorer(valid_texts[:40])
    assert scorer.model_calls == 1
    assert scorer.texts_scored == len(set(valid_texts[:40]))
    np.testing.assert_array_equal(first, second)
    # A later batch sends only its unseen texts.
    scorer(valid_texts[30:50])
    assert scorer.model_calls == 2
    assert scorer.texts_scored == len(set(valid_texts[:50]))


def test_cache_off_scores_every_time(trained_nbow, valid_texts):
    scorer = as_scorer(trained_nbow.model_dict, cache=False)
    scorer(valid_texts[:10])
    scorer(valid_texts[:10])
    assert (scorer.model_calls, scorer.texts_scored) == (2, 20)


VALID = example_module("demo_data").make_reviews(300, seed=1)["review"].tolist()


def test_tutorial_model_ignores_whitespace_within_tolerance(trained_nbow):
    text = VALID[0]
    result = B.assert_invariance(trained_nbow.model_dict, text, text.replace(" ", "  "), tolerance=1e-6)
    assert result.passed and abs(result.perturbed_score - result.original_score) < 1e-6


def test_tutorial_model_is_invariant_at_most_10_percent(trained_nbow):
    scorer = as_scorer(trained_nbow.model_dict)
    report = B.assert_invariance_rate(scorer, VALID, n_examples=100, max_failure_rate=0.1)
    assert report.n_examples == 100
    assert report.failure_rate <= 0.1
    assert report.message.startswith(f"invariance (label at 0.5): ok, failed on {report.n_failures} of 100 examples")
    # Every original and perturbed text went to the model in one batch.
    assert scorer.model_calls == 1
