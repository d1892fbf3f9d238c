"""Turn a model into a scorer: inputs -> the task's output, as float64.

Inputs are a list of texts (one text column) or a pandas DataFrame of feature
columns (``feature_columns``). The output depends on the task
(:data:`modelgate.names.TASKS`): one positive-class probability per row
(binary; ``Scorer.classes`` is ``(negative, positive)``, by the rule of
:mod:`modelgate.classes`), an (n, k) probability matrix whose columns are ``Scorer.classes``
(multiclass), or one finite number per row (regression).

``as_scorer`` accepts the Metaflow tutorial's ``model_dict``
(``{'vectorizer': CountVectorizer, 'model': keras.Model}``), anything with
``predict_proba`` (scikit-learn classifiers and pipelines, and anything with
their API such as XGBoost and LightGBM models), anything with ``predict``
for regression, a Keras model (plus ``vectorizer=`` for texts; softmax
outputs for multiclass), an existing :class:`Scorer`, or a plain callable.

Every scorer scores in chunks (memory stays bounded for millions of rows),
caches outputs by row (a text, or a hash of a frame row's values: a row is
sent to the model once per scorer) and checks every batch the model returns
(length, shape, NaN/inf, range, rows of probabilities summing to 1), raising
:class:`ScorerOutputError` with a one-line message.

This module imports only numpy at import time: pandas is imported when a frame
is scored, TensorFlow/Keras when a Keras model is first scored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..names import BINARY, MULTICLASS, REGRESSION, TASKS

__all__ = ["Scorer", "ScorerOutputError", "as_scorer"]

BatchFn = Callable[[Any], Any]  # a list of texts, or a DataFrame chunk -> the model's raw output

# Rows of class probabilities may be off 1 by float32 rounding (a softmax), not by more.
SUM_TOLERANCE = 1e-4


class ScorerOutputError(ValueError):
    """A model returned scores that are not one probability per text."""


def _short(text: str, limit: int = 60) -> str:
    """A text cut to ``limit`` characters, quoted, on one line (for messages)."""
    cut = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(cut)


def _validate(
    raw: Any, n: int, where: Callable[[int], str], description: str, task: str = BINARY, width: int | None = None
) -> np.ndarray:
    """Check one batch of model output for the task; return it as float64:
    (n,) for binary and regression, (n, k) for multiclass. ``where(i)`` names row i."""
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ScorerOutputError(
            f"{description} returned non-numeric output of type {type(raw).__name__} for {n} rows ({exc})"
        ) from None
    if task == MULTICLASS:
        k = width or (arr.shape[1] if arr.ndim == 2 else 0)
        if arr.ndim != 2 or arr.shape[1] < 2:
            raise ScorerOutputError(
                f"{description} returned scores of shape {arr.shape} for {n} rows, but the task is "
                f"multiclass: expected an ({n}, {k or 'k'}) matrix of class probabilities; "
                'is the model binary or a regressor (task = "binary" / "regression")?'
            )
        if arr.shape != (n, k):
            raise ScorerOutputError(
                f"{description} returned scores of shape {arr.shape} for {n} rows and {k} classes; expected ({n}, {k})"
            )
    elif arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    elif arr.ndim == 2 and arr.shape[1] > 1 and arr.shape[0] == n:
        hint = (
            'a multiclass output: gate it with task = "multiclass"'
            if task == BINARY
            else "a regression model gives one number per row"
        )
        raise ScorerOutputError(
            f"{description} returned {arr.shape[1]} columns for {n} rows, but the task is {task}: {hint}"
        )
    elif arr.ndim != 1:
        what = "one positive-class probability" if task == BINARY else "one number"
        raise ScorerOutputError(
            f"{description} returned scores of shape {arr.shape} for {n} rows; expected "
            f"({n},) or ({n}, 1): {what} per row"
        )
    if arr.shape[0] != n:
        raise ScorerOutputError(f"{description} returned {arr.shape[0]} scores for {n} rows")
    finite = np.isfinite(arr)
    if not finite.all():
        i = int(np.argmin(finite.all(axis=1) if arr.ndim == 2 else finite))
        value = arr[i] if arr.ndim == 1 else arr[i][~finite[i]][0]
        raise ScorerOutputError(
            f"{description} returned {float(value)} (NaN/inf) at position {i} of {n}, for {where(i)}"
        )
    if task == REGRESSION:
        return arr
    outside = (arr < 0.0) | (arr > 1.0)
    if outside.any():
        i = int(np.argmax(outside.any(axis=1) if arr.ndim == 2 else outside))
        value = arr[i] if arr.ndim == 1 else arr[i][outside[i]][0]
        raise ScorerOutputError(
            f"{description} returned {float(value)!r} at position {i} of {n}, outside [0, 1] "
            f"(scores must be probabilities), for {where(i)}"
        )
    if task == MULTICLASS:
        sums = arr.sum(axis=1)
        off = np.abs(sums - 1.0) > SUM_TOLERANCE
        if off.any():
            i = int(np.argmax(off))
            raise ScorerOutputError(
                f"{description} returned class probabilities that sum to {float(sums[i]):.6g}, not 1, "
                f"at position {i} of {n} ({int(off.sum())} rows off), for {where(i)}: "
                "give probabilities (a softmax), not scores"
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


def is_frame(inputs: Any) -> bool:
    """A pandas DataFrame (told apart without importing pandas)."""
    return hasattr(inputs, "columns") and hasattr(inputs, "iloc")


def hashable(frame: Any) -> Any:
    """``frame``, with the cells pandas cannot hash (arrays, lists, dicts: a column of
    embeddings) as bytes of their values, so rows can be hashed and compared; the
    frame itself when every cell is hashable."""
    columns = [c for c in frame.columns if frame[c].dtype == object and not _cells_hashable(frame[c])]
    if not columns:
        return frame
    copy = frame.copy(deep=False)
    for c in columns:
        copy[c] = frame[c].map(_cell_bytes)
    return copy


def _cells_hashable(column: Any) -> bool:
    try:
        for value in column:
            hash(value)
    except TypeError:
        return False
    return True


def _cell_bytes(value: Any) -> Any:
    """An unhashable cell as bytes that differ when its values (or their type or shape) do."""
    try:
        hash(value)
        return value
    except TypeError:
        pass
    array = np.asarray(value)
    if array.dtype != object:
        return f"{array.dtype.str}{array.shape}".encode() + array.tobytes()
    return repr(value).encode()


class _Rows:
    """The inputs of one call: a list of texts or a DataFrame, with a cache key per row."""

    def __init__(self, inputs: Any) -> None:
        self.frame = inputs if is_frame(inputs) else None
        if self.frame is not None:
            import pandas as pd

            self.n = len(self.frame)
            # A 64-bit hash of each row's values (not its index): equal rows share a key.
            try:
                hashes = pd.util.hash_pandas_object(self.frame, index=False)
            except TypeError:  # a cell pandas cannot hash: an array (embeddings), a list
                hashes = pd.util.hash_pandas_object(hashable(self.frame), index=False)
            self.keys: list[Any] = hashes.to_numpy().tolist()
            self.texts: list[str] = []
        else:
            self.texts = _as_text_list(inputs)
            self.n = len(self.texts)
            self.keys = self.texts

    def take(self, positions: list[int]) -> Any:
        if self.frame is not None:
            return self.frame.iloc[positions]
        return [self.texts[i] for i in positions]

    def part(self, start: int, stop: int) -> Any:
        return self.frame.iloc[start:stop] if self.frame is not None else self.texts[start:stop]

    def where(self, positions: list[int] | None = None) -> Callable[[int], str]:
        """Names row i of a batch (of the rows at ``positions``), for messages."""

        def name(i: int) -> str:
            j = positions[i] if positions is not None else i
            return f"row {j} of the inputs" if self.frame is not None else f"text {_short(self.texts[j])}"

        return name


class Scorer:
    """inputs (texts or a DataFrame) -> float64 scores of the task's shape.

    Wraps a batch function (a list of texts or a DataFrame chunk -> raw output)
    with chunking, a per-scorer cache keyed by row, and output validation for
    ``task``; ``classes`` are the class values of a multiclass output's columns,
    or a binary output's ``(negative, positive)`` (the score is the positive's
    probability; None: the model names no classes).
    ``model_calls`` counts calls to the batch function, ``texts_scored`` the
    rows sent to it (cache misses).
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
        task: str = BINARY,
        classes: Sequence[Any] | None = None,
    ) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
        self._batch_fn = batch_fn
        self.description = description
        self.chunk_size = chunk_size
        self.cache_enabled = cache
        self.task = task
        self.classes: tuple[Any, ...] | None = None if classes is None else tuple(classes)
        self._cache: dict[Any, Any] = {}
        self.model_calls = 0
        self.texts_scored = 0

    def __repr__(self) -> str:
        return (
            f"<Scorer {self.description}: {self.model_calls} model calls, "
            f"{self.texts_scored} texts scored, {len(self._cache)} cached>"
        )

    @property
    def cache_size(self) -> int:
        """How many distinct rows have a cached output."""
        return len(self._cache)

    @property
    def rows_scored(self) -> int:
        """Rows sent to the model (cache misses); the same count as ``texts_scored``."""
        return self.texts_scored

    def clear_cache(self) -> None:
        """Forget cached outputs (the counters are kept)."""
        self._cache.clear()

    def _score_chunk(self, chunk: Any, where: Callable[[int], str]) -> np.ndarray:
        self.model_calls += 1
        self.texts_scored += len(chunk)
        width = len(self.classes) if self.classes is not None else None
        out = _validate(self._batch_fn(chunk), len(chunk), where, self.description, self.task, width)
        if self.task == MULTICLASS and self.classes is None:  # a callable's width, fixed by its first batch
            self.classes = tuple(range(out.shape[1]))
        return out

    def _empty(self) -> np.ndarray:
        if self.task == MULTICLASS:
            return np.empty((0, len(self.classes or ())), dtype=np.float64)
        return np.empty(0, dtype=np.float64)

    def __call__(self, inputs: Any) -> np.ndarray:
        rows = _Rows(inputs)
        n = rows.n
        if n == 0:
            return self._empty()
        step = self.chunk_size
        if not self.cache_enabled:
            parts = [
                self._score_chunk(rows.part(start, start + step), rows.where(list(range(start, min(n, start + step)))))
                for start in range(0, n, step)
            ]
            return np.concatenate(parts)
        cache = self._cache
        # First positions of the keys not cached, in first-seen order, so chunk
        # boundaries (and so results) do not depend on hash order.
        first: dict[Any, int] = {}
        for i, key in enumerate(rows.keys):
            if key not in cache and key not in first:
                first[key] = i
        missing = list(first.values())
        for start in range(0, len(missing), step):
            positions = missing[start : start + step]
            scored = self._score_chunk(rows.take(positions), rows.where(positions))
            # Only validated outputs enter the cache: a bad batch poisons nothing.
            values = [tuple(r) for r in scored.tolist()] if scored.ndim == 2 else scored.tolist()
            cache.update(zip((rows.keys[i] for i in positions), values))
        if self.task == MULTICLASS:
            return np.array([cache[k] for k in rows.keys], dtype=np.float64)
        return np.fromiter((cache[k] for k in rows.keys), dtype=np.float64, count=n)


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
        raise TypeError(f"vectorizer must have .transform(texts); got {type(vectorizer).__name__}")


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


