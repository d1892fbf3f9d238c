"""The forest plot of a verdict: every margin check and floor as its estimate and one-sided
bound against its margin or floor, one panel a check with its slices under it.

:func:`forest_panels` works out the numbers once (which results, in which order, under
which cap, each row's point, bound and side); two renderers draw them: the card's
matplotlib figure (:func:`modelgate.report.card.forest_figure`) and the Markdown
report's text picture (:func:`forest_text`), which needs no image file and no network.
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..names import BASELINE, FLOOR
from ..text import printable

if TYPE_CHECKING:  # the verdict imports the report's renderers
    from ..verdict import CheckResult, Verdict

FOREST_MAX_ROWS = 120  # more rows than this: the passing slices beyond it are left to the table
FOREST_MAX_PANELS = 40  # and at most this many checks get a panel
EVERY_ROW = "every row"

Side = Literal["lower", "upper"]


@dataclass(frozen=True)
class ForestRow:
    """One row of a panel: the check on every row or on one slice."""

    label: str  # the slice ("length=short") or "every row"
    slice: bool  # a slice of the check, drawn under it
    n: int | None
    point: float | None  # the difference (margin check) or the metric (floor); None: undefined
    bound: float | None  # the decisive one-sided bound; None: none, or one that cannot be trusted
    outcome: str  # "pass", "fail" or "inconclusive"

    @property
    def bounded(self) -> bool:
        """Drawn with its bound (a filled dot), not as a bare estimate (a hollow one)."""
        return self.bound is not None


@dataclass(frozen=True)
class ForestPanel:
    """One check with its slices: they share its margin or floor, its scale and its side."""

    name: str  # the check's name, without a slice
    metric: str | None
    floor: bool  # a floor (the metric itself), else a margin check (the difference)
    relative: bool  # a relative margin: the difference is a fraction
    limit: float  # the margin or the floor
    side: Side  # "lower": the bound must be above the limit; "upper" (at_most floors): below it
    rows: tuple[ForestRow, ...]

    def clears(self, value: float) -> bool:
        """``value`` on the passing side of the limit (strictly, as the rules decide)."""
        return value > self.limit if self.side == "lower" else value < self.limit

    def span(self) -> tuple[float, float]:
        """The panel's axis: the limit, every point and every bound, padded by a tenth of the
        range on each side (so the limit is never at an end); a single value gets room around it."""
        values = [self.limit, *(v for r in self.rows for v in (r.point, r.bound) if v is not None)]
        lo, hi = min(values), max(values)
        # Halves first: hi - lo of two huge values of opposite sign overflows to inf.
        pad = (hi / 2 - lo / 2) / 5 if hi > lo else max(abs(lo) / 10, 0.01)
        biggest = sys.float_info.max
        return max(lo - pad, -biggest), min(hi + pad, biggest)


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _side(r: CheckResult) -> Side:
    """A floor on a lower-is-better metric (at_most) is decided on its upper bound; every
    margin check on a lower one (the difference is oriented so that higher is better). A
    floor on a metric not registered in this process: the side the bound lies on."""
    if r.group != FLOOR:
        return "lower"
    from ..metrics import METRICS

    metric = METRICS.get(r.metric or "")
    if metric is None:
        point, bound = _finite(r.candidate_value), _finite(r.lower)
        return "upper" if point is not None and bound is not None and bound > point else "lower"
    return "lower" if metric.higher_is_better else "upper"


def _row(r: CheckResult) -> ForestRow:
    point = _finite(r.candidate_value if r.group == FLOOR else r.estimate)
    bound = None if r.inconclusive else _finite(r.lower)
    return ForestRow(r.slice or EVERY_ROW, r.slice is not None, r.n, point, bound, r.outcome)


def _groups(verdict: Verdict) -> list[tuple[str, list[CheckResult]]]:
    """The bound-based results grouped by their check: the check on every row first, then
    its slices, in the verdict's order."""
    groups: dict[str, list[CheckResult]] = {}
    for r in verdict.results:
        if r.group not in (BASELINE, FLOOR) or r.margin is None:
            continue
        # A slice's item is "<slice>::<check>"; the check's own name may hold "::" too.
        prefix = f"{r.slice}::" if r.slice else ""
        base = r.name[len(prefix) :] if prefix and r.name.startswith(prefix) else r.name
        groups.setdefault(base, []).append(r)
    return [(name, sorted(rows, key=lambda r: r.slice is not None)) for name, rows in groups.items()]


