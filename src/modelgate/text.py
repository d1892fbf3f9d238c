"""User data made safe to print: control characters escaped.

Smoke-case names, column names and values come from user files; printed raw,
an ESC or a carriage return would rewrite the terminal (or a CI log), and a
bidi override would reorder what is shown. Every place where user data meets
the terminal, a pytest node id or a report passes it through ``printable``.
"""

from __future__ import annotations

import unicodedata

# Bidi embeddings, overrides and isolates: invisible, and they reorder the text around them.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_control(ch: str) -> bool:
    """C0 and C1 controls and DEL, line and paragraph separators, bidi controls;
    ordinary unicode (accents, CJK, emoji) is not."""
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI


def printable(value: object, *, keep_newlines: bool = False) -> str:
    """``str(value)`` on one line, every control character escaped as Python writes
    it (``\\x1b``, ``\\r``, ``\\n``, ``\\u202e``); ``keep_newlines``: a message
    of several lines keeps its line breaks."""
    text = str(value)
    if not any(is_control(ch) for ch in text):
        return text
    kept = "\n" if keep_newlines else ""
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if is_control(ch) and ch not in kept else ch for ch in text
    )
