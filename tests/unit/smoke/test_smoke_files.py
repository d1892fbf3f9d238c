"""Loading smoke cases from .csv, .jsonl and .parquet files, and every error a file can have."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from modelgate.errors import GateUsageError
from modelgate.evidence.evaluation import Evaluation
from modelgate.smoke import SmokeCase, SmokeCaseFileError, check_cases, load_smoke_cases

# A binary text model's evidence: what check_cases fits the cases to.
TEXT_EVIDENCE = Evaluation(labels=np.array([1, 0]), candidate=np.array([0.9, 0.1]), texts=("a", "b"))

CSV = """text,expected,name,threshold
"Poor fit, baggy in places.",0,,
Love this dress so much!,1,love-dress,0.7
"Poor fit, baggy everywhere.",negative,,
"""

EXPECTED_CSV = [
    SmokeCase("Poor fit, baggy in places.", 0, "poor-fit-baggy", 0.5),
    SmokeCase("Love this dress so much!", 1, "love-dress", 0.7),
    SmokeCase("Poor fit, baggy everywhere.", 0, "poor-fit-baggy-2", 0.5),
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(path: Path, rows: list[dict]) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in rows))


def error(path) -> str:
    with pytest.raises(SmokeCaseFileError) as info:
        load_smoke_cases(path)
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    assert str(path) in message, "errors name the file"
    return message


def misfit(path, evidence=TEXT_EVIDENCE) -> str:
    """A file that loads but does not fit the model: check_cases says so in one line."""
    cases = load_smoke_cases(path)
    with pytest.raises(GateUsageError) as info:
        check_cases(cases, evidence)
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    assert str(path) in message, "errors name the file"
    return message


# --- formats ----------------------------------------------------------------------


def test_csv_loads_with_derived_unique_names(tmp_path):
    assert load_smoke_cases(write(tmp_path / "cases.csv", CSV)) == EXPECTED_CSV


def test_jsonl_loads_with_label_column_and_words(tmp_path):
    path = jsonl(
        tmp_path / "cases.jsonl",
        [
            {"text": "Poor fit, baggy in places.", "label": "negative"},
            {"text": "Love this dress so much!", "label": 1, "name": "love-dress", "threshold": 0.7},
            {"text": "Poor fit, baggy everywhere.", "label": "Negative ", "notes": "ignored"},
        ],
    )
    assert load_smoke_cases(path) == EXPECTED_CSV


def test_parquet_loads_with_labels_column(tmp_path):
    import pandas as pd

    path = tmp_path / "cases.parquet"
    pd.DataFrame(
        {
            "text": [c.text for c in EXPECTED_CSV],
            "labels": [c.expected for c in EXPECTED_CSV],
            "name": [None, "love-dress", None],
            "threshold": [None, 0.7, None],
        }
    ).to_parquet(path)
    assert load_smoke_cases(path) == EXPECTED_CSV


def test_explicit_names_win_over_derived_ones(tmp_path):
    path = write(
        tmp_path / "cases.csv",
        "text,expected,name\nPoor fit baggy,0,\nGreat dress,1,poor-fit-baggy\n",
    )
    assert [c.name for c in load_smoke_cases(path)] == ["poor-fit-baggy-2", "poor-fit-baggy"]


# --- SmokeCase semantics ------------------------------------------------------------


def test_passes_is_strict_on_both_sides():
    pos = SmokeCase("Love it", 1, "love-it")
    neg = SmokeCase("Hate it", 0, "hate-it", threshold=0.3)
    assert pos.passes(0.51) and not pos.passes(0.5) and not pos.passes(0.2)
    assert neg.passes(0.29) and not neg.passes(0.3) and not neg.passes(0.9)


def test_failure_message_is_one_readable_line():
    case = SmokeCase("Poor fit,\nbaggy in places.", 0, "poor-fit-baggy")
    assert case.failure_message(0.8123) == (
        "smoke poor-fit-baggy: expected negative (0), needs score < 0.5, got 0.8123; text: 'Poor fit, baggy in places.'"
    )
    # Rounding never hides which side of the threshold a score is on.
    assert "got 0.50000001;" in SmokeCase("x", 0, "x").failure_message(0.50000001)


def test_smoke_case_rejects_bad_values():
    with pytest.raises(ValueError, match="threshold must be inside"):
        SmokeCase("x", 1, "x", threshold=1.0)
    with pytest.raises(ValueError, match="expected must be 0 or 1"):
        SmokeCase("x", 2, "x")


# --- errors -------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    assert error(path) == f"{path}: no such file"


def test_unknown_extension(tmp_path):
    path = write(tmp_path / "cases.txt", CSV)
    assert error(path) == f"{path}: unknown extension '.txt'; use .csv, .jsonl or .parquet"


def test_missing_column(tmp_path):
    path = write(tmp_path / "cases.csv", "text,name\nLove it,a\n")
    assert error(path) == (
        f"{path}: missing column 'expected' (also accepted: 'label', 'labels'); columns are ['text', 'name']"
    )


def test_missing_text_column_in_parquet(tmp_path):
    import pandas as pd

    path = tmp_path / "cases.parquet"
    pd.DataFrame({"sentence": ["Love it"], "expected": [1]}).to_parquet(path)
    # Without a text column the file is rows of feature columns: a text model refuses them.
    assert misfit(path) == (
        f"smoke case 'row-1' ({path}, row 1): no text (column 'text' or 'review'), which a text model "
        "needs; the case has columns ['sentence', 'expected']"
    )


def test_two_label_columns_are_ambiguous(tmp_path):
    path = write(tmp_path / "cases.csv", "text,expected,label\nLove it,1,1\n")
    assert error(path) == f"{path}: both 'expected' and 'label' columns give the expected label; keep one"


def test_bad_label_value_names_the_case_and_line(tmp_path):
    # A label other than 0/1 may be a multiclass model's class: the file loads, and a
    # binary model refuses it before any verdict.
    path = write(tmp_path / "cases.csv", "text,expected\nLove it,1\nMeh,maybe\n")
    assert misfit(path) == (
        f"smoke case 'meh' ({path}, line 3): bad label 'maybe' for a binary model; use 0/1 or positive/negative"
    )


def test_bad_label_number_in_jsonl(tmp_path):
    path = jsonl(tmp_path / "cases.jsonl", [{"text": "Meh", "label": 2}])
    assert misfit(path) == (
        f"smoke case 'meh' ({path}, line 1): bad label 2 for a binary model; use 0/1 or positive/negative"
    )


@pytest.mark.parametrize("value", ["1.5", "0", "1", "-0.1"])
def test_threshold_outside_open_unit_interval(tmp_path, value):
    path = write(tmp_path / "cases.csv", f"text,expected,threshold\nLove it,1,{value}\n")
    assert error(path) == (f"{path}, line 2, column 'threshold': threshold '{value}' is outside (0, 1)")


def test_threshold_not_a_number(tmp_path):
    path = jsonl(tmp_path / "cases.jsonl", [{"text": "Love it", "expected": 1, "threshold": "high"}])
    assert error(path) == f"{path}, line 1, column 'threshold': threshold 'high' is not a number"


def test_duplicate_names(tmp_path):
    path = write(tmp_path / "cases.csv", "text,expected,name\nLove it,1,a\nHate it,0,b\nMeh,0,a\n")
    assert error(path) == f"{path}, line 4, column 'name': duplicate name 'a' (first at line 2)"


def test_empty_file(tmp_path):
    path = write(tmp_path / "cases.csv", "")
    assert error(path) == f"{path}: empty file (no cases)"


def test_header_without_cases(tmp_path):
    path = write(tmp_path / "cases.csv", "text,expected\n")
    assert error(path) == f"{path}: empty file (a header but no cases)"


def test_empty_jsonl_lines_only(tmp_path):
    path = write(tmp_path / "cases.jsonl", "\n\n")
    assert error(path) == f"{path}: empty file (no cases)"


def test_empty_text(tmp_path):
    path = write(tmp_path / "cases.csv", 'text,expected\nLove it,1\n"  ",0\n')
    assert error(path) == f"{path}, line 3, column 'text': empty text"


def test_null_text_in_parquet(tmp_path):
    import pandas as pd

    path = tmp_path / "cases.parquet"
    pd.DataFrame({"text": ["Love it", None], "expected": [1, 0]}).to_parquet(path)
    assert error(path) == f"{path}, row 2, column 'text': empty text"


def test_invalid_json_line(tmp_path):
    path = write(tmp_path / "cases.jsonl", '{"text": "Love it", "expected": 1}\n{"text": \n')
    assert error(path).startswith(f"{path}, line 2: invalid JSON")


def test_jsonl_row_without_text(tmp_path):
    path = jsonl(tmp_path / "cases.jsonl", [{"text": "Love it", "expected": 1}, {"expected": 0}])
    assert error(path) == f"{path}, line 2: missing 'text'"


# --- hostile files: still one line naming the place, never a traceback -------------


@pytest.mark.parametrize(
    "line",
    [
        '{"text": ' + "[" * 200_000 + "]" * 200_000 + ', "expected": 1}',
        "[" * 200_000,
        '{"text": "Love it", "expected": 1' + "0" * 5000 + "}",  # beyond int's digit limit
    ],
    ids=["nested-text", "nested-line", "huge-integer"],
)
def test_hostile_json_lines_name_the_line(tmp_path, line):
    path = write(tmp_path / "cases.jsonl", '{"text": "Love it", "expected": 1}\n' + line + "\n")
    message = error(path)
    assert message.startswith(f"{path}, line 2: invalid JSON ("), message
    assert len(message) < 300 + len(str(path)), message


def test_a_threshold_too_large_for_a_float_is_outside_the_interval(tmp_path):
    path = write(tmp_path / "cases.jsonl", '{"text": "Love it", "expected": 1, "threshold": 1' + "0" * 400 + "}\n")
    message = error(path)
    assert message.startswith(f"{path}, line 1, column 'threshold': threshold 1000"), message
    assert message.endswith("is outside (0, 1)") and "..." in message and len(message) < 200 + len(str(path))


def test_a_csv_field_over_the_field_limit_names_the_line(tmp_path):
    path = write(tmp_path / "cases.csv", "text,expected\nLove it,1\n" + "x" * 200_000 + ",1\n")
    assert error(path) == f"{path}, line 3: a field is longer than the CSV field limit (131072 characters)"


@pytest.mark.parametrize(
    "row, column",
    [
        ({"text": ["a review " * 20] * 1000, "expected": 1}, "text"),
        ({"text": "Love it", "expected": "y" * 5000}, "expected"),
        ({"text": "Love it", "expected": 1, "threshold": "z" * 5000}, "threshold"),
    ],
    ids=["list-text", "long-label", "long-threshold"],
)
def test_bad_values_are_shown_shortened(tmp_path, row, column):
    path = jsonl(tmp_path / "cases.jsonl", [row])
    if column == "expected":  # not a binary label: a class, which the binary model refuses
        message = misfit(path)
        assert message.startswith(f"smoke case 'love-it' ({path}, line 1): bad label 'yyy"), message
    else:
        message = error(path)
        assert message.startswith(f"{path}, line 1, column {column!r}: "), message
    assert "..." in message and len(message) < 200 + len(str(path)), message


def test_a_header_with_many_columns_is_listed_briefly(tmp_path):
    path = write(tmp_path / "cases.csv", ",".join(f"c{i}" for i in range(100_000)) + "\nx\n")
    message = error(path)
    assert message.startswith(
        f"{path}: missing column 'expected' (also accepted: 'label', 'labels'), or 'min'/'max' for a regression "
        "model; columns are ['c0', 'c1'"
    )
    assert "(100000 columns)" in message and len(message) < 300 + len(str(path))


# --- derived names -------------------------------------------------------------------


def test_many_cases_sharing_their_first_words_get_unique_names(tmp_path):
    n = 20_000
    path = write(tmp_path / "cases.csv", "text,expected\n" + "".join(f"Great dress fits {i},1\n" for i in range(n)))
    names = [c.name for c in load_smoke_cases(path)]
    assert len(set(names)) == n
    assert names[:3] == ["great-dress-fits", "great-dress-fits-2", "great-dress-fits-3"]
    assert names[-1] == f"great-dress-fits-{n}"


def test_derived_names_skip_explicit_and_derived_ones(tmp_path):
    path = write(
        tmp_path / "cases.csv",
        "text,expected,name\n"
        "Poor fit baggy,0,\n"
        "Great dress,1,poor-fit-baggy-3\n"
        "Poor fit baggy again,0,\n"
        "Poor fit baggy too,0,\n"  # -2 is derived, -3 explicit: the next free one is -4
        "Poor fit baggy more,0,\n"
        "Too small,0,\n"
        "Too small,0,\n"
        "Too small 2,0,\n"  # its own slug 'too-small-2' was derived for the case before
        "Too small,0,\n",
    )
    assert [c.name for c in load_smoke_cases(path)] == [
        "poor-fit-baggy",
        "poor-fit-baggy-3",
        "poor-fit-baggy-2",
        "poor-fit-baggy-4",
        "poor-fit-baggy-5",
        "too-small",
        "too-small-2",
        "too-small-2-2",
        "too-small-3",
    ]


def test_a_name_that_is_not_text_is_refused(tmp_path):
    path = jsonl(tmp_path / "cases.jsonl", [{"text": "Love it", "expected": 1, "name": [[["x"]]] * 50}])
    message = error(path)
    assert message.startswith(f"{path}, line 1, column 'name': name must be a string, got [[[...]]"), message
    assert len(message) < 150 + len(str(path))
    path = jsonl(tmp_path / "numbers.jsonl", [{"text": "Love it", "expected": 1, "name": 7}])
    assert [c.name for c in load_smoke_cases(path)] == ["7"]
