"""as_scorer against real models: the tutorial NbowModel, a scikit-learn pipeline, Keras, callables."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from modelgate.scorers import Scorer, ScorerOutputError, as_scorer



@pytest.fixture(scope="module")
def valid_texts(demo) -> list[str]:
    return list(demo[1].review[:300])


class Recorder:
    """A real scoring function (share of 'love' words) that remembers every batch it got."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, texts):
        self.batches.append(list(texts))
        return np.array([min(1.0, t.lower().count("love") / 2) for t in texts])


# --- importing stays light -----------------------------------------------------


def test_importing_the_modules_does_not_import_tensorflow():
    code = (
        "import sys, modelgate.scorers, modelgate.smoke, modelgate.behaviour\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'pandas') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the tutorial model (Keras fast path) ------------------------------------------


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
    expected = trained_nbow.model.predict(
        trained_nbow.cv.transform(valid_texts[:50]).toarray(), verbose=0
    ).ravel()
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


# --- scikit-learn -----------------------------------------------------------------


@pytest.fixture(scope="module")
def pipeline(demo):
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train, _ = demo
    return make_pipeline(CountVectorizer(), LogisticRegression(max_iter=500)).fit(
        train.review, train.labels
    )


def test_sklearn_pipeline_uses_the_class_1_column(pipeline, demo):
    valid = demo[1]
    scorer = as_scorer(pipeline)
    assert scorer.description == "Pipeline.predict_proba"
    scores = scorer(valid.review)  # a pandas Series works as a sequence of texts
    column = list(pipeline.classes_).index(1)
    np.testing.assert_array_equal(scores, pipeline.predict_proba(valid.review)[:, column])
    # The positive column, not the negative one: positives score higher on average.
    labels = valid.labels.to_numpy()
    assert scores[labels == 1].mean() > scores[labels == 0].mean() + 0.3


def test_sklearn_string_classes_take_the_second_column(demo):
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train, valid = demo
    words = np.where(train.labels == 1, "positive", "negative")
    pipe = make_pipeline(CountVectorizer(), LogisticRegression(max_iter=500)).fit(train.review, words)
    texts = list(valid.review[:20])
    np.testing.assert_array_equal(as_scorer(pipe)(texts), pipe.predict_proba(texts)[:, 1])


def test_sklearn_classifier_with_separate_vectorizer(demo):
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    train, valid = demo
    cv = CountVectorizer().fit(train.review)
    clf = LogisticRegression(max_iter=500).fit(cv.transform(train.review), train.labels)
    scorer = as_scorer({"vectorizer": cv, "model": clf})
    assert scorer.description == "LogisticRegression.predict_proba + CountVectorizer"
    texts = list(valid.review[:20])
    np.testing.assert_array_equal(scorer(texts), clf.predict_proba(cv.transform(texts))[:, 1])


# --- callables, Scorers and bad input ------------------------------------------------


def love_share(texts):
    return np.array([[min(1.0, t.lower().count("love") / 2)] for t in texts])  # shape (n, 1)


def test_callable_with_column_output():
    scorer = as_scorer(love_share)
    assert scorer.description == "callable love_share"
    np.testing.assert_array_equal(scorer(["love love", "meh", "love"]), [1.0, 0.0, 0.5])


def test_callable_returning_a_list():
    scorer = as_scorer(lambda texts: [0.25] * len(texts))
    assert scorer(["a", "b"]).tolist() == [0.25, 0.25]


def test_existing_scorer_is_returned_as_is():
    scorer = as_scorer(love_share)
    assert as_scorer(scorer) is scorer
    assert isinstance(scorer, Scorer)


def test_unsupported_model_type_is_a_one_line_type_error():
    with pytest.raises(TypeError) as info:
        as_scorer(42)
    message = str(info.value)
    assert message.startswith("cannot score with an object of type builtins.int:")
    assert "\n" not in message


def test_model_dict_missing_a_key():
    with pytest.raises(TypeError, match=r"missing \['vectorizer'\]"):
        as_scorer({"model": love_share})


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            lambda texts: np.array([0.5, np.nan, 0.5]),
            "callable <lambda> returned nan (NaN/inf) at position 1 of 3, for text 'b'",
        ),
        (lambda texts: np.array([0.5, 0.5]), "callable <lambda> returned 2 scores for 3 rows"),
        (
            lambda texts: np.array([0.5, 1.5, 0.5]),
            "callable <lambda> returned 1.5 at position 1 of 3, outside [0, 1] "
            "(scores must be probabilities), for text 'b'",
        ),
        (
            lambda texts: np.full((3, 2), 0.5),
            "callable <lambda> returned 2 columns for 3 rows, but the task is binary: "
            'a multiclass output: gate it with task = "multiclass"',
        ),
    ],
    ids=["nan", "length", "range", "two-columns"],
)
def test_bad_outputs_raise_scorer_output_error(output, message):
    with pytest.raises(ScorerOutputError) as info:
        as_scorer(output)(["a", "b", "c"])
    assert str(info.value) == message


