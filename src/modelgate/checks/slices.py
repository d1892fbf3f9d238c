"""Slices: a configured margin check or floor, judged again on a subset of the rows.

A ``[[tool.modelgate.slices]]`` table names the subsets, by one of:

- ``column = "category"``: one slice per value of that column of the validation
  frame (every value present, or the listed ``values``);
- ``column = "price"`` with ``bins = [0, 20, 50]``: one slice per bin, ``[0, 20)``
  and ``[20, 50]``;
- ``text_length = true``: the built-in length buckets of the text column, in
  words: short (under 20), medium (20 to 59) and long (60 or more).

Each (slice, check) pair is one :class:`SliceCheck`, named
``<slice>::<check name>`` (``length=short::roc_auc-vs-champion-margin+0.02``),
whose result has three outcomes:

- *inconclusive* when the slice has fewer than ``min_rows`` rows, fewer than
  ``min_per_class`` rows of a class (classification), or when the check's
  statistic is undefined on it (``on_inconclusive`` decides);
- *fail* when a listed value is absent from the data, whatever
  ``on_inconclusive`` says: a slice that was asked for is never skipped;
- otherwise the check's own verdict on the slice's rows, with every baseline's
  scores taken from the whole-set scoring (the majority baseline stays the
  class prior of the whole validation set).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import tables
from ..errors import GateUsageError
from ..evidence.evaluation import count_units
from ..names import REGRESSION
from ..verdict import CheckResult
from .outcome import inconclusive_message, inconclusive_passes

if TYPE_CHECKING:
    from ..evidence.evaluation import Evaluation
    from .floors import FloorCheck
    from .margin import MarginCheck

__all__ = ["LENGTH_BUCKETS", "SLICE_KEYS", "Slice", "SliceCheck", "SliceSpec", "parse_slice"]

SLICE_KEYS = frozenset({"column", "text_length", "values", "bins", "checks", "min_rows", "min_per_class", "max_values"})
# The built-in text length buckets, in words (whitespace-separated): [low, high).
LENGTH_BUCKETS = (("short", 0, 20), ("medium", 20, 60), ("long", 60, math.inf))
LENGTH = "length"


@dataclass(frozen=True)
class Slice:
    """One subset of the validation rows: a column's value, a numeric bin or a length bucket."""

    column: str  # "length" for the text length buckets
    value: Any = None  # a column's value
    low: float = -math.inf  # a bin or bucket: low <= x < high (x <= high for a closed last bin)
    high: float = math.inf
    closed: bool = False
    bucket: str = ""  # the length bucket's name

    @property
    def label(self) -> str:
        if self.bucket:
            return f"{LENGTH}={self.bucket}"
        if self.value is not None or (self.low == -math.inf and self.high == math.inf):
            return f"{self.column}={self.value}"
        return f"{self.column}=[{_edge(self.low)}, {_edge(self.high)}{']' if self.closed else ')'}"

    def rows(self, evidence: Evaluation) -> np.ndarray:
        """Indices of the evidence's rows in this slice, in row order."""
        if self.bucket:
            values = np.array([len(text.split()) for text in evidence.texts], dtype=float)
        else:
            values = evidence.column(self.column)
        if self.bucket or self.value is None:
            numbers = _numbers(values)
            inside = (numbers >= self.low) & ((numbers <= self.high) if self.closed else (numbers < self.high))
        else:
            inside = np.array([_same(v, self.value) for v in values], dtype=bool)
        return np.flatnonzero(inside)


def _numbers(values: Any) -> np.ndarray:
    """A column as floats, NaN where a value is missing or not a number."""
    import pandas as pd

    return pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)


def _edge(x: float) -> str:
    """A bin edge as short as it reads back exactly (20, 0.5, 1.0000001)."""
    short = f"{x:g}"
    return short if float(short) == x else repr(float(x))


