"""Reading TOML tables: typed values, with errors that name the key.

Shared by every parser of ``[tool.modelgate]`` (the settings and each check
kind's table). ``where`` is the key's full name as the user wrote it
(``[tool.modelgate].checks[0].margin``, ``--gate-check #1.margin``).

``strict``: the value was read from TOML, where numbers and booleans have types
of their own (``margin = "0.30"`` is a string, not a number); with
``strict=False`` (``--gate-check key=value`` text) strings are parsed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import GateUsageError


def type_error(where: str, expected: str, value: Any) -> GateUsageError:
    return GateUsageError(f"{where}: expected {expected}, got {value!r}")


def string(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise type_error(where, "a non-empty string", value)
    return value.strip()


def one_of(where: str, value: Any, choices: tuple[str, ...]) -> str:
    """One of ``choices`` exactly (``on_inconclusive = "pass"``); else a GateUsageError naming ``where``."""
    if not isinstance(value, str) or value not in choices:
        raise type_error(where, " or ".join(f'"{c}"' for c in choices), value)
    return value


def boolean(where: str, value: Any, strict: bool = True) -> bool:
    if isinstance(value, bool):
        return value
    if not strict and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise type_error(where, "true or false", value)


def number(where: str, value: Any, strict: bool = True) -> float:
    allowed = (int, float) if strict else (int, float, str)
    if isinstance(value, bool) or not isinstance(value, allowed):
        raise type_error(where, "a number", value)
    try:
        parsed = float(value)
    except ValueError:
        raise type_error(where, "a number", value) from None
    if not math.isfinite(parsed):
        raise type_error(where, "a finite number", value)
    return parsed


def whole(where: str, value: Any, minimum: int, strict: bool = True) -> int:
    parsed = number(where, value, strict)
    if parsed != int(parsed) or parsed < minimum:
        raise type_error(where, f"a whole number >= {minimum}", value)
    return int(parsed)


def confidence(where: str, value: Any, strict: bool = True) -> float | None:
    """A one-sided confidence level, or None for ``"none"``/``"point"`` (decide on the point estimate)."""
    if isinstance(value, str) and value.lower() in ("none", "point"):
        return None
    return number(where, value, strict)


def strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise type_error(where, "an array of non-empty strings", value)
    return tuple(value)


def check_table(raw: Any, where: str, known: Iterable[str], required: str, what: str) -> Mapping[str, Any]:
    """A table with only known keys and its required one, or a GateUsageError naming the key."""
    if not isinstance(raw, dict):
        raise type_error(where, f"a table of {what} settings", raw)
    known = set(known)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise GateUsageError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    if required not in raw:
        raise GateUsageError(f"{where}: missing key {required!r}")
    return raw


def bound_options(raw: Mapping[str, Any], where: str, strict: bool = True) -> dict[str, Any]:
    """The keys every bounded check (a margin, a floor) shares, read and typed:
    ``method``, ``name``, ``confidence``, ``n_resamples`` (>= 1), ``seed`` (>= 0)."""
    options: dict[str, Any] = {}
    for key in ("method", "name"):
        if key in raw:
            options[key] = string(f"{where}.{key}", raw[key])
    if "confidence" in raw:
        options["confidence"] = confidence(f"{where}.confidence", raw["confidence"], strict)
    for key, minimum in (("n_resamples", 1), ("seed", 0)):
        if key in raw:
            options[key] = whole(f"{where}.{key}", raw[key], minimum, strict)
    return options