def test_a_bad_batch_does_not_enter_the_cache():
    calls = []

    def flaky(texts):
        calls.append(texts)
        return [np.nan] * len(texts) if len(calls) == 1 else [0.75] * len(texts)

    scorer = as_scorer(flaky)
    with pytest.raises(ScorerOutputError):
        scorer(["x"])
    assert scorer(["x"]).tolist() == [0.75]


def test_duplicates_in_a_batch_are_scored_once():
    rec = Recorder()
    scorer = as_scorer(rec)
    scores = scorer(["I love it", "meh", "I love it", "I love it", "meh"])
    assert rec.batches == [["I love it", "meh"]]
    assert scores.tolist() == [0.5, 0.0, 0.5, 0.5, 0.0]
    assert (scorer.model_calls, scorer.texts_scored) == (1, 2)


def test_chunk_size_3_on_10_texts_equals_one_batch():
    texts = [f"love {'love ' * (i % 3)}text {i}" for i in range(10)]
    rec = Recorder()
    chunked = as_scorer(rec, chunk_size=3)
    np.testing.assert_array_equal(chunked(texts), as_scorer(Recorder())(texts))
    assert [len(b) for b in rec.batches] == [3, 3, 3, 1]
    assert chunked.model_calls == 4


def test_empty_input_does_not_call_the_model():
    rec = Recorder()
    scorer = as_scorer(rec)
    out = scorer([])
    assert out.dtype == np.float64 and out.shape == (0,)
    assert scorer.model_calls == 0 and rec.batches == []


def test_a_single_string_is_rejected():
    with pytest.raises(TypeError, match="not a single string"):
        as_scorer(love_share)("love it")


def test_a_non_string_text_is_rejected():
    with pytest.raises(TypeError, match="text at position 1 is float"):
        as_scorer(love_share)(["ok", float("nan")])


def test_chunk_size_must_be_positive():
    with pytest.raises(ValueError, match="chunk_size must be a positive int, got 0"):
        as_scorer(love_share, chunk_size=0)


def test_a_frame_with_a_column_of_arrays_is_cached_by_the_arrays_values():
    """Embeddings in an object column: rows are hashed by the arrays' bytes, not refused as unhashable."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X.iloc[:40].assign(embedding=[np.full(3, i % 20, dtype=float) for i in range(40)])
    model = make_pipeline(ColumnTransformer([("keep", "passthrough", ["bmi", "bp"])]), Ridge()).fit(X, y[:40])
    sent: list[int] = []
    scorer = as_scorer(lambda frame: sent.append(len(frame)) or model.predict(frame), task="regression")
    rows = pd.concat([X, X.iloc[:5]])  # five rows again, arrays and all
    np.testing.assert_allclose(scorer(rows), model.predict(rows))
    assert sent == [40]  # the repeats were served from the cache
    changed = X.iloc[:1].assign(embedding=[np.full(3, 99.0)])  # same numbers, another array: a new row
    scorer(changed)
    assert sent == [40, 1]
