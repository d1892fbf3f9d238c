"""The task: what the model predicts, from the config, the model and the labels.

``task`` in ``[tool.modelgate]`` (or ``--gate-task``) names it;
unset, it is inferred only when the model and the labels leave no doubt:

- a model whose output is described by its attributes: a scikit-learn-style
  classifier (``predict_proba`` and ``classes_``: two classes binary, more
  multiclass), a regressor (``predict`` and the scikit-learn regressor type),
  a Keras model (output width 1: binary; k > 1: a softmax, multiclass);
- a callable (or anything else the model's attributes do not describe):
  binary when every label is 0 or 1 (today's gates), regression when the
  labels are numbers that are not all whole; anything else asks for ``task``.

A task that contradicts the model (a multiclass model gated as binary, a
classifier as a regressor) is a :class:`GateUsageError` naming both. This
module also reads the labels for the task: 0/1 (binary; which class is 1 is
:mod:`modelgate.classes`'s rule), codes into the model's classes (multiclass; a class the model does not know is refused), or
finite numbers (regression; NaN is refused).
"""

from __future__ import annotations

import numbers
import reprlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import GateUsageError
from ..names import BINARY, MULTICLASS, REGRESSION

_REPR = reprlib.Repr()  # for values echoed in messages: bounded depth and length
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, 40, 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4


def _short(value, width: int = 30) -> str:
    """A value for a one-line message: its repr on one line, at most ``width`` chars."""
    if isinstance(value, str):
        text = repr(value[: width + 1])
    else:
        text = _REPR.repr(value)  # bounded: nested and huge values stay short
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _is_label_number(value) -> bool:
    return isinstance(value, (bool, np.bool_, numbers.Real)) and not isinstance(value, str)


def check_binary(raw_labels, label_column: str) -> None:
    """Refuse labels other than 0/1 numbers or bools, naming a few bad values briefly."""
    values = raw_labels.to_numpy()
    if values.dtype.kind in "biuf":  # plain numeric column: vectorised
        bad = (values != 0) & (values != 1)
        if not bad.any():
            return
        positions = np.flatnonzero(bad)
        examples = [values[i].item() for i in positions[np.unique(values[bad], return_index=True)[1]][:3]]
        n_bad, first = len(positions), int(positions[0])
    else:  # objects (strings, lists, mixed types), categories, nullable ints
        values = np.asarray(values, dtype=object)
        n_bad, first, examples, seen = 0, -1, [], set()
        for i, v in enumerate(values):
            if _is_label_number(v) and (v == 0 or v == 1):
                continue
            n_bad += 1
            if first < 0:
                first = i
            key = (type(v).__name__, _short(v))
            if len(examples) < 3 and key not in seen:
                seen.add(key)
                examples.append(v)
        if n_bad == 0:
            return
    shown = ", ".join(f"{_short(v)} ({type(v).__name__})" for v in examples)
    rows = "1 row holds" if n_bad == 1 else f"{n_bad} rows hold"
    raise GateUsageError(
        f"label column {label_column!r} is not binary 0/1: {rows} other values, e.g. {shown} (first at row {first})"
    )


@dataclass(frozen=True)
class ModelShape:
    """What a model's attributes say about its output, without scoring it."""

    task: str | None  # None: the attributes do not tell (a callable)
    classes: tuple[Any, ...] | None = None  # a classifier's classes_, in its column order
    source: str = "the model"  # for messages: "LogisticRegression.classes_ has 3 classes"


def _estimator_type(model: Any) -> str | None:
    tags = getattr(model, "__sklearn_tags__", None)
    if callable(tags):
        try:
            return getattr(tags(), "estimator_type", None)
        except Exception:  # a half-built or third-party estimator: fall back on the old attribute
            pass
    return getattr(model, "_estimator_type", None)


def _last_activation(model: Any) -> str | None:
    """The name of a Keras model's last layer's activation (``"sigmoid"``), when it has one."""
    try:
        activation = model.layers[-1].activation
    except (AttributeError, IndexError, TypeError):
        return None
    return getattr(activation, "__name__", None)