def keras_output_width(model: Any) -> int | None:
    """The width of a one-output Keras model's output (1: binary or regression; k: softmax), when known."""
    try:
        shape = model.outputs[0].shape
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    width = shape[-1] if len(shape) >= 2 else 1
    return int(width) if width is not None else None


def _feature_matrix(frame: Any) -> np.ndarray:
    """A frame of numeric feature columns as the float32 matrix a Keras model takes."""
    try:
        return np.ascontiguousarray(frame.to_numpy(dtype=np.float32))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a Keras model takes numeric feature columns only: {exc}") from None


def _keras_batch_fn(model: Any, vectorizer: Any | None) -> BatchFn:
    forward: list[Callable[[np.ndarray], Any]] = []  # built on the first chunk

    def score(inputs: Any) -> Any:
        if vectorizer is None and not is_frame(inputs):
            raise TypeError(
                f"{type(model).__name__} (Keras) needs vectorizer= (an object with .transform(texts)) "
                "to turn texts into its input, or feature columns (a DataFrame)"
            )
        x = _feature_matrix(inputs) if vectorizer is None else _dense_float32(vectorizer.transform(inputs))
        if not forward:
            # A vectorizer from another run gives the wrong width: say so plainly
            # instead of letting TensorFlow fail while tracing.
            width = _keras_input_width(model)
            if width is not None and width != x.shape[1]:
                source = (
                    "the feature columns" if vectorizer is None else f"the vectorizer ({type(vectorizer).__name__})"
                )
                raise ValueError(
                    f"{source} give{'' if vectorizer is None else 's'} {x.shape[1]} features "
                    f"but the Keras model expects {width}: are they from the same run?"
                )
            from ..quiet import tensorflow_quieted

            with tensorflow_quieted():  # TensorFlow starts its devices on the first call
                forward.append(_keras_forward(model, x.shape[1]))
                out = forward[0](x)
        else:
            out = forward[0](x)
        if isinstance(out, (list, tuple, dict)):
            raise ScorerOutputError(f"Keras model returned {len(out)} outputs; expected one")
        return out

    return score


