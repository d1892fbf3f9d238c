"""Smoke cases: inputs with an obvious answer that any usable model must get right.

Cases live in a ``.csv``, ``.jsonl`` or ``.parquet`` file, one case a row.

* **Texts** (a text model, binary): the columns ``text`` (or ``review``),
  ``expected`` (or ``label``/``labels``; 0/1 or "positive"/"negative"), and
  optionally ``name`` and ``threshold``. Other columns (notes, sources) are
  ignored. Each row becomes a :class:`SmokeCase`.
* **Rows** (a model over feature columns, and any task): the model's feature
  columns plus what it must give the row, each row a :class:`SmokeRow`:

  - classification: ``expected``, a class label: 0/1 (or positive/negative)
    for binary, or any class value for multiclass, matched to the model's
    classes by value (``"2"`` read from a CSV matches the class ``2``);
    optional ``threshold`` (binary: the score must be above it for 1, below
    it for 0; multiclass: the expected class must be the predicted one and
    its probability above the threshold);
  - regression: ``expected`` with ``tolerance`` (the value must be within
    ``expected ± tolerance``), or ``min`` and/or ``max`` (inclusive bounds;
    no ``expected`` needed then).

  An optional ``name`` (or ``id``) column names the case; without one a case
  is named after its place in the file (``line-3``, ``row-2``). Columns the
  model does not take are ignored. A text file whose labels are not all 0/1
  (a multiclass text model) is read as rows too, each with its text.

Column names are matched case-insensitively for the reserved columns above and
exactly for feature columns (a unique case-insensitive match is accepted).
Every problem with a file raises :class:`SmokeCaseFileError` with one line
naming the file and, where it applies, the line/row and column. Whether the
cases fit the model (its task, its feature columns, its classes) is known
only once the model is scored: :func:`check_cases` says so with a one-line
:class:`~modelgate.errors.GateUsageError`, and :func:`smoke_inputs` gives the
one batch (texts, or a DataFrame of the feature columns) that scores them all.
"""

from __future__ import annotations

import csv
import json
import math
import numbers
import os
import re
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import GateUsageError
from .evidence.classes import LABEL_WORDS, binary_index, match_class, plain, standard_positive
from .evidence.classes import as_number as _as_number
from .names import BINARY, MULTICLASS, REGRESSION

if TYPE_CHECKING:
    from .evidence.evaluation import Evaluation

__all__ = [
    "AnyCase", "Judgement", "SmokeCase", "SmokeCaseFileError", "SmokeRow", "check_cases", "conform_values", "judge",
    "load_smoke_cases", "match_class", "smoke_inputs",
]

_TEXT_COLUMNS = ("text", "review")
_LABEL_COLUMNS = ("expected", "label", "labels")
_NAME_COLUMNS = ("name", "id")  # the first present names the case
_RANGE_COLUMNS = ("tolerance", "min", "max")
_SLUG_WORDS = 3
_REPR = reprlib.Repr()  # values echoed in messages: bounded depth and length
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, 40, 40


class SmokeCaseFileError(ValueError):
    """A smoke-case file that cannot be loaded; the message names the file and place."""


@dataclass(frozen=True)
class SmokeCase:
    """One text and the label a binary model must give it.

    ``passes`` is strict on both sides: a score exactly equal to ``threshold``
    fails whether the case expects 1 or 0, because it shows no preference.
    ``values`` (the file's row, for a model over feature columns that include
    a ``text``/``review`` column) and ``source`` (where the case is) are not
    part of its identity.
    """

    text: str
    expected: int  # 1 positive, 0 negative
    name: str
    threshold: float = 0.5
    values: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False)
    source: str = field(default="", compare=False, repr=False)
    # the label as the file wrote it ("1", "neg"): matched to a binary model's classes by value,
    # so "1" is class 1 of a 1/2 coding (the negative one), not "positive"
    label: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.expected not in (0, 1) or isinstance(self.expected, float):
            raise ValueError(f"expected must be 0 or 1, got {self.expected!r}")
        if not (0.0 < self.threshold < 1.0):
            raise ValueError(f"threshold must be inside (0, 1), got {self.threshold!r}")
        if isinstance(self.values, Mapping):
            object.__setattr__(self, "values", tuple(self.values.items()))

    def passes(self, score: float) -> bool:
        """Expected 1: ``score > threshold``; expected 0: ``score < threshold``."""
        if self.expected == 1:
            return score > self.threshold
        return score < self.threshold

    def failure_message(self, score: float) -> str:
        """One line: name, expected label, score against the threshold, and the text."""
        return _binary_failure(self.name, self.expected, "", score, self.threshold) + f"; text: {_one_line(self.text)!r}"