def _same(cell: Any, value: Any) -> bool:
    """A cell equal to a configured value: numbers by value (1 == 1.0), never a bool for
    a number (True is not 1 here), strings as strings."""
    if isinstance(value, bool) or isinstance(cell, (bool, np.bool_)):
        return isinstance(cell, (bool, np.bool_)) and isinstance(value, bool) and bool(cell) == value
    if isinstance(value, (int, float)) and isinstance(cell, (int, float, np.number)):
        return float(cell) == float(value)
    if isinstance(value, str) or isinstance(cell, str):
        return isinstance(cell, str) and isinstance(value, str) and cell == value
    try:  # dates and other values a column can hold: their own equality (pd.NA is never equal)
        return bool(cell == value)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class SliceSpec:
    """One ``[[tool.modelgate.slices]]`` table: which slices, and which checks on each.

    ``checks``: names of configured margin checks and floors (empty: all of them).
    ``max_values``: the most values a ``column`` without ``values`` or ``bins`` may
    have (a column of ids would make thousands of tiny slices).
    """

    column: str = ""
    text_length: bool = False
    values: tuple[Any, ...] = ()
    bins: tuple[float, ...] = ()
    checks: tuple[str, ...] = ()
    min_rows: int = 30
    min_per_class: int = 5
    max_values: int = 20
    where: str = field(default="[tool.modelgate].slices", compare=False)

    def slices(self, frame: Any, texts: Sequence[Any] | None) -> list[Slice]:
        """The slices this table names on the validation frame (``texts``: what the model
        receives, None for feature columns); GateUsageError for a column the frame lacks,
        bins on a column that is not numeric, or too many values. A length bucket no
        text falls in is left out: it was not asked for."""
        if self.text_length:
            if texts is None:
                raise GateUsageError(
                    f"{self.where}.text_length: the model receives feature columns, not a text column; "
                    "slice by a column with bins instead"
                )
            words = np.array([len(str(t).split()) for t in texts])
            return [
                Slice(LENGTH, low=lo, high=hi, bucket=name)
                for name, lo, hi in LENGTH_BUCKETS
                if np.any((words >= lo) & (words < hi))
            ]
        columns = list(getattr(frame, "columns", []))
        if self.column not in columns:
            shown = ", ".join(map(str, columns[:8])) or "none"
            raise GateUsageError(
                f"{self.where}.column: the validation data has no column {self.column!r} (columns: {shown})"
            )
        if columns.count(self.column) > 1:
            raise GateUsageError(
                f"{self.where}.column: the validation data has {columns.count(self.column)} columns named "
                f"{self.column!r}; keep one (e.g. frame.loc[:, ~frame.columns.duplicated()])"
            )
        values = frame[self.column].to_numpy(dtype=object)
        nested = next((v for v in values if isinstance(v, (list, tuple, set, dict, np.ndarray))), None)
        if nested is not None:
            raise GateUsageError(
                f"{self.where}.column: column {self.column!r} holds {type(nested).__name__}s, not single values; "
                "slice by a column of strings, numbers, booleans or dates"
            )
        if self.bins:
            import pandas as pd

            if np.any(np.isnan(_numbers(values)) & ~pd.isna(values)):
                raise GateUsageError(
                    f"{self.where}.bins: column {self.column!r} is not numeric; slice by its values instead"
                )
            edges = self.bins
            return [
                Slice(self.column, low=lo, high=hi, closed=i == len(edges) - 2)
                for i, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False))
            ]
        if self.values:
            return [Slice(self.column, value=v) for v in self.values]
        present = _distinct(values)
        if len(present) > self.max_values:
            raise GateUsageError(
                f"{self.where}.column: column {self.column!r} has {len(present)} distinct values, more than "
                f"max_values = {self.max_values}; list the ones that matter in values, use bins, "
                "or raise max_values"
            )
        return [Slice(self.column, value=v) for v in present]


