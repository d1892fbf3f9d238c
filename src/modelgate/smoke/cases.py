"""A smoke case: a text and the label a binary model must give it (:class:`SmokeCase`), or a row
of feature values (or a text) and what any model must give it (:class:`SmokeRow`)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .messages import binary_failure, one_line

TEXT_COLUMNS = ("text", "review")
LABEL_COLUMNS = ("expected", "label", "labels")
NAME_COLUMNS = ("name", "id")  # the first present names the case
RANGE_COLUMNS = ("tolerance", "min", "max")


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
        return binary_failure(self.name, self.expected, "", score, self.threshold) + f"; text: {one_line(self.text)!r}"


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
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
            ):
                raise ValueError(f"{key} must be a finite number, got {value!r}")
        if self.tolerance is not None and self.tolerance < 0:
            raise ValueError(f"tolerance must be >= 0, got {self.tolerance!r}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum!r} is above maximum {self.maximum!r}")
        if is_missing(self.expected) and self.minimum is None and self.maximum is None:
            raise ValueError("a smoke row needs expected, or minimum and/or maximum")
        if self.tolerance is not None and is_missing(self.expected):
            raise ValueError("tolerance needs an expected value")

    @property
    def row(self) -> dict[str, Any]:
        """The row's values by column."""
        return dict(self.values)

    @property
    def where(self) -> str:
        return f"smoke case {self.name!r}" + (f" ({self.source})" if self.source else "")


AnyCase = SmokeCase | SmokeRow


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()
