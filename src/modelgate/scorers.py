"""Turn a model into a scorer: texts -> 1-D float64 array of positive-class probabilities.

``as_scorer`` accepts the Metaflow tutorial's ``model_dict``
(``{'vectorizer': CountVectorizer, 'model': keras.Model}``), anything with
``predict_proba`` (a scikit-learn pipeline), a Keras model plus
``vectorizer=``, an existing :class:`Scorer`, or a plain callable.

Every scorer scores in chunks (memory stays bounded for millions of texts),
caches scores by text (a text is sent to the model once per scorer) and checks
every batch the model returns (length, shape, NaN/inf, range), raising
:class:`ScorerOutputError` with a one-line message.

This module imports only numpy at import time: TensorFlow/Keras are imported
when a Keras model is first scored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["Scorer", "ScorerOutputError", "as_scorer"]

BatchFn = Callable[[list[str]], Any]


class ScorerOutputError(ValueError):
    """A model returned scores that are not one probability per text."""


def _short(text: str, limit: int = 60) -> str:
    """A text cut to ``limit`` characters, quoted, on one line (for messages)."""
    cut = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(cut)


def _validate(raw: Any, texts: list[str], description: str) -> np.ndarray:
    """Check one batch of model output; return it as a 1-D float64 array."""
    n = len(texts)
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ScorerOutputError(
            f"{description} returned non-numeric output of type {type(raw).__name__} "
            f"for {n} texts ({exc})"
        ) from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    elif arr.ndim != 1:
        raise ScorerOutputError(
            f"{description} returned scores of shape {arr.shape} for {n} texts; expected "
            f"({n},) or ({n}, 1): one positive-class probability per text"
        )
    if arr.shape[0] != n:
        raise ScorerOutputError(f"{description} returned {arr.shape[0]} scores for {n} texts")
    finite = np.isfinite(arr)
    if not finite.all():
        i = int(np.argmin(finite))
        raise ScorerOutputError(
            f"{description} returned {float(arr[i])} (NaN/inf) at position {i} of {n}, "
            f"for text {_short(texts[i])}"
        )
    outside = (arr < 0.0) | (arr > 1.0)
    if outside.any():
        i = int(np.argmax(outside))
        raise ScorerOutputError(
            f"{description} returned {float(arr[i])!r} at position {i} of {n}, outside [0, 1] "
            f"(scores must be probabilities), for text {_short(texts[i])}"
        )
    return arr


def _as_text_list(texts: Sequence[str]) -> list[str]:
    """The input as a list of str; a bare string or a non-str item is a TypeError."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("a scorer takes a sequence of texts, not a single string: wrap it in a list")
    items = texts if isinstance(texts, list) else list(texts)
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(f"text at position {i} is {type(t).__name__} ({t!r:.40}), not str")
    return items


class Scorer:
    """texts -> 1-D float64 array of positive-class probabilities.

    Wraps a batch function (list of texts -> scores) with chunking, a per-scorer
    cache keyed by text, and output validation. ``model_calls`` counts calls to
    the batch function, ``texts_scored`` the texts sent to it (cache misses).
    """

    model_calls: int
    texts_scored: int
    description: str

    def __init__(
        self,
        batch_fn: BatchFn,
        *,
        description: str,
        chunk_size: int = 8192,
        cache: bool = True,
    ) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
        self._batch_fn = batch_fn
        self.description = description
        self.chunk_size = chunk_size
        self.cache_enabled = cache
        self._cache: dict[str, float] = {}
        self.model_calls = 0
        self.texts_scored = 0

    def __repr__(self) -> str:
        return (
            f"<Scorer {self.description}: {self.model_calls} model calls, "
            f"{self.texts_scored} texts scored, {len(self._cache)} cached>"
        )

    @property
    def cache_size(self) -> int:
        """How many distinct texts have a cached score."""
        return len(self._cache)

    def clear_cache(self) -> None:
        """Forget cached scores (the counters are kept)."""
        self._cache.clear()

    def _score_chunk(self, chunk: list[str]) -> np.ndarray:
        self.model_calls += 1
        self.texts_scored += len(chunk)
        return _validate(self._batch_fn(chunk), chunk, self.description)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        items = _as_text_list(texts)
        n = len(items)
        if n == 0:
            return np.empty(0, dtype=np.float64)
        step = self.chunk_size
        if not self.cache_enabled:
            out = np.empty(n, dtype=np.float64)
            for start in range(0, n, step):
                out[start : start + step] = self._score_chunk(items[start : start + step])
            return out
        cache = self._cache
        # dict.fromkeys de-duplicates while keeping first-seen order, so chunk
        # boundaries (and so results) do not depend on hash order.
        misses = [t for t in dict.fromkeys(items) if t not in cache]
        for start in range(0, len(misses), step):
            chunk = misses[start : start + step]
            # Only validated scores enter the cache: a bad batch poisons nothing.
            cache.update(zip(chunk, self._score_chunk(chunk).tolist()))
        return np.fromiter((cache[t] for t in items), dtype=np.float64, count=n)