def _binary_classes(model: Any, classes: Sequence[Any] | None) -> tuple[tuple[Any, Any] | None, int | None]:
    """A binary model's ``(negative, positive)`` and the ``predict_proba`` column of
    the positive class: ``classes`` when given (both must be the model's), else
    its own ``classes_`` by :func:`modelgate.classes.model_pair`; (``classes``, None)
    for a model without ``classes_``."""
    from .classes import model_pair, shown

    if classes is not None and len(classes) != 2:
        raise ValueError(f"a binary scorer's classes are (negative, positive), not {len(classes)} classes")
    own = getattr(model, "classes_", None)
    if own is None:
        return (None if classes is None else (classes[0], classes[1])), None
    own = tuple(np.asarray(own).tolist())
    pair = model_pair(own) if classes is None else (classes[0], classes[1])
    missing = [c for c in pair if c not in own]
    if missing or len(own) != 2:
        what = f"does not know class {missing[0]!r}" if missing else "is not binary"
        raise ValueError(f"{type(model).__name__} {what} (its classes_: {shown(own)})")
    return pair, own.index(pair[1])


def _class_order(
    model: Any, classes: Sequence[Any] | None, unknown_classes: str = "error"
) -> tuple[tuple[Any, ...] | None, list[int] | None]:
    """A multiclass model's classes, and the columns that put its output in
    ``classes``' order (-1: a class the model does not know, scored 0).

    ``classes`` None: the model's own ``classes_`` in its order. A class the
    model does not know is a ValueError naming it, or, with
    ``unknown_classes="zero"`` (an older champion that never saw a newer
    class), a column of zeros. A class the model knows beyond ``classes`` is
    a ValueError: its probability would be lost and the rows not sum to 1.
    """
    own = getattr(model, "classes_", None)
    if own is None:
        return (None if classes is None else tuple(classes)), None
    own = tuple(np.asarray(own).tolist())
    if classes is None or tuple(classes) == own:
        return own, None
    missing = [c for c in classes if c not in own]
    if missing and unknown_classes != "zero":
        raise ValueError(
            f"{type(model).__name__} does not know class {missing[0]!r} (its classes_: {', '.join(map(repr, own))})"
        )
    extra = [c for c in own if c not in classes]
    if extra:
        raise ValueError(
            f"{type(model).__name__} knows class {extra[0]!r}, which the candidate does not "
            f"(the candidate's classes: {', '.join(map(repr, classes))})"
        )
    return tuple(classes), [own.index(c) if c in own else -1 for c in classes]