def model_shape(model: Any) -> ModelShape:
    """The task a model's attributes imply (see the module docstring)."""
    from .scorers import Scorer, _is_keras_model, keras_output_width

    if isinstance(model, Scorer):
        return ModelShape(model.task, model.classes, f"the Scorer ({model.description})")
    if isinstance(model, dict) and "model" in model:
        model = model["model"]
    name = type(model).__name__
    if _is_keras_model(model):
        width = keras_output_width(model)
        if width is None:
            return ModelShape(None)
        if width == 1:  # a probability only behind a sigmoid; otherwise binary or regression: the labels tell
            if _last_activation(model) == "sigmoid":
                return ModelShape(BINARY, None, f"the Keras model ({name}) has one sigmoid output")
            return ModelShape(None)
        return ModelShape(MULTICLASS, tuple(range(width)), f"the Keras model ({name}) has {width} outputs")
    classes = getattr(model, "classes_", None)
    if callable(getattr(model, "predict_proba", None)) and classes is not None:
        found = tuple(np.asarray(classes).tolist())
        task = BINARY if len(found) == 2 else MULTICLASS
        return ModelShape(task, found, f"{name}.classes_ has {len(found)} classes")
    if (
        callable(getattr(model, "predict", None))
        and not callable(getattr(model, "predict_proba", None))
        and _estimator_type(model) == "regressor"
    ):
        return ModelShape(REGRESSION, None, f"{name} is a regressor")
    return ModelShape(None)


def _whole(values: np.ndarray) -> bool:
    return bool(np.all(np.equal(np.mod(values, 1), 0)))


def resolve_task(setting: str, shape: ModelShape, raw_labels: Any, label_column: str) -> str:
    """The task to gate with: ``setting`` when given (checked against the
    model), else what the model's attributes or the labels leave no doubt about."""
    if setting:
        if shape.task is not None and shape.task != setting:
            raise GateUsageError(
                f'the gate\'s task is {setting!r}, but {shape.source}: it is {shape.task}; set task = "{shape.task}"'
            )
        return setting
    if shape.task is not None:
        return shape.task
    values = np.asarray(raw_labels)
    if values.dtype.kind in "biuf" and len(values):
        finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
        if np.all((finite == 0) | (finite == 1)):
            return BINARY
        if not _whole(finite):
            return REGRESSION
    distinct = len(set(values.tolist())) if values.dtype.kind != "f" else len(np.unique(values))
    raise GateUsageError(
        f"cannot tell the task from the model and label column {label_column!r} ({distinct} distinct "
        f'values, {values.dtype}): set task = "binary", "multiclass" or "regression" in '
        "[tool.modelgate] or pass --gate-task"
    )


def _shown(values: list[Any], limit: int = 6) -> str:
    text = ", ".join(repr(v) for v in values[:limit])
    return text + (f", ... ({len(values)})" if len(values) > limit else "")


def multiclass_labels(raw_labels: Any, classes: tuple[Any, ...], label_column: str) -> np.ndarray:
    """Codes 0..k-1 of the labels in ``classes``; a class the model does not know is refused."""
    import pandas as pd

    series = pd.Series(raw_labels)
    if series.isna().any():
        raise GateUsageError(f"label column {label_column!r} has {int(series.isna().sum())} missing values")
    index = {c: i for i, c in enumerate(classes)}
    codes = series.map(index)
    unknown = series[codes.isna()]
    if len(unknown):
        names = list(dict.fromkeys(unknown.tolist()))
        raise GateUsageError(
            f"label column {label_column!r} holds {len(names)} class{'es' if len(names) > 1 else ''} "
            f"the model does not know: {_shown(names)} ({len(unknown)} rows; the model's classes: "
            f"{_shown(list(classes))})"
        )
    return codes.to_numpy(dtype=int)


def regression_targets(raw_labels: Any, label_column: str) -> np.ndarray:
    """The targets as finite floats; text, NaN and infinite targets are refused."""
    values = np.asarray(raw_labels)
    if values.dtype.kind not in "biuf":
        try:
            values = values.astype(float)
        except (TypeError, ValueError):
            raise GateUsageError(
                f"label column {label_column!r} holds {values.dtype} values, not numbers: "
                "a regression target must be numeric"
            ) from None
    values = values.astype(float)
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.argmax(bad))
        raise GateUsageError(
            f"regression target {label_column!r} has {int(bad.sum())} missing or infinite values "
            f"(first at row {first}); drop or impute them before the gate"
        )
    return values