def _distinct(values: np.ndarray) -> list[Any]:
    """The distinct values of a column, in a stable order (missing values left out)."""
    import pandas as pd

    seen: dict[Any, None] = {}
    for v in values.tolist():
        if v is None or bool(pd.isna(v)):  # None, NaN, pd.NA, NaT: a missing value is no slice
            continue
        seen.setdefault(v, None)
    try:
        return sorted(seen)
    except TypeError:  # mixed types: by their text
        return sorted(seen, key=lambda v: (type(v).__name__, str(v)))


@dataclass(frozen=True)
class SliceCheck:
    """A margin check or floor, judged on the rows of one slice."""

    check_kind: ClassVar[str] = "slice"

    slice: Slice
    check: MarginCheck | FloorCheck
    min_rows: int = 30
    min_per_class: int = 5
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", f"{self.slice.label}::{self.check.name}")

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        return f"{self.check.describe()}, on the slice {self.slice.label}"

    def prepare(self, evidence: Evaluation) -> None:
        self.check.prepare(evidence)  # a baseline's scores on every row, before the check

    def evaluate(self, evidence: Evaluation) -> CheckResult:
        rows = self.slice.rows(evidence)
        label = self.slice.label
        if len(rows) == 0:
            column = f"the validation data's column {self.slice.column!r}"
            if self.slice.value is not None:
                what = f"the value {self.slice.value!r} is absent from {column}"
            else:
                what = f"no value of {column} falls in the bin"
            return self._result(
                passed=False,
                n=0,
                method="slice absent",
                message=f"slice {label}: FAIL, {what}; a slice that is asked for is never skipped",
            )
        baseline = getattr(self.check, "baseline", None)
        if baseline is not None and baseline in evidence.absent:
            # No such baseline yet (the first deployment): the check's own first-run policy.
            absent = self.check.evaluate(evidence)
            return replace(absent, name=self.name, slice=label, n=len(rows), message=f"slice {label}: {absent.message}")
        subset = evidence.subset(rows)
        thin = self._too_thin(evidence, rows)
        if thin:
            head = f"slice {label}: {self.check.metric} on {len(rows)} rows"
            inner = self._try(subset)
            if inner is not None and _estimate_fails(inner, self.check):
                # Too thin to bound, but the estimate itself is on the wrong side: no bound
                # could clear on these rows, so it fails whatever on_inconclusive says.
                shown = _estimate_text(inner)
                return self._result(
                    passed=False,
                    n=len(rows),
                    message=f"{head}: FAIL, {thin}, and the estimate itself ({shown}) does not clear",
                    method="slice too thin",
                )
            passed = inconclusive_passes(evidence.on_inconclusive)
            return self._result(
                passed=passed,
                n=len(rows),
                message=inconclusive_message(thin, head, passed),
                inconclusive=True,
                reason=thin,
                method="slice too thin",
            )
        result = self.check.evaluate(subset)
        if not result.inconclusive and _undefined(result) and _finite_scores(subset, baseline):
            # A statistic undefined on finite scores is the slice's thinness (one class, a zero
            # baseline for a relative margin), not a defect of the model; a NaN score stays a defect.
            why = f"{self.check.metric} is undefined on this slice" + (f" ({result.reason})" if result.reason else "")
            passed = inconclusive_passes(evidence.on_inconclusive)
            head = f"slice {label}: {self.check.metric} on {len(rows)} rows"
            message = inconclusive_message(why, head, passed)
            result = replace(result, passed=passed, inconclusive=True, reason=why, message=message)
        else:
            result = replace(result, message=f"slice {label}: {result.message}")
        return replace(result, name=self.name, slice=label)

    def _try(self, subset: Evaluation) -> CheckResult | None:
        """The check on a slice too thin for it; None when it cannot even run there."""
        try:
            return self.check.evaluate(subset)
        except (ValueError, ZeroDivisionError, IndexError):
            return None

    def _too_thin(self, evidence: Evaluation, rows: np.ndarray) -> str:
        return too_thin(evidence, rows, self.min_rows, self.min_per_class)
        k = max(len(evidence.classes), 2)
        counts = np.bincount(np.asarray(evidence.labels[rows], dtype=int), minlength=k)
        fewest = int(np.argmin(counts))
        if counts[fewest] < self.min_per_class:
            shown = evidence.classes[fewest] if len(evidence.classes) > fewest else fewest
            return (
                f"the slice has {counts[fewest]} rows of class {shown!r}, fewer than "
                f"min_per_class = {self.min_per_class}"
            )
        return ""

    def _result(
        self, *, passed: bool, n: int, message: str, method: str, inconclusive: bool = False, reason: str = ""
    ) -> CheckResult:
        check = self.check
        return CheckResult(
            name=self.name,
            group=check_group(check),
            passed=passed,
            message=message,
            metric=check.metric,
            baseline=getattr(check, "baseline", None),
            margin=getattr(check, "margin", None) if check.check_kind == "margin" else check.floor,  # type: ignore[union-attr]
            relative=getattr(check, "relative", False),
            confidence=check.confidence,
            method=method,
            n=n,
            inconclusive=inconclusive,
            reason=reason or None,
            slice=self.slice.label,
        )