def _in_columns(proba: np.ndarray, columns: list[int]) -> np.ndarray:
    """``proba``'s columns in the order ``columns`` gives, with zeros where it is -1."""
    out = np.zeros((proba.shape[0], len(columns)), dtype=np.float64)
    for j, c in enumerate(columns):
        if c >= 0:
            out[:, j] = proba[:, c]
    return out


def _aligned(model: Any, inputs: Any) -> Any:
    """A frame's columns in the order the model was fitted with (``feature_names_in_``),
    when they are the same names in another order; anything else as it is."""
    names = getattr(model, "feature_names_in_", None)
    if names is None or not is_frame(inputs):
        return inputs
    names = list(names)
    if list(inputs.columns) != names and sorted(map(str, inputs.columns)) == sorted(map(str, names)):
        return inputs.loc[:, names]
    return inputs


def _proba_batch_fn(
    model: Any,
    vectorizer: Any | None,
    task: str = BINARY,
    columns: list[int] | None = None,
    column: int | None = None,
    unnamed_column: int = 1,
) -> BatchFn:
    """``predict_proba``: multiclass in ``columns``' order, binary its positive ``column``
    (a model without ``classes_``: ``unnamed_column`` of two columns)."""
    n_classes = None if getattr(model, "classes_", None) is None else len(model.classes_)
    name = type(model).__name__

    def score(inputs: Any) -> Any:
        x = _aligned(model, inputs) if vectorizer is None else vectorizer.transform(inputs)
        proba = np.asarray(model.predict_proba(x))
        if proba.ndim != 2:
            return proba  # let validation describe the shape
        if n_classes is not None and proba.shape[1] != n_classes:
            raise ScorerOutputError(f"{name}.predict_proba returned {proba.shape[1]} columns for {n_classes} classes_")
        if task == MULTICLASS:
            return proba if columns is None else _in_columns(proba, columns)
        if column is not None:
            return proba[:, column]
        return proba[:, unnamed_column] if proba.shape[1] == 2 else proba

    return score