def _capped(groups: list[tuple[str, list[CheckResult]]]) -> tuple[list[tuple[str, list[CheckResult]]], int]:
    """At most :data:`FOREST_MAX_ROWS` rows: every check on all rows and every slice that did
    not pass first, then passing slices while room is left, and at most
    :data:`FOREST_MAX_PANELS` checks; (groups, rows left out)."""
    total = sum(len(rows) for _, rows in groups)
    if total <= FOREST_MAX_ROWS and len(groups) <= FOREST_MAX_PANELS:
        return groups, 0
    room = FOREST_MAX_ROWS - sum(1 for _, rows in groups for r in rows if not r.slice or r.outcome != "pass")
    kept = []
    for name, rows in groups:
        chosen = []
        for r in rows:
            if not r.slice or r.outcome != "pass":
                chosen.append(r)
            elif room > 0:
                chosen.append(r)
                room -= 1
        kept.append((name, chosen))
    kept = kept[:FOREST_MAX_PANELS]
    return kept, total - sum(len(rows) for _, rows in kept)


def forest_panels(verdict: Verdict) -> tuple[list[ForestPanel], int]:
    """The forest plot's panels, one per margin check or floor with its slices, capped
    (:data:`FOREST_MAX_ROWS`, :data:`FOREST_MAX_PANELS`); and how many rows were left out."""
    groups, left_out = _capped(_groups(verdict))
    panels = []
    for name, results in groups:
        first = results[0]
        assert first.margin is not None  # _groups keeps only results with a margin or floor
        panels.append(
            ForestPanel(
                name=name,
                metric=first.metric,
                floor=first.group == FLOOR,
                relative=first.relative,
                limit=float(first.margin),
                side=_side(first),
                rows=tuple(_row(r) for r in results),
            )
        )
    return panels, left_out


def left_out_note(left_out: int) -> str:
    """What the cap left out, said by both pictures."""
    return f"{left_out} more rows, passing slices first, are in the table only"


# --- the text picture ------------------------------------------------------------------

