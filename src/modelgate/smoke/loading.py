"""Turning a smoke-case file's rows into cases: reserved columns, labels, thresholds, ranges, names."""

from __future__ import annotations

import csv
import math
import numbers
import os
import re
from pathlib import Path
from typing import Any

from ..evidence.classes import LABEL_WORDS
from .cases import LABEL_COLUMNS, NAME_COLUMNS, RANGE_COLUMNS, TEXT_COLUMNS, AnyCase, SmokeCase, SmokeRow, is_missing
from .files import READERS, SmokeCaseFileError, file_place
from .messages import column_list, short

_SLUG_WORDS = 3


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words[:_SLUG_WORDS]) or "case"


def _parse_label(value: Any, path: Path, where: str, column: str) -> int:
    label = _binary_value(value)
    if label is None:
        raise SmokeCaseFileError(
            f"{file_place(path, where, column)}: bad label {short(value)}; use 0/1 or positive/negative"
        )
    return label


def _binary_value(value: Any) -> int | None:
    """0/1 from a 0/1 number, a bool, "0"/"1" or positive/negative; None for anything else."""
    if isinstance(value, (bool,)):
        return int(value)
    if isinstance(value, numbers.Real) and value in (0, 1):
        return 1 if value == 1 else 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("0", "1"):
            return int(word)
        if word in LABEL_WORDS:
            return LABEL_WORDS[word]
    return None


def _parse_number(value: Any, path: Path, where: str, column: str, what: str) -> float:
    """A finite number from a cell (a number, or text holding one)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise SmokeCaseFileError(f"{file_place(path, where, column)}: {what} {short(value)} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SmokeCaseFileError(f"{file_place(path, where, column)}: {what} {short(value)} is not a number") from None
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise SmokeCaseFileError(f"{file_place(path, where, column)}: {what} {short(value)} is not a finite number")
    return number


def _parse_threshold(value: Any, path: Path, where: str) -> float:
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        raise SmokeCaseFileError(
            f"{file_place(path, where, 'threshold')}: threshold {short(value)} is not a number"
        ) from None
    except OverflowError:  # an integer too large for a float
        threshold = math.inf
    if not (0.0 < threshold < 1.0):  # NaN fails this too
        raise SmokeCaseFileError(f"{file_place(path, where, 'threshold')}: threshold {short(value)} is outside (0, 1)")
    return threshold


def _pick_column(
    columns: list[str], choices: tuple[str, ...], path: Path, what: str, required: bool = True, also: str = ""
) -> str | None:
    """The one column (its name as written) among ``choices``, matched case-insensitively."""
    present = [c for c in columns if c.lower() in choices]
    if len(present) > 1:
        raise SmokeCaseFileError(f"{path}: both {present[0]!r} and {present[1]!r} columns give the {what}; keep one")
    if not present:
        if not required:
            return None
        raise SmokeCaseFileError(
            f"{path}: missing column {choices[0]!r} (also accepted: "
            f"{', '.join(repr(c) for c in choices[1:])}){also}; columns are {column_list(columns)}"
        )
    return present[0]


def load_smoke_cases(path: str | os.PathLike[str]) -> list[AnyCase]:
    """Read smoke cases from a .csv, .jsonl or .parquet file, in file order.

    A file with a text column whose labels are all binary gives
    :class:`SmokeCase` objects (as it always has); any other file gives
    :class:`SmokeRow` objects, to be checked against the model with
    :func:`check_cases`.
    """
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise SmokeCaseFileError(f"{path}: unknown extension {path.suffix or '(none)'!r}; use .csv, .jsonl or .parquet")
    if not path.is_file():
        raise SmokeCaseFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SmokeCaseFileError(f"{path}: empty file (no cases)")
    try:
        columns, rows = reader(path)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise SmokeCaseFileError(f"{path}: cannot be parsed ({exc})") from None
    if not rows and not any(columns):  # only blank lines
        raise SmokeCaseFileError(f"{path}: empty file (no cases)")
    text_col = _pick_column(columns, TEXT_COLUMNS, path, "text", required=False)
    ranges = {c.lower(): c for c in columns if c.lower() in RANGE_COLUMNS}
    also = "" if text_col is not None else ", or 'min'/'max' for a regression model"
    label_col = _pick_column(columns, LABEL_COLUMNS, path, "expected label", required=not ranges, also=also)
    if not rows:
        raise SmokeCaseFileError(f"{path}: empty file (a header but no cases)")
    names = [c for choice in NAME_COLUMNS for c in columns if c.lower() == choice]
    name_col = names[0] if names else None

    texts_only = (
        text_col is not None
        and label_col is not None
        and not ranges
        and all(_binary_value(row.get(label_col)) is not None for _, row in rows)
    )
    parsed = []
    for where, row in rows:
        name = _parse_name(row.get(name_col) if name_col else None, path, where, name_col or "name")
        if texts_only:
            parsed.append((where, name, _text_case(row, path, where, text_col, label_col)))  # type: ignore[arg-type]
        else:
            parsed.append((where, name, _row_fields(row, path, where, text_col, label_col, ranges)))
    named = _unique_names(
        parsed,
        path,
        name_col or "name",
        derive=lambda where, fields: _slug(fields["text"]) if fields.get("text") else _slug(where),
    )

    cases: list[AnyCase] = []
    for (where, _, fields), name in zip(parsed, named):
        source = file_place(path, where)
        if texts_only:
            cases.append(SmokeCase(name=name, source=source, **fields))
        else:
            cases.append(SmokeRow(name=name, source=source, **fields))
    return cases


def _parse_name(name: Any, path: Path, where: str, column: str) -> str | None:
    if not is_missing(name) and (isinstance(name, bool) or not isinstance(name, (str, int, float))):
        raise SmokeCaseFileError(f"{file_place(path, where, column)}: name must be a string, got {short(name)}")
    return None if is_missing(name) else str(name).strip()


def _text_case(row: dict[str, Any], path: Path, where: str, text_col: str, label_col: str) -> dict[str, Any]:
    """A binary text case's fields, as the text files have always been read."""
    if text_col not in row:  # only JSONL rows can lack a key
        raise SmokeCaseFileError(f"{file_place(path, where)}: missing {text_col!r}")
    if label_col not in row:
        raise SmokeCaseFileError(f"{file_place(path, where)}: missing {label_col!r}")
    text = row[text_col]
    if not isinstance(text, str) and not is_missing(text):
        raise SmokeCaseFileError(f"{file_place(path, where, text_col)}: text must be a string, got {short(text)}")
    if is_missing(text):
        raise SmokeCaseFileError(f"{file_place(path, where, text_col)}: empty text")
    threshold = _row_value(row, "threshold")
    return {
        "text": text,
        "expected": _parse_label(row[label_col], path, where, label_col),
        "label": row[label_col],
        "threshold": 0.5 if is_missing(threshold) else _parse_threshold(threshold, path, where),
        "values": tuple(row.items()),
    }