@dataclass(frozen=True)
class SmokeRow:
    """One row of feature values (or a text) and what the model must give it, for any task.

    ``values`` maps column names to values (a dict is accepted and kept as
    pairs); ``expected`` is a class value (classification) or a number
    (regression, with ``tolerance``); ``minimum``/``maximum`` bound a
    regression value instead (inclusive). Whether it fits a model is checked
    against the evidence (:func:`check_cases`), since a file is read before
    the model's task is known.
    """

    name: str
    expected: Any = None
    values: tuple[tuple[str, Any], ...] = ()
    text: str | None = None
    threshold: float | None = None
    tolerance: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    source: str = field(default="", compare=False)  # "cases.csv, line 3"

    def __post_init__(self) -> None:
        if isinstance(self.values, Mapping):
            object.__setattr__(self, "values", tuple(self.values.items()))
        else:
            object.__setattr__(self, "values", tuple((str(k), v) for k, v in self.values))
        if self.threshold is not None and not (0.0 < self.threshold < 1.0):
            raise ValueError(f"threshold must be inside (0, 1), got {self.threshold!r}")
        for key in ("tolerance", "minimum", "maximum"):
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)):
                raise ValueError(f"{key} must be a finite number, got {value!r}")
        if self.tolerance is not None and self.tolerance < 0:
            raise ValueError(f"tolerance must be >= 0, got {self.tolerance!r}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum!r} is above maximum {self.maximum!r}")
        if _is_missing(self.expected) and self.minimum is None and self.maximum is None:
            raise ValueError("a smoke row needs expected, or minimum and/or maximum")
        if self.tolerance is not None and _is_missing(self.expected):
            raise ValueError("tolerance needs an expected value")

    @property
    def row(self) -> dict[str, Any]:
        """The row's values by column."""
        return dict(self.values)

    @property
    def where(self) -> str:
        return f"smoke case {self.name!r}" + (f" ({self.source})" if self.source else "")


AnyCase = SmokeCase | SmokeRow


