"""Input validation shared by every bound: 1-D arrays paired row by row, 0/1 labels,
class codes, finite scores. Malformed input raises ValueError; data a statistic is
undefined for raises :class:`Undefined`, which the bounds turn into a reason."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


class Undefined(ValueError):
    """The statistic is undefined for this data; the message is the reason.

    ``inconclusive``: the data are too thin to decide (no rows, one class), rather
    than defective (a NaN score or label, which fails)."""

    def __init__(self, reason: str, *, inconclusive: bool = False) -> None:
        super().__init__(reason)
        self.inconclusive = inconclusive


def as_1d(x: ArrayLike, name: str, dtype: type | None = None) -> NDArray:
    arr = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    # Keras-style (n, 1) prediction columns are common and unambiguous.
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def binary_labels(y_true: ArrayLike, name: str = "y_true") -> NDArray[np.bool_]:
    """0/1 labels as a bool mask of positives."""
    y = as_1d(y_true, name)
    if y.dtype == np.bool_:
        return y
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold 0/1 values, got dtype {y.dtype}")
    if y.dtype.kind == "f":
        nan = int(np.isnan(y).sum())
        if nan:
            raise Undefined(f"{name} contains NaN ({nan} of {y.size} rows)")
    if not np.all((y == 0) | (y == 1)):
        bad = np.unique(y[(y != 0) & (y != 1)])[:5]
        raise ValueError(f"{name} must hold 0/1 values, found {bad.tolist()}")
    return y == 1


def finite_scores(x: ArrayLike, name: str) -> NDArray[np.float64]:
    s = as_1d(x, name, np.float64)
    nan = int(np.isnan(s).sum())
    if nan:
        raise Undefined(f"{name} contains NaN ({nan} of {s.size} rows)")
    # An infinite score is no probability and has no rank among the others' values: the
    # metric functions call it undefined (NaN), so every bound does too.
    infinite = int(np.isinf(s).sum())
    if infinite:
        raise Undefined(f"{name} contains infinite values ({infinite} of {s.size} rows)")
    return s


def same_length(**arrays: ArrayLike) -> int:
    lengths = {k: len(np.asarray(v)) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays are not paired row by row: lengths {lengths}")
    return next(iter(lengths.values()))


def auc_inputs(y_true: ArrayLike, **scores: ArrayLike) -> tuple[NDArray[np.bool_], list[NDArray[np.float64]]]:
    """Validated labels and scores for an AUC; raises Undefined with a reason."""
    n = same_length(y_true=y_true, **scores)
    if n == 0:
        raise Undefined("no rows", inconclusive=True)
    pos = binary_labels(y_true)
    arrays = [finite_scores(v, k) for k, v in scores.items()]
    m = int(pos.sum())
    if m == 0 or m == n:
        raise Undefined("y_true has a single class: AUC is undefined", inconclusive=True)
    return pos, arrays


def class_codes(x: ArrayLike, name: str) -> NDArray[np.int64]:
    """Class labels as int codes: 0/1 (binary) or 0..k-1 (multiclass), bools
    accepted; a NaN is undefined (Undefined), a non-integer value an error."""
    arr = as_1d(x, name)
    if arr.dtype == np.bool_:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold 0/1 labels or integer class codes, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        nan = int(np.isnan(arr).sum())
        if nan:
            raise Undefined(f"{name} contains NaN ({nan} of {arr.size} rows)")
        whole = np.isfinite(arr) & (arr == np.round(arr))
        if not whole.all():
            bad = np.unique(arr[~whole])[:5]
            raise ValueError(f"{name} must hold 0/1 labels or integer class codes, found {bad.tolist()}")
    return arr.astype(np.int64)


def safe_len(x: ArrayLike) -> int:
    try:
        return len(np.asarray(x))
    except TypeError:
        return 0


def check_resamples(n_resamples: int) -> None:
    if int(n_resamples) != n_resamples or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")


def fewest_resamples(confidence: float) -> int:
    """The fewest resamples B whose smallest bootstrap p-value, 1 / (B + 1), is below
    1 - confidence: with fewer, the percentile bound can clear a margin that the p-value
    says is not cleared (B = 1: the bound is one resample, above the estimate half the time)."""
    return int(math.floor(1.0 / round(1.0 - confidence, 12) + 1e-9))


def too_few_resamples(n_resamples: int, confidence: float) -> str:
    """Why ``n_resamples`` cannot give a bound at ``confidence`` ("" when it can)."""
    fewest = fewest_resamples(confidence)
    if n_resamples >= fewest:
        return ""
    return (
        f"n_resamples={n_resamples} is too few for a {confidence:g} bound: at least {fewest} "
        "(with fewer, the bootstrap p-value cannot fall below 1 - confidence)"
    )


def resampling_options_error(
    n_resamples: object, seed: object, method: str, confidence: float | None
) -> tuple[str, str]:
    """(key, why) when a check's ``n_resamples`` or ``seed`` is not what the bootstrap takes
    (a whole number >= 1, a whole number >= 0: a seed of None would draw new resamples on
    every run, so a borderline candidate could be gated again until it passed), or when a
    bootstrap ``method`` has too few resamples for its ``confidence``; ("", "") if fine."""
    for key, value, minimum in (("n_resamples", n_resamples, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            return key, f"{key} must be a whole number >= {minimum}, not {value!r}"
    if method == "bootstrap" and confidence is not None:
        assert isinstance(n_resamples, (int, np.integer))  # checked just above
        few = too_few_resamples(int(n_resamples), confidence)
        if few:
            return "n_resamples", few
    return "", ""
