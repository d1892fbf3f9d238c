"""Smoke cases: short texts with an obvious label that any usable model must get right.

Cases live in a ``.csv``, ``.jsonl`` or ``.parquet`` file with the columns
``text`` (or ``review``), ``expected`` (or ``label``/``labels``; 0/1 or
"positive"/"negative"), and optionally ``name`` and ``threshold``. Other
columns (notes, sources) are ignored. Every problem with a file raises
:class:`SmokeCaseFileError` with one line naming the file and, where it
applies, the line/row and column.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SmokeCase", "SmokeCaseFileError", "load_smoke_cases"]

_TEXT_COLUMNS = ("text", "review")
_LABEL_COLUMNS = ("expected", "label", "labels")
_LABEL_WORDS = {"positive": 1, "negative": 0, "pos": 1, "neg": 0}
_SLUG_WORDS = 3
_REPR = reprlib.Repr()  # values echoed in messages: bounded depth and length
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, 40, 40


class SmokeCaseFileError(ValueError):
    """A smoke-case file that cannot be loaded; the message names the file and place."""


@dataclass(frozen=True)
class SmokeCase:
    """One text and the label a model must give it.

    ``passes`` is strict on both sides: a score exactly equal to ``threshold``
    fails whether the case expects 1 or 0, because it shows no preference.
    """

    text: str
    expected: int  # 1 positive, 0 negative
    name: str
    threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.expected not in (0, 1) or isinstance(self.expected, float):
            raise ValueError(f"expected must be 0 or 1, got {self.expected!r}")
        if not (0.0 < self.threshold < 1.0):
            raise ValueError(f"threshold must be inside (0, 1), got {self.threshold!r}")

    def passes(self, score: float) -> bool:
        """Expected 1: ``score > threshold``; expected 0: ``score < threshold``."""
        if self.expected == 1:
            return score > self.threshold
        return score < self.threshold

    def failure_message(self, score: float) -> str:
        """One line: name, expected label, score against the threshold, and the text."""
        label = "positive (1)" if self.expected == 1 else "negative (0)"
        op = ">" if self.expected == 1 else "<"
        shown = f"{score:.4f}"
        if float(shown) == self.threshold and score != self.threshold:
            shown = repr(float(score))  # rounding would hide which side it is on
        text = " ".join(self.text.split())
        if len(text) > 120:
            text = text[:117] + "..."
        return (
            f"smoke {self.name}: expected {label}, needs score {op} {self.threshold:g}, "
            f"got {shown}; text: {text!r}"
        )


def _short(value: Any, width: int = 40) -> str:
    """A value for a one-line message: its repr on one line, at most ``width`` chars."""
    text = repr(value[: width + 1]) if isinstance(value, str) else _REPR.repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _column_list(columns: list[str], limit: int = 8) -> str:
    shown = ", ".join(_short(c, 30) for c in columns[:limit])
    return f"[{shown}]" if len(columns) <= limit else f"[{shown}, ...] ({len(columns)} columns)"


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words[:_SLUG_WORDS]) or "case"


def _place(path: Path, where: str | None, column: str | None = None) -> str:
    parts = [str(path)]
    if where:
        parts.append(where)
    if column:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _parse_label(value: Any, path: Path, where: str, column: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("0", "1"):
            return int(word)
        if word in _LABEL_WORDS:
            return _LABEL_WORDS[word]
    raise SmokeCaseFileError(
        f"{_place(path, where, column)}: bad label {_short(value)}; use 0/1 or positive/negative"
    )


def _parse_threshold(value: Any, path: Path, where: str) -> float:
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        raise SmokeCaseFileError(
            f"{_place(path, where, 'threshold')}: threshold {_short(value)} is not a number"
        ) from None
    except OverflowError:  # an integer too large for a float
        threshold = math.inf
    if not (0.0 < threshold < 1.0):  # NaN fails this too
        raise SmokeCaseFileError(
            f"{_place(path, where, 'threshold')}: threshold {_short(value)} is outside (0, 1)"
        )
    return threshold


def _pick_column(columns: list[str], choices: tuple[str, ...], path: Path, what: str) -> str:
    present = [c for c in choices if c in columns]
    if len(present) > 1:
        raise SmokeCaseFileError(
            f"{path}: both {present[0]!r} and {present[1]!r} columns give the {what}; keep one"
        )
    if not present:
        raise SmokeCaseFileError(
            f"{path}: missing column {choices[0]!r} (also accepted: "
            f"{', '.join(repr(c) for c in choices[1:])}); columns are {_column_list(columns)}"
        )
    return present[0]


def _read_csv(path: Path) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                raise SmokeCaseFileError(f"{path}: empty file (no header, no cases)")
            columns = [h.strip().lower() for h in header]
            rows = []
            for values in reader:
                if not any(v.strip() for v in values):
                    continue  # blank line
                where = f"line {reader.line_num}"
                if len(values) > len(columns):
                    raise SmokeCaseFileError(
                        f"{path}, {where}: {len(values)} fields but the header has {len(columns)}"
                    )
                rows.append((where, dict(zip(columns, values))))
        except csv.Error as exc:
            why = str(exc)
            if "field limit" in why:
                why = f"a field is longer than the CSV field limit ({csv.field_size_limit()} characters)"
            else:
                why = f"cannot be parsed ({_short(why, 120)})"
            raise SmokeCaseFileError(f"{path}, line {reader.line_num}: {why}") from None
    return columns, rows


def _read_jsonl(path: Path) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    columns: dict[str, None] = {}
    rows = []
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"line {number}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SmokeCaseFileError(f"{path}, {where}: invalid JSON ({exc.msg})") from None
            except RecursionError:  # e.g. [[[[...]]]] 200,000 deep
                raise SmokeCaseFileError(f"{path}, {where}: invalid JSON (nested too deeply)") from None
            except ValueError as exc:  # e.g. an integer beyond int's digit limit
                why = _short(str(exc).split(":")[0], 80)
                raise SmokeCaseFileError(f"{path}, {where}: invalid JSON ({why})") from None
            if not isinstance(obj, dict):
                raise SmokeCaseFileError(
                    f"{path}, {where}: expected a JSON object, got {type(obj).__name__}"
                )
            obj = {str(k).strip().lower(): v for k, v in obj.items()}
            columns.update(dict.fromkeys(obj))
            rows.append((where, obj))
    return list(columns), rows


def _read_parquet(path: Path) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise SmokeCaseFileError(f"{path}: not a readable parquet file ({exc})") from None
    columns = [c.strip().lower() for c in table.column_names]
    rows = [
        (f"row {i}", dict(zip(columns, record.values())))
        for i, record in enumerate(table.to_pylist(), start=1)
    ]
    return columns, rows


_READERS = {
    ".csv": _read_csv,
    ".jsonl": _read_jsonl,
    ".ndjson": _read_jsonl,
    ".parquet": _read_parquet,
}


def load_smoke_cases(path: str | os.PathLike[str]) -> list[SmokeCase]:
    """Read smoke cases from a .csv, .jsonl or .parquet file, in file order."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise SmokeCaseFileError(
            f"{path}: unknown extension {path.suffix or '(none)'!r}; use .csv, .jsonl or .parquet"
        )
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
    text_col = _pick_column(columns, _TEXT_COLUMNS, path, "text")
    label_col = _pick_column(columns, _LABEL_COLUMNS, path, "expected label")
    if not rows:
        raise SmokeCaseFileError(f"{path}: empty file (a header but no cases)")

    parsed = []
    for where, row in rows:
        if text_col not in row:  # only JSONL rows can lack a key
            raise SmokeCaseFileError(f"{_place(path, where)}: missing {text_col!r}")
        if label_col not in row:
            raise SmokeCaseFileError(f"{_place(path, where)}: missing {label_col!r}")
        text = row[text_col]
        if not isinstance(text, str) and not _is_missing(text):
            raise SmokeCaseFileError(
                f"{_place(path, where, text_col)}: text must be a string, got {_short(text)}"
            )
        if _is_missing(text):
            raise SmokeCaseFileError(f"{_place(path, where, text_col)}: empty text")
        expected = _parse_label(row[label_col], path, where, label_col)
        threshold = row.get("threshold")
        threshold = 0.5 if _is_missing(threshold) else _parse_threshold(threshold, path, where)
        name = row.get("name")
        if not _is_missing(name) and (isinstance(name, bool) or not isinstance(name, (str, int, float))):
            raise SmokeCaseFileError(
                f"{_place(path, where, 'name')}: name must be a string, got {_short(name)}"
            )
        name = None if _is_missing(name) else str(name).strip()
        parsed.append((where, text, expected, name, threshold))

    # Explicit names must be unique; derived names then avoid every explicit one.
    seen: dict[str, str] = {}
    for where, _, _, name, _ in parsed:
        if name is None:
            continue
        if name in seen:
            raise SmokeCaseFileError(
                f"{_place(path, where, 'name')}: duplicate name {_short(name)} "
                f"(first at {seen[name]})"
            )
        seen[name] = where

    # A derived name is its slug, else slug-2, slug-3, ...: the first one not taken. Names
    # are only ever added, so the next suffix to try is kept per slug (linear, not quadratic).
    next_suffix: dict[str, int] = {}
    cases = []
    for where, text, expected, name, threshold in parsed:
        if name is None:
            base = _slug(text)
            name = base
            if name in seen:
                k = next_suffix.get(base, 2)
                while (name := f"{base}-{k}") in seen:
                    k += 1
                next_suffix[base] = k + 1
            seen[name] = where
        cases.append(SmokeCase(text=text, expected=expected, name=name, threshold=threshold))
    return cases