# Each panel is drawn on its own axis (the span of its margin or floor, its estimates and its
# bounds), as the card draws it: margins live on different scales (an AUC difference, a
# relative accuracy loss, an MAE floor in the target's units), so one shared axis would squash
# most checks into a cell or two. The axis is shared by the check's slices, so a slice's
# wider bound reads against the check on every row. Distances in units of the MDE were the
# other choice; they are not used because each slice has its own MDE (its rows' spread), so a
# slice and its check would be drawn on different scales, and a check decided on its point
# estimate, or an inconclusive one, has none.
TRACK = 40  # character cells of a row's axis
POINT, BARE_POINT, WHISKER, LIMIT = "●", "○", "─", "│"
BOUND_END: dict[Side, str] = {"lower": "├", "upper": "┤"}
LABEL_WIDTH = 28  # a longer slice label is cut, with "…" (the table has it whole)
LEGEND = (
    f"{POINT} estimate   {BOUND_END['lower']}{WHISKER}{WHISKER} lower bound, {WHISKER}{WHISKER}{BOUND_END['upper']}"
    f" upper bound (one-sided)   {LIMIT} margin or floor   {BARE_POINT} estimate without a trusted bound"
)


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospace font: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _cut(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    while _width(text) > width - 1:
        text = text[:-1]
    return text + "…"


def _number(panel: ForestPanel, value: float | None) -> str:
    if value is None:
        return "-"
    if panel.floor:
        return f"{value:.4f}"
    return f"{value:+.1%}" if panel.relative else f"{value:+.4f}"


def _axis_ends(panel: ForestPanel) -> tuple[str, str]:
    """The axis's two ends as numbers, with digits enough to tell them apart."""
    lo, hi = panel.span()
    left, right = _number(panel, lo), _number(panel, hi)
    digits = 4
    while left == right and digits < 10:
        digits += 2
        if panel.relative and not panel.floor:
            left, right = f"{lo:+.{digits - 3}%}", f"{hi:+.{digits - 3}%}"
        else:
            sign = "" if panel.floor else "+"
            left, right = f"{lo:{sign}.{digits}f}", f"{hi:{sign}.{digits}f}"
    return left, right


def _title(panel: ForestPanel) -> str:
    """``NAME: the difference against the margin +0.1 (passes with ├ right of │)``."""
    if panel.floor:
        op = "≥" if panel.side == "lower" else "≤"
        what = f"{panel.metric} against its floor {op} {panel.limit:g}"
    else:
        margin = f"{panel.limit:+.1%}" if panel.relative else f"{panel.limit:+g}"
        what = f"the {'relative difference' if panel.relative else 'difference'} against the margin {margin}"
    where = "right" if panel.side == "lower" else "left"
    return f"{printable(panel.name)}: {what} (passes with {BOUND_END[panel.side]} {where} of {LIMIT})"


def _cell(value: float, lo: float, hi: float) -> int:
    """The cell of ``value`` on an axis from ``lo`` to ``hi`` (halves: no overflow), clamped."""
    width = hi / 2 - lo / 2
    share = (value / 2 - lo / 2) / width if width > 0 else 0.5
    return min(max(round(share * (TRACK - 1)), 0), TRACK - 1)


def track(panel: ForestPanel, row: ForestRow) -> str:
    """One row's axis, :data:`TRACK` cells: the limit ``│`` on every row of the panel, the
    bound's end ``├`` (lower) or ``┤`` (upper) joined to the estimate ``●`` by ``─``, or a bare
    ``○``. A value within half a cell of the limit is drawn one cell off it, on the side it
    truly lies (on the limit: the failing side), so the picture never shows a bound on the
    passing side of a check that failed; an estimate and its bound in one cell show as ``●``."""
    lo, hi = panel.span()
    limit = min(max(_cell(panel.limit, lo, hi), 1), TRACK - 2)  # never at an end: both sides drawable
    passing_way = 1 if panel.side == "lower" else -1

    def place(value: float) -> int:
        cell = _cell(value, lo, hi)
        # The side a value is drawn on is the side it truly lies on, whatever the rounding
        # (a bound a hair from the limit, an axis whose padding a huge value absorbed).
        way = passing_way if panel.clears(value) else -passing_way
        if (cell - limit) * way <= 0:
            cell = limit + way
        return cell

    cells = [" "] * TRACK
    point = place(row.point) if row.point is not None else None
    if row.bound is not None:
        bound = place(row.bound)
        if point is not None:
            for i in range(min(bound, point), max(bound, point) + 1):
                cells[i] = WHISKER
        cells[bound] = BOUND_END[panel.side]
    if point is not None:
        cells[point] = POINT if row.bounded else BARE_POINT
    cells[limit] = LIMIT
    return "".join(cells)


def forest_text(verdict: Verdict) -> list[str]:
    """The forest plot as lines of monospace text (the Markdown report puts them in a code
    block): a legend, then per check a title, its axis's ends and one line per row (every
    row, then its slices, indented under it): the label, n, the estimate and its bound, the
    row's axis (:func:`track`), and the outcome in words (PASS, FAIL, INCONCLUSIVE), so no
    symbol is the only signal. Empty when the verdict holds no margin check or floor."""
    panels, left_out = forest_panels(verdict)
    if not panels:
        return []
    labels = {id(r): _cut(printable(r.label), LABEL_WIDTH) for p in panels for r in p.rows}
    label_width = max(map(_width, labels.values()))
    ns = {id(r): f"n={r.n:,}" if r.n is not None else "" for p in panels for r in p.rows}
    n_width = max(map(len, ns.values()))
    values = {
        id(r): f"{_number(p, r.point)} ({f'bound {_number(p, r.bound)}' if r.bounded else 'no bound'})"
        for p in panels
        for r in p.rows
    }
    value_width = max(map(len, values.values()))
    lead = 4 + label_width + 2 + n_width + 2 + value_width + 2  # where every track starts
    lines = [LEGEND]
    for panel in panels:
        left, right = _axis_ends(panel)
        lines += ["", _title(panel), " " * lead + left + right.rjust(TRACK - len(left))]
        for row in panel.rows:
            indent = "    " if row.slice else "  "  # slices under their check
            label = _pad(indent + labels[id(row)], label_width + 4)
            text = f"{label}  {ns[id(row)].rjust(n_width)}  {values[id(row)].ljust(value_width)}  {track(panel, row)}"
            lines.append(f"{text}  {row.outcome.upper()}")
    if left_out:
        lines += ["", f"({left_out_note(left_out)})"]
    return lines


def fenced(lines: list[str], info: str = "text") -> list[str]:
    """``lines`` as a Markdown code block: its fence is longer than any run of backticks
    in them, so no user text can close it (nothing inside a code block is markup)."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *lines, fence]