def _short(value: Any, width: int = 40) -> str:
    """A value for a one-line message: its repr on one line, at most ``width`` chars."""
    value = plain(value)
    text = repr(value[: width + 1]) if isinstance(value, str) else _REPR.repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _column_list(columns: Sequence[str], limit: int = 8) -> str:
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
    label = _binary_value(value)
    if label is None:
        raise SmokeCaseFileError(
            f"{_place(path, where, column)}: bad label {_short(value)}; use 0/1 or positive/negative"
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
        raise SmokeCaseFileError(f"{_place(path, where, column)}: {what} {_short(value)} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SmokeCaseFileError(f"{_place(path, where, column)}: {what} {_short(value)} is not a number") from None
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise SmokeCaseFileError(f"{_place(path, where, column)}: {what} {_short(value)} is not a finite number")
    return number


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


def _pick_column(
    columns: list[str], choices: tuple[str, ...], path: Path, what: str, required: bool = True, also: str = ""
) -> str | None:
    """The one column (its name as written) among ``choices``, matched case-insensitively."""
    present = [c for c in columns if c.lower() in choices]
    if len(present) > 1:
        raise SmokeCaseFileError(
            f"{path}: both {present[0]!r} and {present[1]!r} columns give the {what}; keep one"
        )
    if not present:
        if not required:
            return None
        raise SmokeCaseFileError(
            f"{path}: missing column {choices[0]!r} (also accepted: "
            f"{', '.join(repr(c) for c in choices[1:])}){also}; columns are {_column_list(columns)}"
        )
    return present[0]


def _refuse_doubled(columns: Sequence[str], place: str) -> None:
    """Two columns (keys) of one name would give a case two values for it: refuse, naming it."""
    seen: set[str] = set()
    for column in columns:
        if column and column in seen:
            raise SmokeCaseFileError(
                f"{place}: column {_short(column)} is written twice; keep one (a case takes one value a column)"
            )
        seen.add(column)


def _object_once(place: str) -> Any:
    """A json ``object_pairs_hook`` that refuses a key written twice in one object."""

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        _refuse_doubled([key for key, _ in pairs], place)
        return dict(pairs)

    return build


def _read_csv(path: Path) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                raise SmokeCaseFileError(f"{path}: empty file (no header, no cases)")
            columns = [h.strip() for h in header]
            _refuse_doubled(columns, f"{path}, line 1")
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
                obj = json.loads(line, object_pairs_hook=_object_once(f"{path}, {where}"))
            except SmokeCaseFileError:  # a key written twice (the hook): already one line
                raise
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
            _refuse_doubled([str(k).strip() for k in obj], f"{path}, {where}")
            obj = {str(k).strip(): v for k, v in obj.items()}
            columns.update(dict.fromkeys(obj))
            rows.append((where, obj))
    return list(columns), rows


def _read_parquet(path: Path) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise SmokeCaseFileError(f"{path}: not a readable parquet file ({exc})") from None
    columns = [c.strip() for c in table.column_names]
    _refuse_doubled(columns, str(path))
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


def load_smoke_cases(path: str | os.PathLike[str]) -> list[AnyCase]:
    """Read smoke cases from a .csv, .jsonl or .parquet file, in file order.

    A file with a text column whose labels are all binary gives
    :class:`SmokeCase` objects (as it always has); any other file gives
    :class:`SmokeRow` objects, to be checked against the model with
    :func:`check_cases`.
    """
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
    text_col = _pick_column(columns, _TEXT_COLUMNS, path, "text", required=False)
    ranges = {c.lower(): c for c in columns if c.lower() in _RANGE_COLUMNS}
    also = "" if text_col is not None else ", or 'min'/'max' for a regression model"
    label_col = _pick_column(columns, _LABEL_COLUMNS, path, "expected label", required=not ranges, also=also)
    if not rows:
        raise SmokeCaseFileError(f"{path}: empty file (a header but no cases)")
    names = [c for choice in _NAME_COLUMNS for c in columns if c.lower() == choice]
    name_col = names[0] if names else None

    texts_only = (
        text_col is not None and label_col is not None and not ranges
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
        parsed, path, name_col or "name", derive=lambda where, fields: _slug(fields["text"]) if fields.get("text") else _slug(where)
    )

    cases: list[AnyCase] = []
    for (where, _, fields), name in zip(parsed, named):
        source = _place(path, where)
        if texts_only:
            cases.append(SmokeCase(name=name, source=source, **fields))
        else:
            cases.append(SmokeRow(name=name, source=source, **fields))
    return cases


def _parse_name(name: Any, path: Path, where: str, column: str) -> str | None:
    if not _is_missing(name) and (isinstance(name, bool) or not isinstance(name, (str, int, float))):
        raise SmokeCaseFileError(
            f"{_place(path, where, column)}: name must be a string, got {_short(name)}"
        )
    return None if _is_missing(name) else str(name).strip()


def _text_case(row: dict[str, Any], path: Path, where: str, text_col: str, label_col: str) -> dict[str, Any]:
    """A binary text case's fields, as the text files have always been read."""
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
    threshold = _row_value(row, "threshold")
    return {
        "text": text,
        "expected": _parse_label(row[label_col], path, where, label_col),
        "label": row[label_col],
        "threshold": 0.5 if _is_missing(threshold) else _parse_threshold(threshold, path, where),
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
    if _is_missing(text):
        text = None
    elif not isinstance(text, str):
        raise SmokeCaseFileError(f"{_place(path, where, text_col)}: text must be a string, got {_short(text)}")
    expected = row.get(label_col) if label_col else None
    if _is_missing(expected):
        expected = None
    elif isinstance(expected, str):
        expected = expected.strip()
    elif isinstance(expected, bool) or not isinstance(expected, (numbers.Real, str)):
        raise SmokeCaseFileError(
            f"{_place(path, where, label_col)}: expected must be a class label or a number, got {_short(expected)}"
        )
    bounds: dict[str, float | None] = {}
    for key, field_name in (("tolerance", "tolerance"), ("min", "minimum"), ("max", "maximum")):
        raw = row.get(ranges[key]) if key in ranges else None
        bounds[field_name] = None if _is_missing(raw) else _parse_number(raw, path, where, ranges[key], key)
    if bounds["tolerance"] is not None and bounds["tolerance"] < 0:
        raise SmokeCaseFileError(f"{_place(path, where, ranges['tolerance'])}: tolerance {_short(row[ranges['tolerance']])} is negative")
    low, high = bounds["minimum"], bounds["maximum"]
    if low is not None and high is not None and low > high:
        raise SmokeCaseFileError(f"{_place(path, where)}: min {low:g} is above max {high:g}")
    if expected is None:
        if bounds["tolerance"] is not None:
            raise SmokeCaseFileError(f"{_place(path, where, ranges['tolerance'])}: tolerance needs an 'expected' value")
        if low is None and high is None:
            what = label_col or "expected"
            raise SmokeCaseFileError(f"{_place(path, where)}: no {what!r} value (nor 'min'/'max'): nothing to check")
    threshold = _row_value(row, "threshold")
    return {
        "text": text,
        "expected": expected,
        "threshold": None if _is_missing(threshold) else _parse_threshold(threshold, path, where),
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
                f"{_place(path, where, column)}: duplicate name {_short(name)} "
                f"(first at {seen[name]})"
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


# -- fitting cases to a model --------------------------------------------------------
def _binary_expected(case: AnyCase, expected: Any, classes: Sequence[Any]) -> int:
    index = binary_index(expected, classes)
    if index is None:
        if len(classes) == 2 and standard_positive(classes) is None:
            use = f"a class ({_classes_list(classes)}) or positive/negative"
        else:
            use = "0/1 or positive/negative" + (f" or a class ({_classes_list(classes)})" if len(classes) == 2 else "")
        raise GateUsageError(f"{_where(case)}: bad label {_short(expected)} for a binary model; use {use}")
    return index


def _where(case: AnyCase) -> str:
    return f"smoke case {case.name!r}" + (f" ({case.source})" if case.source else "")


def _classes_list(classes: Sequence[Any], limit: int = 10) -> str:
    shown = ", ".join(_short(c, 30) for c in list(classes)[:limit])
    return shown + (f", ... ({len(classes)} classes)" if len(classes) > limit else "")


@dataclass(frozen=True)
class _Expectation:
    kind: str  # BINARY (a score on one side of a threshold), MULTICLASS (a predicted class), REGRESSION (a range)
    index: int = 0  # the expected label (binary) or class column (multiclass)
    threshold: float | None = None
    low: float = -math.inf
    high: float = math.inf
    expected: float | None = None
    tolerance: float | None = None


def _task(evidence: Evaluation | None) -> str:
    return BINARY if evidence is None else evidence.task


def _expectation(case: AnyCase, evidence: Evaluation | None) -> _Expectation:
    """What ``case`` asks of the model of ``evidence``; a one-line GateUsageError when it does not fit."""
    task = _task(evidence)
    classes = tuple(evidence.classes) if evidence is not None else ()
    where = _where(case)
    if isinstance(case, SmokeCase):
        if task == BINARY:  # built in code (no label from a file): expected is 1 positive, 0 negative
            side = case.expected if case.label is None else _binary_expected(case, case.label, classes)
            return _Expectation(BINARY, side, case.threshold)
        if task == MULTICLASS:
            index = match_class(case.expected, classes)
            if index is None:
                raise GateUsageError(
                    f"{where}: expected {_short(case.expected)} is not a class of the model (classes: {_classes_list(classes)})"
                )
            return _Expectation(MULTICLASS, index, None if case.threshold == 0.5 else case.threshold)
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
            return _Expectation(BINARY, side, 0.5 if case.threshold is None else case.threshold)
        index = match_class(case.expected, classes)
        if index is None:
            raise GateUsageError(
                f"{where}: expected {_short(case.expected)} is not a class of the model (classes: {_classes_list(classes)})"
            )
        return _Expectation(MULTICLASS, index, case.threshold)
    if task != REGRESSION:
        raise GateUsageError(f"{where}: unknown task {task!r}")
    if case.threshold is not None:
        raise GateUsageError(f"{where}: threshold is for classification cases, but the model is a regression model")
    if case.expected is None:
        return _Expectation(
            REGRESSION,
            low=-math.inf if case.minimum is None else case.minimum,
            high=math.inf if case.maximum is None else case.maximum,
        )
    if ranged:
        raise GateUsageError(f"{where}: give 'expected' with 'tolerance', or 'min'/'max', not both")
    value = _as_number(case.expected)
    if value is None or not math.isfinite(value):
        raise GateUsageError(f"{where}: expected {_short(case.expected)} is not a number (the model is a regression model)")
    if case.tolerance is None:
        raise GateUsageError(
            f"{where}: expected {value:g} needs a 'tolerance' (a regression value is never exact), or use 'min'/'max'"
        )
    return _Expectation(
        REGRESSION, low=value - case.tolerance, high=value + case.tolerance, expected=value, tolerance=case.tolerance
    )


def _text_of(case: AnyCase) -> str:
    if case.text is None:
        columns = [k for k, _ in case.values]
        raise GateUsageError(
            f"{_where(case)}: no text (column 'text' or 'review'), which a text model needs; "
            f"the case has columns {_column_list(columns)}"
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
                f"{_where(case)}: a text case, but the model takes feature columns ({_column_list(columns)}): "
                "write the feature columns and 'expected'"
            )
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise GateUsageError(
            f"{_where(case)}: no value for the feature column {missing[0]!r}{more}; the model's columns are "
            f"{_column_list(columns)}"
        )
    # A feature named like a smoke-case key: the file's column of that name would be read as both.
    reserved = {k.casefold() for k in (*_LABEL_COLUMNS, *_RANGE_COLUMNS, "threshold")}
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
        if _is_missing(value) and not reference.isna().any():
            raise GateUsageError(
                f"{_where(case)}: the feature column {column!r} is empty; the validation data has no "
                "missing values in it, so the model need not accept one: give a value"
            )
        # "nan" and "inf" written out reach a numeric column as NaN and inf: the same rule as a blank.
        number = _as_number(value) if _is_numeric_column(reference) else None
        if number is not None and not math.isfinite(number):
            seen = reference.isna().any() if math.isnan(number) else bool((reference == number).any())
            if not seen:
                raise GateUsageError(
                    f"{_where(case)}: the feature column {column!r} holds {_short(value)}; the validation "
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
        _expectation(case, evidence)
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

    cleaned = [None if _is_missing(v) else v for v in values]
    if isinstance(dtype, pd.CategoricalDtype):
        categories = list(dtype.categories)
        picked = []
        for i, v in enumerate(cleaned):
            j = None if v is None else match_class(v, categories)
            if v is not None and j is None:
                raise GateUsageError(
                    f"{describe(i)}: {_short(v)} is not one of the column's categories ({_classes_list(categories)})"
                )
            picked.append(None if j is None else categories[j])
        return pd.Categorical(picked, dtype=dtype)
    if pdt.is_bool_dtype(dtype):
        flags = []
        for i, v in enumerate(cleaned):
            flag = _flag(v)
            if flag is None:
                raise GateUsageError(f"{describe(i)}: {_short(v)} is not true/false (the column holds booleans)")
            flags.append(flag)
        return np.array(flags, dtype=bool)
    if pdt.is_numeric_dtype(dtype):
        numbers_ = []
        for i, v in enumerate(cleaned):
            number = math.nan if v is None else _as_number(v)
            if number is None:
                raise GateUsageError(f"{describe(i)}: {_short(v)} is not a number (the column is {dtype})")
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
            raise GateUsageError(f"{describe(0)}: not a date ({_short(str(exc), 80)})") from None
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


# -- judging one case ----------------------------------------------------------------
@dataclass(frozen=True)
class Judgement:
    """What one smoke case's output came to: passed, a message, the value compared and its threshold."""

    passed: bool
    message: str
    value: float
    threshold: float | None


def _shown(score: float, threshold: float) -> str:
    shown = f"{score:.4f}"
    if float(shown) == threshold and score != threshold:
        shown = repr(float(score))  # rounding would hide which side it is on
    return shown


def _binary_failure(name: str, expected: int, label: str, score: float, threshold: float) -> str:
    label = label or ("positive (1)" if expected == 1 else "negative (0)")
    op = ">" if expected == 1 else "<"
    return (
        f"smoke {name}: expected {label}, needs score {op} {threshold:g}, "
        f"got {_shown(score, threshold)}"
    )


def _case_suffix(case: AnyCase, evidence: Evaluation | None) -> str:
    """The text of a text model's case, else where the case is in its file."""
    if case.text is not None and (evidence is None or evidence.features is None):
        return f"; text: {_one_line(case.text)!r}"
    return f"; case at {case.source}" if case.source else ""


def judge(case: AnyCase, output: Any, evidence: Evaluation | None = None) -> Judgement:
    """Judge the model's output for one case (a score, a row of class probabilities, a
    value) against what the case expects; ``evidence`` gives the task and classes
    (None: a binary model)."""
    import numpy as np

    expect = _expectation(case, evidence)
    name = case.name
    if expect.kind == BINARY:
        score = float(np.asarray(output, dtype=float).reshape(-1)[0])
        threshold = 0.5 if expect.threshold is None else expect.threshold
        passed = score > threshold if expect.index == 1 else score < threshold
        if passed:
            return Judgement(True, f"smoke {name}: score {score:.3f} is on the expected side of {threshold}", score, threshold)
        classes = tuple(plain(c) for c in evidence.classes) if evidence is not None else ()
        label = f"{classes[expect.index]!r} ({expect.index})" if len(classes) == 2 and set(classes) != {0, 1} else ""
        message = _binary_failure(name, expect.index, label, score, threshold) + _case_suffix(case, evidence)
        return Judgement(False, message, score, threshold)
    if expect.kind == MULTICLASS:
        assert evidence is not None
        classes = tuple(plain(c) for c in evidence.classes)
        probs = np.asarray(output, dtype=float).reshape(-1)
        p = float(probs[expect.index])
        others = np.delete(probs, expect.index)
        rival = int(np.argmax(others)) if len(others) else -1
        rival_index = rival + (rival >= expect.index)
        rival_p = float(others[rival]) if len(others) else -math.inf
        wanted = classes[expect.index]
        if not p > rival_p:
            message = (
                f"smoke {name}: expected class {wanted!r}, got class {classes[rival_index]!r} "
                f"(p={rival_p:.4f}); {wanted!r} has p={p:.4f}"
            )
            return Judgement(False, message + _case_suffix(case, evidence), p, expect.threshold)
        if expect.threshold is not None and not p > expect.threshold:
            message = (
                f"smoke {name}: expected class {wanted!r} with p > {expect.threshold:g}, got p="
                f"{_shown(p, expect.threshold)} (it is the predicted class)"
            )
            return Judgement(False, message + _case_suffix(case, evidence), p, expect.threshold)
        return Judgement(True, f"smoke {name}: predicted class {wanted!r} with p={p:.3f}", p, expect.threshold)
    value = float(np.asarray(output, dtype=float).reshape(-1)[0])
    low, high = expect.low, expect.high
    if expect.expected is not None:
        wanted_range = f"within {expect.expected:.6g} ± {expect.tolerance:.6g} ([{low:.6g}, {high:.6g}])"
    elif math.isinf(high):
        wanted_range = f">= {low:.6g}"
    elif math.isinf(low):
        wanted_range = f"<= {high:.6g}"
    else:
        wanted_range = f"in [{low:.6g}, {high:.6g}]"
    if low <= value <= high:
        return Judgement(True, f"smoke {name}: value {value:.6g} is {wanted_range}", value, None)
    off = f"{value - high:.4g} above" if value > high else f"{low - value:.4g} below" if value < low else "not a number"
    message = f"smoke {name}: expected a value {wanted_range}, got {value:.6g} ({off})"
    return Judgement(False, message + _case_suffix(case, evidence), value, None)
