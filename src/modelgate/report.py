"""Render a Verdict for people and machines: terminal table, JSON, Markdown."""

from __future__ import annotations

import json
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
    if r.group == "property":
        return [status, f"property: {r.name}", f"{r.candidate_value:.1%} failed", "-", "-", "-",
                f"max {r.margin:.0%}", f"{r.method} (n={r.n})"]
    return [status, f"{r.group}: {r.name}", _num(r.candidate_value), "-", "-", "-",
            f"thr {r.margin:g}" if r.margin is not None else "-", r.method or "-"]


HEADER = ["", "check", "model", "baseline", "diff", "lower", "margin", "method"]


def _verdict_word(verdict: Verdict) -> str:
    if verdict.passed:
        return "PASS"
    if verdict.failures:
        return f"FAIL ({len(verdict.failures)} of {len(verdict.results)} checks failed)"
    if verdict.decision is not None:  # every recorded check passed, but the session did not
        return f"FAIL ({verdict.decision.reason})"
    return "FAIL (no checks ran)"


def _footnotes(verdict: Verdict) -> list[str]:
    notes = []
    runs = sorted({(r.baseline, r.baseline_run) for r in verdict.results if r.baseline_run})
    notes += [f"{name}: {run}" for name, run in runs]
    notes += [r.message for r in verdict.results if r.method == "no baseline"]
    return notes


def verdict_table(verdict: Verdict) -> str:
    """A fixed-width table, one row a check, then the baselines' runs and the verdict."""
    rows = [HEADER] + [_row(r) for r in verdict.results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines += _footnotes(verdict)
    lines.append(f"verdict: {_verdict_word(verdict)}" + (f" for {verdict.run}" if verdict.run else ""))
    return "\n".join(lines)


def verdict_json(verdict: Verdict) -> str:
    return json.dumps(verdict.to_dict(), indent=2, sort_keys=True)


def verdict_markdown(verdict: Verdict) -> str:
    """A GitHub-flavoured Markdown summary: verdict, tag line, table, failures."""
    icon = "✅" if verdict.passed else "❌"
    lines = [f"## modelgate: {icon} {_verdict_word(verdict)}", ""]
    if verdict.run:
        lines.append(f"- run: `{verdict.run}`")
    lines.append(f"- champion: `{verdict.champion}`" if verdict.champion else "- champion: none yet")
    if verdict.tag_line:
        lines.append(f"- tag: {verdict.tag_line}")
    lines += ["", "| | " + " | ".join(HEADER[1:]) + " |", "|---" * len(HEADER) + "|"]
    for r in verdict.results:
        cells = _row(r)
        cells[0] = "✅" if r.passed else "❌"
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    failures = verdict.failures
    if failures:
        lines += ["", "### Failures", ""]
        lines += [f"- **{r.name}**: {r.message}" for r in failures]
    return "\n".join(lines) + "\n"