def too_thin(evidence: Evaluation, rows: np.ndarray, min_rows: int, min_per_class: int, what: str = "the slice") -> str:
    """Why the rows of ``what`` are too few to decide on (fewer than ``min_rows``, or, for
    classification, fewer than ``min_per_class`` of a class); "" when they are enough.
    With groups (``group_column``) it counts groups, not rows: copies of a row in its
    group are no more evidence than the row."""
    unit = "rows" if evidence.groups is None else "groups"

    def count(selected: np.ndarray) -> int:
        return count_units(evidence.groups, selected)

    if count(rows) < min_rows:
        return f"{what} has {count(rows)} {unit}, fewer than min_rows = {min_rows}"
    if evidence.task == REGRESSION or min_per_class <= 0:
        return ""
    labels = np.asarray(evidence.labels[rows], dtype=int)
    counts = [count(rows[labels == k]) for k in range(max(len(evidence.classes), 2))]
    fewest = int(np.argmin(counts))
    if counts[fewest] < min_per_class:
        shown = evidence.classes[fewest] if len(evidence.classes) > fewest else fewest
        return f"{what} has {counts[fewest]} {unit} of class {shown!r}, fewer than min_per_class = {min_per_class}"
    return ""


def check_group(check: Any) -> str:
    from ..names import BASELINE, FLOOR

    return BASELINE if check.check_kind == "margin" else FLOOR


def _finite_scores(subset: Evaluation, baseline: str | None) -> bool:
    names = ["candidate"] + ([baseline] if baseline else [])
    return all(bool(np.all(np.isfinite(np.asarray(subset.scores(name), dtype=float)))) for name in names)


def _estimate_fails(result: CheckResult, check: Any) -> bool:
    """The check's point estimate is defined and on the wrong side of its margin or floor."""
    if check.check_kind == "margin":
        estimate, limit = result.estimate, check.margin
        return estimate is not None and math.isfinite(estimate) and not estimate > limit
    value = result.candidate_value
    if value is None or not math.isfinite(value):
        return False
    return not (value > check.floor if check.side == "lower" else value < check.floor)


def _estimate_text(result: CheckResult) -> str:
    if result.group == "baseline" and result.estimate is not None:
        return f"difference {result.estimate:+.4f}, margin {result.margin:+g}"
    return f"{result.metric} {result.candidate_value:.4f}, floor {result.margin:g}"


def _undefined(result: CheckResult) -> bool:
    values = (result.estimate, result.lower) if result.estimate is not None else (result.candidate_value, result.lower)
    return any(v is None or not math.isfinite(v) for v in values)