def binary_classes(
    model_classes: tuple[Any, ...] | None, raw_labels: Any, label_column: str, positive_class: Any = None
) -> tuple[Any, Any]:
    """``(negative, positive)`` of a binary gate: the model's two classes, else the
    labels' two values, ordered by :func:`modelgate.classes.choose` (the one rule).
    Refuses, in one line, labels the model's classes do not hold (naming both)
    and labels that are not two values."""
    import pandas as pd

    from .classes import choose, plain, sorted_values

    series = pd.Series(raw_labels)
    if series.isna().any():
        raise GateUsageError(f"label column {label_column!r} has missing values")
    try:
        values = [plain(v) for v in dict.fromkeys(series.tolist())]
    except TypeError:  # unhashable labels (lists, dicts): the 0/1 check names them
        check_binary(series, label_column)
        raise
    if model_classes is not None and len(model_classes) == 2:
        classes = tuple(plain(c) for c in model_classes)
        unknown = [v for v in values if v not in classes]
        if unknown:
            rows = int((~series.isin(list(classes))).sum())
            raise GateUsageError(
                f"label column {label_column!r} holds {len(unknown)} class{'es' if len(unknown) > 1 else ''} "
                f"the model does not know: {_shown(unknown)} ({rows} rows; the model's classes: {_shown(list(classes))})"
                + ('; is it multiclass (task = "multiclass")?' if len(values) > 2 else "")
            )
        return choose(classes, positive_class)
    if len(values) == 1 and values[0] in (0, 1) and not isinstance(values[0], str):
        values = [False, True] if isinstance(values[0], bool) else [0, 1]  # one class present: 0/1 all the same
    if len(values) == 1:  # not 0/1: the other class has no name, so nothing says which one this is
        raise GateUsageError(
            f"label column {label_column!r} holds one class only ({_shown(values)}), and the model names no "
            "classes: a binary gate needs both classes in the validation data (or a model with classes_)"
        )
    if len(values) != 2:
        check_binary(series, label_column)  # names values that are not 0/1 (only 0/1 pass, handled above)
        raise GateUsageError(f"label column {label_column!r} holds no labels")
    return choose(sorted_values(values), positive_class, labels_from=label_column)


def positive_labels(raw_labels: Any, positive: Any) -> np.ndarray:
    """1 where the label equals ``positive`` (by value: 1.0 and True are 1), else 0."""
    import pandas as pd

    series = pd.Series(raw_labels)
    if isinstance(series.dtype, pd.CategoricalDtype):  # a category compares by its categories: 1 is not True there
        series = series.astype(object)
    return (series == positive).to_numpy(dtype=int)


def labels_for_task(
    task: str,
    raw_labels: Any,
    model_classes: tuple[Any, ...] | None,
    label_column: str,
    positive_class: Any = None,
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """(labels, classes) for ``task``: 0/1 and ``(negative, positive)`` for
    binary (:func:`modelgate.classes.binary_classes`: ``positive_class``, else
    the model's or the labels' classes say which is positive); codes into the
    classes and the classes for multiclass (the model's, or, for a model that
    names none, the sorted label values); floats and () for regression."""
    if positive_class is not None and task != BINARY:
        raise GateUsageError(f"positive_class applies to binary gates only, but the task is {task}")
    if task == REGRESSION:
        return regression_targets(raw_labels, label_column), ()
    if task == BINARY:
        pair = binary_classes(model_classes, raw_labels, label_column, positive_class)
        return positive_labels(raw_labels, pair[1]), pair
    classes = model_classes
    if classes is None:
        import pandas as pd

        series = pd.Series(raw_labels)
        if series.isna().any():
            raise GateUsageError(f"label column {label_column!r} has {int(series.isna().sum())} missing values")
        try:
            classes = tuple(sorted(series.unique().tolist()))
        except TypeError:
            raise GateUsageError(
                f"label column {label_column!r} mixes types ({', '.join(sorted({type(v).__name__ for v in series}))}): "
                "the class values cannot be ordered"
            ) from None
    return multiclass_labels(raw_labels, classes, label_column), classes