def _row_value(row: dict[str, Any], reserved: str) -> Any:
    """The value of a reserved column, whatever the case of its name."""
    if reserved in row:
        return row[reserved]
    return next((v for k, v in row.items() if k.lower() == reserved), None)


def _row_fields(
    row: dict[str, Any], path: Path, where: str, text_col: str | None, label_col: str | None, ranges: dict[str, str]
) -> dict[str, Any]:
    """A general row's fields: its values, its expectation, checked for what a file alone can tell."""
    text = row.get(text_col) if text_col else None
    if is_missing(text):
        text = None
    elif not isinstance(text, str):
        raise SmokeCaseFileError(f"{file_place(path, where, text_col)}: text must be a string, got {short(text)}")
    expected = row.get(label_col) if label_col else None
    if is_missing(expected):
        expected = None
    elif isinstance(expected, str):
        expected = expected.strip()
    elif isinstance(expected, bool) or not isinstance(expected, (numbers.Real, str)):
        raise SmokeCaseFileError(
            f"{file_place(path, where, label_col)}: expected must be a class label or a number, got {short(expected)}"
        )
    bounds: dict[str, float | None] = {}
    for key, field_name in (("tolerance", "tolerance"), ("min", "minimum"), ("max", "maximum")):
        raw = row.get(ranges[key]) if key in ranges else None
        bounds[field_name] = None if is_missing(raw) else _parse_number(raw, path, where, ranges[key], key)
    if bounds["tolerance"] is not None and bounds["tolerance"] < 0:
        raise SmokeCaseFileError(
            f"{file_place(path, where, ranges['tolerance'])}: tolerance {short(row[ranges['tolerance']])} is negative"
        )
    low, high = bounds["minimum"], bounds["maximum"]
    if low is not None and high is not None and low > high:
        raise SmokeCaseFileError(f"{file_place(path, where)}: min {low:g} is above max {high:g}")
    if expected is None:
        if bounds["tolerance"] is not None:
            raise SmokeCaseFileError(
                f"{file_place(path, where, ranges['tolerance'])}: tolerance needs an 'expected' value"
            )
        if low is None and high is None:
            what = label_col or "expected"
            raise SmokeCaseFileError(
                f"{file_place(path, where)}: no {what!r} value (nor 'min'/'max'): nothing to check"
            )
    threshold = _row_value(row, "threshold")
    return {
        "text": text,
        "expected": expected,
        "threshold": None if is_missing(threshold) else _parse_threshold(threshold, path, where),
        "values": tuple(row.items()),
        **bounds,
    }


def _unique_names(parsed: list[tuple[str, str | None, Any]], path: Path, column: str, derive: Any) -> list[str]:
    """Explicit names must be unique; derived names then avoid every explicit one.

    A derived name is its slug, else slug-2, slug-3, ...: the first one not taken. Names
    are only ever added, so the next suffix to try is kept per slug (linear, not quadratic).
    """
    seen: dict[str, str] = {}
    for where, name, _ in parsed:
        if name is None:
            continue
        if name in seen:
            raise SmokeCaseFileError(
                f"{file_place(path, where, column)}: duplicate name {short(name)} (first at {seen[name]})"
            )
        seen[name] = where
    next_suffix: dict[str, int] = {}
    names = []
    for where, name, fields in parsed:
        if name is None:
            base = derive(where, fields)
            name = base
            if name in seen:
                k = next_suffix.get(base, 2)
                while (name := f"{base}-{k}") in seen:
                    k += 1
                next_suffix[base] = k + 1
            seen[name] = where
        names.append(name)
    return names
