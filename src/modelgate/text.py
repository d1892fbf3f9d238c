"""User data made safe to print: control characters escaped.

Smoke-case names, column names and values come from user files; printed raw,
an ESC or a carriage return would rewrite the terminal (or a CI log). Every
place where user data meets the terminal, a pytest node id or the card passes
it through ``printable`` first.
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls; ordinary unicode (accents, CJK, emoji) is kept.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def printable(value: object) -> str:
    """``str(value)`` with every control character written as ``\\xNN`` (tab and newline included)."""
    return _CONTROL.sub(_escape, str(value))
