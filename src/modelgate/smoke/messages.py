"""How smoke-case messages show values: short, on one line, a score beside its threshold."""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from typing import Any

from ..evidence.classes import plain

_REPR = reprlib.Repr()  # values echoed in messages: bounded depth and length
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, 40, 40


def short(value: Any, width: int = 40) -> str:
    """A value for a one-line message: its repr on one line, at most ``width`` chars."""
    value = plain(value)
    text = repr(value[: width + 1]) if isinstance(value, str) else _REPR.repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def one_line(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def column_list(columns: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(short(c, 30) for c in columns[:limit])
    return f"[{shown}]" if len(columns) <= limit else f"[{shown}, ...] ({len(columns)} columns)"


def classes_list(classes: Sequence[Any], limit: int = 10) -> str:
    shown = ", ".join(short(c, 30) for c in list(classes)[:limit])
    return shown + (f", ... ({len(classes)} classes)" if len(classes) > limit else "")


def score_shown(score: float, threshold: float) -> str:
    shown = f"{score:.4f}"
    if float(shown) == threshold and score != threshold:
        shown = repr(float(score))  # rounding would hide which side it is on
    return shown


def binary_failure(name: str, expected: int, label: str, score: float, threshold: float) -> str:
    label = label or ("positive (1)" if expected == 1 else "negative (0)")
    op = ">" if expected == 1 else "<"
    return f"smoke {name}: expected {label}, needs score {op} {threshold:g}, got {score_shown(score, threshold)}"
