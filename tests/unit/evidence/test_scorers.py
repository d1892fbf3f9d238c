"""as_scorer against real models: the tutorial NbowModel, a scikit-learn pipeline, Keras, callables."""

from __future__ import annotations

import numpy as np
import pytest

from modelgate.evidence.scorers import Scorer, ScorerOutputError, as_scorer


class Recorder:
    """A real scoring function (share of 'love' words) that remembers every batch it got."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, texts):
        self.batches.append(list(texts))
        return np.array([min(1.0, t.lower().count("love") / 2) for t in texts])


# --- importing stays light -----------------------------------------------------


# --- the tutorial model (Keras fast path) ------------------------------------------


# --- scikit-learn -----------------------------------------------------------------


@pytest.fixture(scope="module")
def pipeline(demo):
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train, _ = demo
    return make_pipeline(CountVectorizer(), LogisticRegression(max_iter=500)).fit(train.review, train.labels)


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