def parse_slice(raw: Mapping[str, Any], where: str) -> SliceSpec:
    """One ``[[tool.modelgate.slices]]`` table as a SliceSpec; GateUsageError naming the key."""
    if not isinstance(raw, dict):
        raise tables.type_error(where, "a table of slice settings", raw)
    unknown = sorted(set(raw) - SLICE_KEYS)
    if unknown:
        raise GateUsageError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(SLICE_KEYS))})")
    text_length = tables.boolean(f"{where}.text_length", raw.get("text_length", False))
    if text_length == ("column" in raw):
        raise GateUsageError(f"{where}: give a column (its values, or bins) or text_length = true, one of them")
    kwargs: dict[str, Any] = {"text_length": text_length, "where": where}
    if "column" in raw:
        kwargs["column"] = tables.string(f"{where}.column", raw["column"])
    if "values" in raw and "bins" in raw:
        raise GateUsageError(f"{where}: give values or bins, not both")
    if text_length and ("values" in raw or "bins" in raw):
        raise GateUsageError(f"{where}: text_length has its own buckets; values and bins go with a column")
    if "values" in raw:
        values = raw["values"]
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, (str, int, float, bool)) for v in values)
            or len(set(map(repr, values))) < len(values)
        ):
            raise tables.type_error(
                f"{where}.values", "a non-empty array of distinct strings, numbers or booleans", values
            )
        kwargs["values"] = tuple(values)
    if "bins" in raw:
        bins = raw["bins"]
        if not isinstance(bins, list) or len(bins) < 2:
            raise tables.type_error(f"{where}.bins", "an array of at least 2 numbers (the bin edges)", bins)
        edges = tuple(tables.number(f"{where}.bins[{i}]", b) for i, b in enumerate(bins))
        if any(hi <= lo for lo, hi in zip(edges, edges[1:], strict=False)):
            raise GateUsageError(f"{where}.bins: the edges must be increasing, not {list(bins)!r}")
        kwargs["bins"] = edges
    if "checks" in raw:
        kwargs["checks"] = tables.strings(f"{where}.checks", raw["checks"])
        if not kwargs["checks"]:
            raise GateUsageError(f"{where}.checks: name at least one check, or leave checks out for all of them")
    for key, minimum in (("min_rows", 1), ("min_per_class", 0), ("max_values", 1)):
        if key in raw:
            kwargs[key] = tables.whole(f"{where}.{key}", raw[key], minimum)
    return SliceSpec(**kwargs)


def slice_checks(
    specs: Sequence[SliceSpec], checks: Sequence[Any], frame: Any, texts: Sequence[Any] | None
) -> list[SliceCheck]:
    """Every (slice, check) pair the specs name, in config order; GateUsageError for a
    check name no margin check or floor has, or a slice label used twice."""
    by_name = {c.name: c for c in checks if c.check_kind in ("margin", "floor")}
    made: list[SliceCheck] = []
    for spec in specs:
        unknown = next((name for name in spec.checks if name not in by_name), None)
        if unknown is not None:
            known = ", ".join(by_name) or "none"
            raise GateUsageError(f"{spec.where}.checks: no margin check or floor is named {unknown!r} (names: {known})")
        chosen = [by_name[n] for n in spec.checks] if spec.checks else list(by_name.values())
        for piece in spec.slices(frame, texts):
            made += [SliceCheck(piece, c, spec.min_rows, spec.min_per_class) for c in chosen]
    names = [c.name for c in made]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice:
        raise GateUsageError(
            f"[tool.modelgate].slices: two slice checks are named {twice!r} (the same slice twice, or two "
            "values that read the same); list the values, or give one table fewer checks"
        )
    taken = {c.name for c in checks}
    clash = next((n for n in names if n in taken), None)
    if clash:
        raise GateUsageError(f"[tool.modelgate].slices: the slice check {clash!r} has the name of a configured check")
    return made