def _predict_batch_fn(model: Any, vectorizer: Any | None) -> BatchFn:
    def predict(inputs: Any) -> Any:
        return model.predict(_aligned(model, inputs) if vectorizer is None else vectorizer.transform(inputs))

    return predict


def _callable_name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def as_scorer(
    model: Any,
    *,
    vectorizer: Any = None,
    chunk_size: int = 8192,
    cache: bool = True,
    task: str = BINARY,
    classes: Sequence[Any] | None = None,
    unknown_classes: str = "error",
) -> Scorer:
    """Wrap ``model`` as a :class:`Scorer` for ``task`` (see the module docstring
    for accepted types).

    For a multiclass task, ``classes`` orders the output's columns (a model
    with ``classes_`` is reordered to it; a class it lacks is a ValueError, or
    with ``unknown_classes="zero"`` a column of zeros: how a champion trained
    before a class existed is compared);
    None keeps the model's ``classes_`` (0..k-1 for a model without them).
    For a binary task, ``classes`` is ``(negative, positive)``: the score is
    the probability of ``classes[1]`` (its ``predict_proba`` column; a model
    that lacks either class is a ValueError); None takes a model's own
    ``classes_`` by :func:`modelgate.classes.model_pair` (1 or True of 0/1,
    False/True, -1/1, else ``classes_[1]``).
    A model that cannot give the task's output (a regressor gated as a
    classifier, a classifier as a regressor) is a TypeError naming both.
    An existing Scorer is returned as is (its cache and counters kept).
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    options: dict[str, Any] = dict(chunk_size=chunk_size, cache=cache, task=task)
    if isinstance(model, Scorer):
        if vectorizer is not None:
            raise TypeError("vectorizer= cannot be combined with an existing Scorer")
        if model.task != task:
            raise TypeError(f"this Scorer scores for task {model.task!r}, not {task!r}")
        if classes is not None and model.classes is not None and tuple(model.classes) != tuple(classes):
            from .classes import shown

            binary = task == BINARY and len(classes) == 2 and len(model.classes) == 2
            what = (
                f"the probability of class {shown(model.classes[1:])}, but the gate's positive class is "
                f"{shown(tuple(classes)[1:])}: set positive_class = {shown(model.classes[1:])}, or"
                if binary
                else f"classes {shown(model.classes)} in that order, but the gate's are {shown(tuple(classes))}:"
            )
            raise ValueError(
                f"this Scorer ({model.description}) scores {what} make it with "
                f"as_scorer(model, classes=({shown(tuple(classes))})), or pass the model itself"
            )
        return model
    if isinstance(model, dict):
        missing = [k for k in ("vectorizer", "model") if k not in model]
        if missing:
            raise TypeError(
                f"a model_dict needs keys 'vectorizer' and 'model'; missing {missing}, has {sorted(map(str, model))}"
            )
        if vectorizer is not None:
            raise TypeError("vectorizer= given twice: in the model_dict and as an argument")
        return as_scorer(
            model["model"], vectorizer=model["vectorizer"], classes=classes, unknown_classes=unknown_classes, **options
        )
    if vectorizer is not None:
        _check_vectorizer(vectorizer)
    vec_name = type(vectorizer).__name__
    suffix = "" if vectorizer is None else f" + {vec_name}"
    name = type(model).__name__

    if _is_keras_model(model):
        return Scorer(
            _keras_batch_fn(model, vectorizer),
            description=f"Keras model{suffix} (fast path)",
            classes=classes,
            **options,
        )
    has_proba = callable(getattr(model, "predict_proba", None))
    if task == REGRESSION and has_proba:
        raise TypeError(
            f"{name} is a classifier (it has predict_proba), but the task is regression: "
            'set task = "binary" or "multiclass"'
        )
    if has_proba:
        column, unnamed_column = None, 1
        if task == MULTICLASS:
            known, columns = _class_order(model, classes, unknown_classes)
        else:
            (known, column), columns = _binary_classes(model, classes), None
            if column is None and known is not None:  # no classes_: two columns are the sorted classes
                from .classes import sorted_values

                unnamed_column = sorted_values(known).index(known[1])
        return Scorer(
            _proba_batch_fn(model, vectorizer, task, columns, column, unnamed_column),
            description=f"{name}.predict_proba{suffix}",
            classes=known,
            **options,
        )
    if task == REGRESSION and callable(getattr(model, "predict", None)):
        return Scorer(_predict_batch_fn(model, vectorizer), description=f"{name}.predict{suffix}", **options)
    if callable(getattr(model, "predict", None)) and not callable(model):
        raise TypeError(
            f"{name} has predict but no predict_proba: a {task} gate needs class probabilities; "
            'is it a regressor (task = "regression")?'
        )
    if callable(model):
        if vectorizer is not None:
            raise TypeError(
                "vectorizer= applies to Keras and predict_proba models, not to a callable "
                f"({_callable_name(model)}): the callable takes raw texts"
            )
        return Scorer(model, description=f"callable {_callable_name(model)}", classes=classes, **options)
    mod = type(model).__module__
    qual = type(model).__qualname__
    raise TypeError(
        f"cannot score with an object of type {mod}.{qual}: expected a model_dict "
        "{'vectorizer', 'model'}, an object with predict_proba (or predict, for regression), "
        "a Keras model, a Scorer or a callable inputs -> scores"
    )
