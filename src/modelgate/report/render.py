"""Render a Verdict for people and machines: terminal table, JSON, Markdown."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..names import BASELINE, CHAMPION, FLOOR, GAP, PROPERTY, SEARCH, TEST
from ..text import is_control, printable
from .forest import fenced, forest_text

if TYPE_CHECKING:  # rendered, never built here: modelgate.verdict imports this module
    from ..verdict import CheckResult, Verdict

# Text from users (check and smoke-case names, texts, messages, run ids, the tag line)
# is escaped for where it goes: control characters are shown as escapes in the terminal
# table (modelgate.text), and Markdown gets HTML entities and backslash escapes.


# Markdown: '<', '>', '&' and the brackets become character references, which are never
# markup, so no HTML tag, autolink, link or image can form and '(' ')' '!' stay as they
# are; '*', '`', '|', '~' (strikethrough), '#', '$' (GitHub math) and '\' get a backslash;
# '_' only where it could open or close emphasis (not inside roc_auc).
_MD_SPECIAL = re.compile(r"[\\`*\[\]|~#$<>&]")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "&#91;", "]": "&#93;"}
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")


def _one_line(text) -> str:
    return "".join(" " if is_control(ch) else ch for ch in str(text))


def md_text(text) -> str:
    """User text as inline Markdown that renders as exactly that text: no HTML, link,
    image, emphasis or table cell can come out of it, and it stays on one line."""
    text = _MD_SPECIAL.sub(lambda m: _MD_ENTITIES.get(m.group(), "\\" + m.group()), _one_line(text))
    return _MD_UNDERSCORE.sub(r"\\_", text)


def md_code(text) -> str:
    """User text as a Markdown code span (a run id: ``NLPFlow/12``); text with a backtick
    (which could end the span early) or ``<``, ``>``, ``&`` is escaped text instead."""
    text = _one_line(text)
    if re.fullmatch(r"[^`<>&]+", text) and text.strip() == text:
        return f"`{text}`"
    return md_text(text)


def _num(value: float | None, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


# Each metric's direction, from the metric registry: the tables' "better" column says
# "higher" or "lower" (or "-": no metric, or one this process does not know); JSON gets
# ``higher_is_better`` (true, false or null) on every margin and floor result.
HIGHER, LOWER, UNKNOWN = "higher", "lower", "-"


def higher_is_better(metric: str | None) -> bool | None:
    """The direction of a registered metric: True when higher is better, False when
    lower is, None for no metric or one not registered in this process (its row
    shows "-" as its direction)."""
    if not metric:
        return None
    from ..metrics import METRICS

    known = METRICS.get(metric)
    return None if known is None else bool(known.higher_is_better)


def _better(metric: str | None) -> str:
    """The "better" cell: ``higher``, ``lower``, or ``-`` when the direction is unknown."""
    direction = higher_is_better(metric)
    return UNKNOWN if direction is None else HIGHER if direction else LOWER


# A plain quality test's row says how it ended, not only pass or fail.
_TEST_STATUS = {"error": "ERROR", "skipped": "SKIP", "xfailed": "XFAIL", "xpassed": "XPASS", "unfinished": "NOT RUN"}
_ENDED = {"error": "errored", "skipped": "skipped", "xfailed": "xfailed", "xpassed": "xpassed", "unfinished": "not run"}


INCONCLUSIVE_STATUS = "INCONCLUSIVE"  # a check whose data could not decide, failed or passed by on_inconclusive
PASSED_INCONCLUSIVE = 'passed because on_inconclusive = "pass"'


def _row(r: CheckResult) -> list[str]:
    status = INCONCLUSIVE_STATUS if r.inconclusive else "PASS" if r.passed else "FAIL"
    if r.group == TEST:
        status = _TEST_STATUS.get(r.method or "", status)
    if r.group == BASELINE:
        what = f"{r.metric} vs {r.baseline}{_on_slice(r)}"
        margin = f"{r.margin:+.1%} rel" if r.relative else _num(r.margin, True)
        return [
            status,
            what,
            _better(r.metric),
            _num(r.candidate_value),
            _num(r.baseline_value),
            _num(r.estimate, True),
            _num(r.lower, True),
            margin,
            _num(r.mde),
            r.method or "-",
        ]
    if r.group == FLOOR:
        return _floor_row(status, r)
    if r.group == GAP:
        return [
            status,
            f"{r.metric} gap: {r.name}",
            "lower",
            _num(r.candidate_value),
            "-",
            "-",
            _num(r.lower),
            f"< {r.margin:g}" if r.margin is not None else "-",
            "-",
            r.method or "-",
        ]
    if r.group == SEARCH:
        worst = max((m for f in r.findings for m in _members(f)), key=lambda f: f["bound"]) if r.findings else None
        where = f" [{worst['label']}, n={worst['n']}, n_confirm={worst['n_confirm']}]" if worst else ""
        return [
            status,
            f"{r.metric} weak slices vs {r.baseline}{where}",
            LOWER,
            "-",
            "-",
            _num(r.estimate, True),
            _num(r.lower, True),
            f"≤ {r.margin:+g}" if r.margin is not None else "-",
            "-",
            r.method or "-",
        ]
    if r.group == PROPERTY:
        return [
            status,
            f"property: {r.name}",
            UNKNOWN,
            f"{r.candidate_value:.1%} failed",
            "-",
            "-",
            f"{r.lower:.1%}" if r.lower is not None else "-",
            f"< {r.margin:.0%}" if r.lower is not None else f"max {r.margin:.0%}",
            "-",
            f"{r.method} (n={r.n})",
        ]
    return [
        status,
        f"{r.group}: {r.name}",
        UNKNOWN,
        _num(r.candidate_value),
        "-",
        "-",
        "-",
        f"thr {r.margin:g}" if r.margin is not None else "-",
        "-",
        r.method or "-",
    ]


def _on_slice(r: CheckResult) -> str:
    """`` [length=short, n=154]`` for a check judged on a slice, else ''."""
    return f" [{r.slice}, n={r.n}]" if r.slice else ""


def _floor_row(status: str, r: CheckResult) -> list[str]:
    """A floor: the metric, its value, its bound (the "bound" column: lower, or upper for at_most),
    "≥ 0.85" or "≤ 0.45" in the margin column. The side is the metric's direction: a
    floor on the wrong side is refused, so at_least goes with higher-is-better metrics."""
    from ..metrics import METRICS

    metric = METRICS.get(r.metric or "")
    at_most = metric is not None and not metric.higher_is_better
    if r.margin is None:
        limit = "-"
    elif metric is None:  # a metric registered in another process: no direction known here
        limit = f"floor {r.margin:g}"
    else:
        limit = f"{'≤' if at_most else '≥'} {r.margin:g}"
    method = r.method or "-"
    if at_most and r.confidence is not None:  # "mean-loss normal (skew-corrected, upper bound)"
        method = f"{method[:-1]}, upper bound)" if method.endswith(")") else f"{method} (upper bound)"
    return [
        status,
        f"{r.metric} floor{_on_slice(r)}",
        _better(r.metric),
        _num(r.candidate_value),
        "-",
        "-",
        _num(r.lower),
        limit,
        _num(r.mde),
        method,
    ]


FOREST_HEADING = "Forest plot: each bound against its margin or floor"  # the Markdown report's picture

# "mde": the minimum detectable effect, the true effect beyond the margin or floor that passes 80% of the time.
HEADER = ["", "check", "better", "model", "baseline", "diff", "bound", "margin", "mde", "method"]


def verdict_icon(verdict: Verdict) -> str:
    """⚠️ when there is no verdict (the session or every non-passing check errored), else ✅ or ❌."""
    if verdict.claims_no_verdict:
        return "⚠️"
    return "✅" if verdict.passed else "❌"


def verdict_word(verdict: Verdict) -> str:
    """PASS, FAIL (why) or ERROR, no verdict (why): the verdict in words."""
    if verdict.error:  # the session could not finish: no verdict is claimed
        return f"ERROR, no verdict ({verdict.error})"
    let_pass = inconclusive_passed(verdict)
    if verdict.passed:
        return f"PASS ({inconclusive_warning(let_pass)})" if let_pass else "PASS"
    failures, errors, n = verdict.failures, verdict.errors, len(verdict.results)
    if failures:
        failed = [r for r in failures if not r.inconclusive]
        undecided = len(failures) - len(failed)
        said = f"{len(failed)} of {n} checks failed" if failed else f"{undecided} of {n} checks inconclusive"
        if failed and undecided:
            said += f", {undecided} inconclusive"
        also = f", {_ended(errors)}" if errors else ""
        passed_anyway = f"; {inconclusive_warning(let_pass)}" if let_pass else ""
        return f"FAIL ({said}{also}{passed_anyway})"
    if errors:  # an errored check says nothing about the model
        how = {_ENDED.get(r.method or "", "errored") for r in errors}
        if len(how) == 1:
            return f"ERROR, no verdict ({len(errors)} of {n} checks {how.pop()})"
        return f"ERROR, no verdict ({len(errors)} of {n} checks without one: {_ended(errors)})"
    if verdict.decision is not None:  # every recorded check passed, but the session did not
        return f"FAIL ({verdict.decision.reason})"
    return "FAIL (no checks ran)"


def inconclusive_passed(verdict: Verdict) -> list[CheckResult]:
    """The inconclusive checks that passed (``on_inconclusive = "pass"``): each report warns."""
    return [r for r in verdict.inconclusive if r.passed]


def inconclusive_warning(results: list[CheckResult]) -> str:
    """``1 check inconclusive, passed because on_inconclusive = "pass"``."""
    n = len(results)
    return f"{n} check{'s' if n != 1 else ''} inconclusive, {PASSED_INCONCLUSIVE}"


def _ended(results: list[CheckResult]) -> str:
    """``1 errored``, ``1 errored, 2 skipped``: how the tests without a verdict ended."""
    counts = Counter(_ENDED.get(r.method or "", "errored") for r in results)
    return ", ".join(f"{count} {how}" for how, count in counts.items())


def _footnotes(verdict: Verdict) -> list[str]:
    notes = []
    runs = sorted({(r.baseline or "", r.baseline_run) for r in verdict.results if r.baseline_run})
    labels = {CHAMPION: verdict.champion_label}
    notes += [f"{labels.get(name, name)}: {run}" for name, run in runs if name != run]  # not "Flow/1: Flow/1"
    notes += [r.message for r in verdict.results if r.method == "no baseline"]
    notes += [f"{r.name}: {r.message}" for r in verdict.inconclusive]  # why the data could not decide
    notes += [f"{r.name}: {finding_line(f, r.metric)}" for r in verdict.results for f in r.findings]
    return notes


def _members(finding: dict) -> list[dict]:
    """A confirmed weak slice and the ones merged into it (each with its own numbers)."""
    return [finding, *(m for f in finding.get("merged") or () if isinstance(f, dict) for m in _members(f))]


def _finding_numbers(finding: dict, metric: str | None) -> str:
    return (
        f"n={finding['n']}, n_confirm={finding['n_confirm']}: the candidate's {metric} is "
        f"{_num(finding['difference'], True)} worse on the confirmation rows, "
        f"{finding['confidence']:.2%} Holm lower bound {_num(finding['bound'], True)}"
    )


def finding_line(finding: dict, metric: str | None) -> str:
    """One confirmed weak slice of a search: its n (rows of the slice), n_confirm (its rows in
    the confirmation half), the paired difference and the bound; and each slice merged into
    it, with its own numbers."""
    merged = [m for m in _members(finding)[1:]]
    also = "".join(f"; with {m['label']} ({_finding_numbers(m, metric)})" for m in merged)
    return f"weak slice {finding['label']} ({_finding_numbers(finding, metric)}){also}"


def verdict_table(verdict: Verdict) -> str:
    """A fixed-width table, one row a check, then the baselines' runs and the verdict."""
    rows = [HEADER] + [[printable(cell) for cell in _row(r)] for r in verdict.results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines += [printable(note) for note in _footnotes(verdict)]
    run = f" for {verdict.run}" if verdict.run else ""
    lines.append(printable(f"verdict: {verdict_word(verdict)}{run}"))
    return "\n".join(lines)


def verdict_json(verdict: Verdict) -> str:
    """The verdict as JSON; each margin and floor result also says ``higher_is_better``
    (true, false, or null for a metric not registered in this process)."""
    data = verdict.to_dict()
    for result, row in zip(verdict.results, data["results"]):
        if result.group in (BASELINE, FLOOR):
            row["higher_is_better"] = higher_is_better(result.metric)
    return json.dumps(data, indent=2, sort_keys=True)


def verdict_markdown(verdict: Verdict) -> str:
    """A GitHub-flavoured Markdown summary: verdict, tag line, table, the forest plot of the
    margins and floors (:func:`modelgate.report.forest.forest_text`, a text block: no image,
    no network), failures.

    Every piece of user text (names, smoke texts, messages, run ids, the tag line)
    is escaped (:func:`md_text`, :func:`md_code`): it shows as written and cannot
    inject HTML, links, images or table cells into a step summary or a card.
    """
    lines = [f"## modelgate: {verdict_icon(verdict)} {md_text(verdict_word(verdict))}", ""]
    if verdict.run:
        lines.append(f"- run: {md_code(verdict.run)}")
    lines.append(f"- champion: {md_code(verdict.champion)}" if verdict.champion else "- champion: none yet")
    if verdict.tag_line:
        lines.append(f"- tag: {md_text(verdict.tag_line)}")
    lines += ["", "| | " + " | ".join(HEADER[1:]) + " |", "|---" * len(HEADER) + "|"]
    for r in verdict.results:
        cells = _row(r)
        if r.inconclusive:  # its status cell says INCONCLUSIVE
            cells[0] = ("⚠️ " if r.passed else "❌ ") + cells[0]
        else:
            cells[0] = (
                "✅" if r.passed else "⚠️ " + cells[0] if r.group == TEST and r.method not in ("failed", None) else "❌"
            )
        lines.append("| " + " | ".join(md_text(c) for c in cells) + " |")
    forest = forest_text(verdict)
    if forest:  # the margins and floors as a picture: the table stays the one table
        lines += ["", f"### {FOREST_HEADING}", "", *fenced(forest)]
    sections = (
        ("Failures", verdict.failures),
        (f"Inconclusive, {PASSED_INCONCLUSIVE}", inconclusive_passed(verdict)),
        ("Errors (no verdict)", verdict.errors),
    )
    for title, results in sections:
        if results:
            lines += ["", f"### {md_text(title)}", ""]
            lines += [f"- **{md_text(r.name)}**: {md_text(r.message)}" for r in results]
    weak = [(r, f) for r in verdict.results for f in r.findings]
    if weak:
        lines += ["", "### Weak slices", ""]
        lines += [f"- **{md_text(r.name)}**: {md_text(finding_line(f, r.metric))}" for r, f in weak]
    return "\n".join(lines) + "\n"


def champion_shown(record: Mapping[str, Any]) -> str:
    """The record's champion for a table: its pathspec (or "none"), and what it was when the
    gate compared another run as the champion: ``Flow/7 (baseline run)``."""
    shown = str(record.get("champion") or "none")
    label = record.get("champion_label") or CHAMPION
    return shown if label == CHAMPION or not record.get("champion") else f"{shown} ({str(label).split(' (')[0]})"
