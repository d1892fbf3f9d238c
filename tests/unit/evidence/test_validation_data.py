"""Validation data: bad frames are one-line usage errors, suspicious ones warn.

``validation_rows`` is the binary text gate's reading of the data artifact
(``validation_inputs`` plus strict 0/1 labels; every front end reads labels through
``tasks.labels_for_task``); the pytest plugin turns its GateUsageError into ``ERROR: modelgate: ...``
(exit 4), so these plain calls pin the message users read.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from modelgate.errors import GateDataWarning, GateUsageError
from modelgate.evidence.evaluation import validation_rows


def refused(frame) -> str:
    with pytest.raises(GateUsageError) as info:
        validation_rows(frame, "review", "labels")
    message = str(info.value)
    assert "\n" not in message, "usage errors are one line"
    assert len(message) < 300, f"usage errors are short, got {len(message)} chars: {message}"
    return message


def accepted(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # clean data warns about nothing
        return validation_rows(frame, "review", "labels")


# --- refused: one line, no traceback ---------------------------------------------


@pytest.mark.parametrize("column", ["labels", "review"])
def test_duplicate_column_names_are_refused(column):
    frame = pd.DataFrame([["good", 1, "x"], ["bad", 0, "y"]], columns=["review", "labels", "other"])
    frame = frame.rename(columns={"other": column})
    message = refused(frame)
    assert f"validation data has 2 columns named {column!r}" in message


@pytest.mark.parametrize(
    "labels, shown",
    [
        ([1, "1", 0], "'1' (str)"),
        ([[0, 1], [1], 0], "[0, 1] (list)"),
        ([{"y": 1}, {"y": 0}, 1], "{'y': 1} (dict)"),
        ([np.array([0, 1]), np.array([1, 0]), 1], "array([0, 1]) (ndarray)"),
        ([1.0, 0.0, 0.5], "0.5 (float)"),
        ([1, 0, 2], "2 (int)"),
    ],
    ids=["int-and-str", "lists", "dicts", "arrays", "half", "two"],
)
def test_labels_other_than_0_1_are_refused_naming_values_and_types(labels, shown):
    frame = pd.DataFrame({"review": ["a", "b", "c"], "labels": pd.Series(labels, dtype=object)})
    message = refused(frame)
    assert message.startswith("label column 'labels' is not binary 0/1"), message
    assert shown in message, message


@pytest.mark.parametrize(
    "labels",
    [
        [0, 1, 1],
        [False, True, True],
        [0.0, 1.0, 1.0],
        pd.Series([0, True, 1.0], dtype=object),
        pd.Series([np.int64(0), np.float32(1), np.bool_(True)], dtype=object),
        pd.Series([0, 1, 1], dtype="Int64"),
        pd.Series([0, 1, 1], dtype="category"),
    ],
    ids=["int", "bool", "float", "mixed-python", "mixed-numpy", "nullable-int", "category"],
)
def test_numbers_and_bools_0_1_are_accepted(labels):
    texts, y = accepted(pd.DataFrame({"review": ["a", "b", "c"], "labels": labels}))
    assert texts == ["a", "b", "c"]
    assert y.tolist() == [0, 1, 1] and y.dtype.kind == "i"


def test_the_label_error_shows_a_few_values_each_shortened():
    reviews = [f"Review {i}: " + "the fabric is lovely and the fit is true to size. " * 10 for i in range(8)]
    frame = pd.DataFrame({"review": ["text"] * 8, "labels": reviews})  # label column holds texts
    message = refused(frame)
    assert message.startswith("label column 'labels' is not binary 0/1"), message
    assert "'Review 0: the fabric" in message and "..." in message
    quoted = re.findall(r"'Review \d[^()]*", message)
    assert 1 <= len(quoted) <= 3, message
    assert all(len(q.strip(", ")) <= 32 for q in quoted), quoted
    assert "8 rows" in message, "says how many rows are bad"


def test_the_missing_column_error_lists_a_few_columns():
    frame = pd.DataFrame({f"feature_{i}_" + "x" * 60: [1] for i in range(200)})
    message = refused(frame)
    assert "validation data has no column 'review'" in message
    assert "feature_0_" in message and "(200 columns)" in message


# --- accepted with a warning -----------------------------------------------------


def test_duplicate_rows_warn_with_the_count_and_are_kept():
    unique = pd.DataFrame({"review": [f"review {i}" for i in range(60)], "labels": [i % 2 for i in range(60)]})
    frame = pd.concat([unique, unique.iloc[:37]], ignore_index=True)
    with pytest.warns(GateDataWarning, match=r"validation data has 37 duplicate rows \(same text and label\)"):
        texts, labels = validation_rows(frame, "review", "labels")
    assert len(texts) == len(labels) == 97, "the rows are returned as they are"


def test_the_same_text_with_another_label_is_not_a_duplicate_row():
    frame = pd.DataFrame({"review": ["same", "same", "other"], "labels": [0, 1, 1]})
    assert len(accepted(frame)[0]) == 3


def test_a_duplicate_index_warns_with_the_count():
    a = pd.DataFrame({"review": [f"a {i}" for i in range(10)], "labels": [i % 2 for i in range(10)]})
    b = pd.DataFrame({"review": [f"b {i}" for i in range(4)], "labels": [1, 0, 1, 0]})
    with pytest.warns(GateDataWarning, match=r"validation data has 4 duplicate index labels"):
        texts, _ = validation_rows(pd.concat([a, b]), "review", "labels")
    assert len(texts) == 14


def test_the_data_warning_is_a_user_warning():
    assert issubclass(GateDataWarning, UserWarning)


# --- what the end-to-end tests in test_bad_input.py (slow: runs of their own) check, as plain calls


@pytest.mark.parametrize(
    "data, name",
    [([["a", 1]], "list"), ({"review": ["a"], "labels": [1]}, "dict"), (np.array([[0, 1]]), "ndarray")],
    ids=["list", "dict", "array"],
)
def test_something_that_is_not_a_frame_is_refused(data, name):
    assert refused(data) == (f"validation data is a {name}, not a data frame with columns 'review' and 'labels'")


def test_a_missing_label_column_says_which_options_name_the_columns():
    frame = pd.DataFrame({"review": ["good", "bad"], "label": [1, 0]})
    assert refused(frame) == (
        "validation data has no column 'labels' (columns: review, label); set text_column / label_column"
    )


def test_an_empty_frame_is_refused():
    frame = pd.DataFrame({"review": pd.Series([], dtype=object), "labels": pd.Series([], dtype=int)})
    assert refused(frame) == "validation data is empty: there is nothing to gate on"


def test_missing_labels_are_refused():
    frame = pd.DataFrame({"review": ["good", "bad", "meh"], "labels": [1, None, 0]})
    assert refused(frame) == "label column 'labels' has missing values"


def test_text_labels_are_refused():
    # TinyFlow's labels_kind="text" run: 'pos' / 'neg' instead of 1 / 0
    frame = pd.DataFrame({"review": ["good", "bad", "fine"], "labels": ["pos", "neg", "pos"]})
    message = refused(frame)
    assert message.startswith("label column 'labels' is not binary 0/1: 3 rows hold other values"), message
    assert "'pos' (str)" in message and "'neg' (str)" in message


@pytest.mark.parametrize(
    "text, shown",
    [(float("nan"), "float"), (3, "int"), (b"bytes", "bytes")],
    ids=["nan", "int", "bytes"],
)
def test_a_text_that_is_not_text_is_refused_naming_its_row(text, shown):
    frame = pd.DataFrame({"review": pd.Series(["good", text, "bad"], dtype=object), "labels": [1, 0, 0]})
    assert refused(frame) == f"text column 'review' holds a {shown} at row 1, not text"