# --- adapters ---------------------------------------------------------------


def _is_keras_model(obj: Any) -> bool:
    """True for a Keras (3, tf.keras or tf_keras) model or layer, without importing Keras."""
    for cls in type(obj).__mro__:
        root = cls.__module__.split(".", 1)[0]
        if root in ("keras", "tf_keras") and cls.__name__ in ("Model", "Layer"):
            return True
        if cls.__module__.startswith("tensorflow.python.keras") and cls.__name__ == "Model":
            return True
    return False


def _check_vectorizer(vectorizer: Any) -> None:
    if not callable(getattr(vectorizer, "transform", None)):
        raise TypeError(
            f"vectorizer must have .transform(texts); got {type(vectorizer).__name__}"
        )


def _dense_float32(features: Any) -> np.ndarray:
    """Vectorizer output as a dense C-contiguous float32 matrix (one chunk only)."""
    if hasattr(features, "toarray"):  # scipy sparse: cast the non-zeros first, then densify
        return np.ascontiguousarray(features.astype(np.float32).toarray())
    return np.ascontiguousarray(features, dtype=np.float32)


def _keras_forward(model: Any, n_features: int) -> Callable[[np.ndarray], Any]:
    """A fast forward pass: the model called directly, compiled once on TensorFlow.

    ``model.predict`` builds a data pipeline per call (~90 ms for one row);
    eager ``model(x)`` costs ~3 ms on this network; a ``tf.function`` with a
    fixed input signature is traced once and then costs well under 1 ms.
    """
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        @tf.function(
            input_signature=[tf.TensorSpec([None, n_features], tf.float32)],
            reduce_retracing=True,
        )
        def forward(x: Any) -> Any:  # a float32 tensor in, the model's output tensor out
            return model(x, training=False)

        def run(x: np.ndarray) -> Any:
            out = forward(x)
            return out.numpy() if hasattr(out, "numpy") else out

        return run

    def run_eager(x: np.ndarray) -> Any:
        return keras.ops.convert_to_numpy(model(x, training=False))

    return run_eager


def _keras_input_width(model: Any) -> int | None:
    """The feature count a one-input Keras model expects, when it is known."""
    try:
        shape = model.inputs[0].shape
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    width = shape[-1] if len(shape) == 2 else None
    return int(width) if width is not None else None


def _keras_batch_fn(model: Any, vectorizer: Any) -> BatchFn:
    forward: list[Callable[[np.ndarray], Any]] = []  # built on the first chunk

    def score(texts: list[str]) -> Any:
        x = _dense_float32(vectorizer.transform(texts))
        if not forward:
            # A vectorizer from another run gives the wrong width: say so plainly
            # instead of letting TensorFlow fail while tracing.
            width = _keras_input_width(model)
            if width is not None and width != x.shape[1]:
                raise ValueError(
                    f"the vectorizer ({type(vectorizer).__name__}) gives {x.shape[1]} features "
                    f"but the Keras model expects {width}: are they from the same run?"
                )
            forward.append(_keras_forward(model, x.shape[1]))
        out = forward[0](x)
        if isinstance(out, (list, tuple, dict)):
            raise ScorerOutputError(
                f"Keras model returned {len(out)} outputs; expected one (n, 1) output"
            )
        return out

    return score


