"""Fitting cases to a model: whether they fit its task, feature columns and classes
(:func:`check_cases`), and the one batch that scores them all (:func:`smoke_inputs`)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import GateUsageError
from ..evidence.classes import as_number, binary_index, match_class, standard_positive
from ..names import BINARY, MULTICLASS, REGRESSION
from .cases import LABEL_COLUMNS, RANGE_COLUMNS, AnyCase, SmokeCase, is_missing
from .messages import classes_list, column_list, short

if TYPE_CHECKING:
    from ..evidence.evaluation import Evaluation


def _binary_expected(case: AnyCase, expected: Any, classes: Sequence[Any]) -> int:
    index = binary_index(expected, classes)
    if index is None:
        if len(classes) == 2 and standard_positive(classes) is None:
            use = f"a class ({classes_list(classes)}) or positive/negative"
        else:
            use = "0/1 or positive/negative" + (f" or a class ({classes_list(classes)})" if len(classes) == 2 else "")
        raise GateUsageError(f"{_where(case)}: bad label {short(expected)} for a binary model; use {use}")
    return index


def _where(case: AnyCase) -> str:
    return f"smoke case {case.name!r}" + (f" ({case.source})" if case.source else "")


@dataclass(frozen=True)
class Expectation:
    kind: str  # BINARY (a score on one side of a threshold), MULTICLASS (a predicted class), REGRESSION (a range)
    index: int = 0  # the expected label (binary) or class column (multiclass)
    threshold: float | None = None
    low: float = -math.inf
    high: float = math.inf
    expected: float | None = None
    tolerance: float | None = None


def _task(evidence: Evaluation | None) -> str:
    return BINARY if evidence is None else evidence.task


def expectation_of(case: AnyCase, evidence: Evaluation | None) -> Expectation:
    """What ``case`` asks of the model of ``evidence``; a one-line GateUsageError when it does not fit."""
    task = _task(evidence)
    classes = tuple(evidence.classes) if evidence is not None else ()
    where = _where(case)
    if isinstance(case, SmokeCase):
        if task == BINARY:  # built in code (no label from a file): expected is 1 positive, 0 negative
            side = case.expected if case.label is None else _binary_expected(case, case.label, classes)
            return Expectation(BINARY, side, case.threshold)
        if task == MULTICLASS:
            index = match_class(case.expected, classes)
            if index is None:
                raise GateUsageError(
                    f"{where}: expected {short(case.expected)} is not a class of the model (classes: {classes_list(classes)})"
                )
            return Expectation(MULTICLASS, index, None if case.threshold == 0.5 else case.threshold)
        raise GateUsageError(
            f"{where}: a class label, but the model is a regression model: give 'expected' with 'tolerance', "
            "or 'min'/'max'"
        )
    ranged = [key for key, value in (("min", case.minimum), ("max", case.maximum)) if value is not None]
    if task in (BINARY, MULTICLASS):
        extra = (["tolerance"] if case.tolerance is not None else []) + ranged
        if extra:
            raise GateUsageError(
                f"{where}: {'/'.join(extra)} is for regression cases, but the model is {task}: "
                "give 'expected' as a class label"
            )
        if case.expected is None:
            raise GateUsageError(f"{where}: no 'expected' class label")
        if task == BINARY:
            side = _binary_expected(case, case.expected, classes)
            return Expectation(BINARY, side, 0.5 if case.threshold is None else case.threshold)
        index = match_class(case.expected, classes)
        if index is None:
            raise GateUsageError(
                f"{where}: expected {short(case.expected)} is not a class of the model (classes: {classes_list(classes)})"
            )
        return Expectation(MULTICLASS, index, case.threshold)
    if task != REGRESSION:
        raise GateUsageError(f"{where}: unknown task {task!r}")
    if case.threshold is not None:
        raise GateUsageError(f"{where}: threshold is for classification cases, but the model is a regression model")
    if case.expected is None:
        return Expectation(
            REGRESSION,
            low=-math.inf if case.minimum is None else case.minimum,
            high=math.inf if case.maximum is None else case.maximum,
        )
    if ranged:
        raise GateUsageError(f"{where}: give 'expected' with 'tolerance', or 'min'/'max', not both")
    value = as_number(case.expected)
    if value is None or not math.isfinite(value):
        raise GateUsageError(
            f"{where}: expected {short(case.expected)} is not a number (the model is a regression model)"
        )
    if case.tolerance is None:
        raise GateUsageError(
            f"{where}: expected {value:g} needs a 'tolerance' (a regression value is never exact), or use 'min'/'max'"
        )
    return Expectation(
        REGRESSION, low=value - case.tolerance, high=value + case.tolerance, expected=value, tolerance=case.tolerance
    )


def _text_of(case: AnyCase) -> str:
    if case.text is None:
        columns = [k for k, _ in case.values]
        raise GateUsageError(
            f"{_where(case)}: no text (column 'text' or 'review'), which a text model needs; "
            f"the case has columns {column_list(columns)}"
        )
    return case.text


def _lookup(values: Mapping[str, Any], column: str) -> tuple[bool, Any]:
    """(found, value) of a feature column in a case: by exact name, else a unique case-insensitive match."""
    if column in values:
        return True, values[column]
    folded = [k for k in values if k.casefold() == str(column).casefold()]
    if len(folded) == 1:
        return True, values[folded[0]]
    return False, None


def _check_inputs(case: AnyCase, evidence: Evaluation) -> None:
    if evidence.features is None:
        _text_of(case)
        return
    values = dict(case.values)
    columns = [str(c) for c in evidence.features.columns]
    missing = [c for c in columns if not _lookup(values, c)[0]]
    if missing:
        if isinstance(case, SmokeCase) and not values:
            raise GateUsageError(
                f"{_where(case)}: a text case, but the model takes feature columns ({column_list(columns)}): "
                "write the feature columns and 'expected'"
            )
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise GateUsageError(
            f"{_where(case)}: no value for the feature column {missing[0]!r}{more}; the model's columns are "
            f"{column_list(columns)}"
        )
    # A feature named like a smoke-case key: the file's column of that name would be read as both.
    reserved = {k.casefold() for k in (*LABEL_COLUMNS, *RANGE_COLUMNS, "threshold")}
    clash = next((c for c in columns if c.casefold() in reserved and _lookup(values, c)[0]), None)
    if clash is not None:
        raise GateUsageError(
            f"{_where(case)}: the model's feature column {clash!r} has the name of a smoke-case key, so the "
            "file cannot tell the feature's value from the case's setting; rename that feature column"
        )
    # A blank cell would reach the model as NaN. The validation data decides what the
    # model accepts: a column with missing values there was scored, so a blank may stay.
    for key, column in zip(evidence.features.columns, columns):  # the frame's own labels (0, not '0')
        value, reference = _lookup(values, column)[1], evidence.features[key]
        if is_missing(value) and not reference.isna().any():
            raise GateUsageError(
                f"{_where(case)}: the feature column {column!r} is empty; the validation data has no "
                "missing values in it, so the model need not accept one: give a value"
            )
        # "nan" and "inf" written out reach a numeric column as NaN and inf: the same rule as a blank.
        number = as_number(value) if _is_numeric_column(reference) else None
        if number is not None and not math.isfinite(number):
            seen = reference.isna().any() if math.isnan(number) else bool((reference == number).any())
            if not seen:
                raise GateUsageError(
                    f"{_where(case)}: the feature column {column!r} holds {short(value)}; the validation "
                    "data has no such value in it, so the model need not accept one: give a finite number"
                )


def _is_numeric_column(column: Any) -> bool:
    from pandas.api import types as pdt

    return bool(pdt.is_numeric_dtype(column.dtype)) and not pdt.is_bool_dtype(column.dtype)


def check_cases(cases: Sequence[AnyCase], evidence: Evaluation) -> None:
    """Raise a one-line GateUsageError when a case does not fit the model of ``evidence``.

    Checks, for each case: the input (a text for a text model; every feature
    column, with values the column's type takes, for a model over feature
    columns, and blank only where the validation column has missing values) and the expectation (a class the model knows for classification,
    a number with a tolerance or min/max for regression, no regression keys on
    a classification case, no threshold on a regression case).
    """
    for case in cases:
        _check_inputs(case, evidence)
        expectation_of(case, evidence)
    smoke_inputs(cases, evidence)  # the values convert to the columns' types


def smoke_inputs(cases: Sequence[AnyCase], evidence: Evaluation) -> Any:
    """The batch that scores ``cases`` in one model call: a list of texts (a text
    model), or a DataFrame with the evidence's feature columns, in order, each
    converted to the validation column's type (the numbers a CSV holds as text)."""
    if evidence.features is None:
        return [_text_of(case) for case in cases]
    import pandas as pd

    reference = evidence.features
    for case in cases:
        _check_inputs(case, evidence)
    rows = [dict(case.values) for case in cases]
    data = {}
    for column in reference.columns:
        raw = [_lookup(row, str(column))[1] for row in rows]
        data[column] = conform_values(
            raw, reference[column].dtype, lambda i, c=column: f"{_where(cases[i])}, column {str(c)!r}"
        )
    return pd.DataFrame(data, columns=reference.columns)


