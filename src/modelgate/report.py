"""Render a Verdict for people: a terminal table."""

from __future__ import annotations

import math

from .checks import CheckResult, Verdict


def _num(value: float | None, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def _row(r: CheckResult) -> list[str]:
    status = "PASS" if r.passed else "FAIL"
    if r.group == "baseline":
        what = f"{r.metric} vs {r.baseline}"
        margin = f"{r.margin:+.1%} rel" if r.relative else _num(r.margin, True)
        return [status, what, _num(r.candidate_value), _num(r.baseline_value), _num(r.estimate, True),
                _num(r.lower, True), margin, r.method or "-"]
    return [status, f"{r.group}: {r.name}", _num(r.candidate_value), "-", "-", "-",
            f"thr {r.margin:g}" if r.margin is not None else "-", "-"]


HEADER = ["", "check", "model", "baseline", "diff", "lower", "margin", "method"]


def verdict_table(verdict: Verdict) -> str:
    """A fixed-width table, one row a check, then one line with the verdict."""
    rows = [HEADER] + [_row(r) for r in verdict.results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    failed = len(verdict.failures)
    word = "PASS" if verdict.passed else f"FAIL ({failed} of {len(verdict.results)} checks failed)"
    lines.append(f"verdict: {word}" + (f" for {verdict.run}" if verdict.run else ""))
    return "\n".join(lines)