def _positive_column(model: Any) -> int | None:
    """Index of class 1 in ``model.classes_`` (None when the model has no ``classes_``)."""
    classes = getattr(model, "classes_", None)
    if classes is None:
        return None
    classes = list(np.asarray(classes).tolist())
    for i, c in enumerate(classes):
        if c == 1 and not isinstance(c, str):  # 1, 1.0 or True
            return i
    if len(classes) == 2:
        # scikit-learn's convention for binary problems: classes_[1] is positive.
        return 1
    raise ValueError(
        f"{type(model).__name__}.classes_ is {classes}: no class 1 and not binary, "
        "so the positive-class column is unknown"
    )


def _proba_batch_fn(model: Any, vectorizer: Any | None) -> BatchFn:
    column = _positive_column(model)
    n_classes = None if column is None else len(model.classes_)
    name = type(model).__name__

    def score(texts: list[str]) -> Any:
        x = texts if vectorizer is None else vectorizer.transform(texts)
        proba = np.asarray(model.predict_proba(x))
        if proba.ndim != 2:
            return proba  # let validation describe the shape
        if n_classes is not None and proba.shape[1] != n_classes:
            raise ScorerOutputError(
                f"{name}.predict_proba returned {proba.shape[1]} columns for "
                f"{n_classes} classes_"
            )
        if column is not None:
            return proba[:, column]
        return proba[:, 1] if proba.shape[1] == 2 else proba

    return score


def _callable_name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def as_scorer(
    model: Any,
    *,
    vectorizer: Any = None,
    chunk_size: int = 8192,
    cache: bool = True,
) -> Scorer:
    """Wrap ``model`` as a :class:`Scorer` (see the module docstring for accepted types).

    An existing Scorer is returned as is (its cache and counters kept).
    """
    if isinstance(model, Scorer):
        if vectorizer is not None:
            raise TypeError("vectorizer= cannot be combined with an existing Scorer")
        return model
    if isinstance(model, dict):
        missing = [k for k in ("vectorizer", "model") if k not in model]
        if missing:
            raise TypeError(
                f"a model_dict needs keys 'vectorizer' and 'model'; missing {missing}, "
                f"has {sorted(map(str, model))}"
            )
        if vectorizer is not None:
            raise TypeError("vectorizer= given twice: in the model_dict and as an argument")
        return as_scorer(
            model["model"], vectorizer=model["vectorizer"], chunk_size=chunk_size, cache=cache
        )
    if vectorizer is not None:
        _check_vectorizer(vectorizer)
    vec_name = type(vectorizer).__name__

    if _is_keras_model(model):
        if vectorizer is None:
            raise TypeError(
                f"{type(model).__name__} (Keras) needs vectorizer= (an object with "
                ".transform(texts)) to turn texts into its input"
            )
        return Scorer(
            _keras_batch_fn(model, vectorizer),
            description=f"Keras model + {vec_name} (fast path)",
            chunk_size=chunk_size,
            cache=cache,
        )
    if callable(getattr(model, "predict_proba", None)):
        suffix = "" if vectorizer is None else f" + {vec_name}"
        return Scorer(
            _proba_batch_fn(model, vectorizer),
            description=f"{type(model).__name__}.predict_proba{suffix}",
            chunk_size=chunk_size,
            cache=cache,
        )
    if callable(model):
        if vectorizer is not None:
            raise TypeError(
                "vectorizer= applies to Keras and predict_proba models, not to a callable "
                f"({_callable_name(model)}): the callable takes raw texts"
            )
        return Scorer(
            model,
            description=f"callable {_callable_name(model)}",
            chunk_size=chunk_size,
            cache=cache,
        )
    mod = type(model).__module__
    qual = type(model).__qualname__
    raise TypeError(
        f"cannot score with an object of type {mod}.{qual}: expected a model_dict "
        "{'vectorizer', 'model'}, an object with predict_proba, a Keras model with "
        "vectorizer=, a Scorer or a callable texts -> scores"
    )