def conform_values(values: Sequence[Any], dtype: Any, describe: Any) -> Any:
    """``values`` (from a file or a config) as an array of ``dtype``, the type of a
    validation column: numbers from text, categories matched by value; a value
    the column cannot hold is a GateUsageError naming ``describe(i)``."""
    import numpy as np
    import pandas as pd
    from pandas.api import types as pdt

    cleaned = [None if is_missing(v) else v for v in values]
    if isinstance(dtype, pd.CategoricalDtype):
        categories = list(dtype.categories)
        picked = []
        for i, v in enumerate(cleaned):
            j = None if v is None else match_class(v, categories)
            if v is not None and j is None:
                raise GateUsageError(
                    f"{describe(i)}: {short(v)} is not one of the column's categories ({classes_list(categories)})"
                )
            picked.append(None if j is None else categories[j])
        return pd.Categorical(picked, dtype=dtype)
    if pdt.is_bool_dtype(dtype):
        flags = []
        for i, v in enumerate(cleaned):
            flag = _flag(v)
            if flag is None:
                raise GateUsageError(f"{describe(i)}: {short(v)} is not true/false (the column holds booleans)")
            flags.append(flag)
        return np.array(flags, dtype=bool)
    if pdt.is_numeric_dtype(dtype):
        numbers_ = []
        for i, v in enumerate(cleaned):
            number = math.nan if v is None else as_number(v)
            if number is None:
                raise GateUsageError(f"{describe(i)}: {short(v)} is not a number (the column is {dtype})")
            numbers_.append(number)
        array = np.array(numbers_, dtype=float)
        if pdt.is_integer_dtype(dtype) and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
            return array.astype(dtype)
        if pdt.is_float_dtype(dtype):
            return array.astype(dtype)
        return array
    if pdt.is_datetime64_any_dtype(dtype):
        try:
            return pd.to_datetime(pd.Series(cleaned, dtype=object)).to_numpy()
        except (ValueError, TypeError) as exc:
            raise GateUsageError(f"{describe(0)}: not a date ({short(str(exc), 80)})") from None
    if isinstance(dtype, pd.StringDtype):
        return pd.array([None if v is None else str(v) for v in cleaned], dtype=dtype)
    column = np.empty(len(cleaned), dtype=object)
    column[:] = cleaned
    return column


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Real) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    return None
