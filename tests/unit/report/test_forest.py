"""The forest plot in the Markdown report: a text picture of every margin check and floor.

Built from hand-built CheckResults, read as a user reads it: which side of the margin's
``│`` the bound's end (``├`` lower, ``┤`` upper) falls on, and the word at the end of
the line. The card draws the same panels (test_card.py).
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from modelgate import CheckResult, Verdict
from modelgate.report import card
from modelgate.report.forest import FOREST_MAX_PANELS, FOREST_MAX_ROWS, TRACK, forest_panels, forest_text
from modelgate.report.render import HEADER, verdict_markdown, verdict_table

AUC = CheckResult(
    name="roc_auc-vs-champion-margin-0.02",
    group="baseline",
    passed=True,
    message="roc_auc: fine",
    metric="roc_auc",
    baseline="champion",
    candidate_value=0.91,
    baseline_value=0.89,
    estimate=0.02,
    lower=0.004,
    margin=-0.02,
    confidence=0.95,
    method="DeLong",
    n=2264,
    mde=0.0188,
)
LOSS_FLOOR = CheckResult(  # at_most: decided on the upper bound, which must be below the floor
    name="log_loss-at-most-0.45",
    group="floor",
    passed=True,
    message="log_loss: fine",
    metric="log_loss",
    candidate_value=0.38,
    lower=0.41,
    margin=0.45,
    confidence=0.95,
    method="mean-loss",
    n=2264,
)
AUC_FLOOR = CheckResult(
    name="roc_auc-at-least-0.8",
    group="floor",
    passed=True,
    message="roc_auc: fine",
    metric="roc_auc",
    candidate_value=0.91,
    lower=0.88,
    margin=0.8,
    confidence=0.95,
    method="DeLong (logit)",
    n=2264,
)


def on_slice(result: CheckResult, label: str, **changes) -> CheckResult:
    return replace(result, name=f"{label}::{result.name}", slice=label, **changes)


def picture(*results: CheckResult) -> list[str]:
    return forest_text(Verdict(results=list(results)))


def row(lines: list[str], label: str) -> str:
    """The picture's line of ``label`` ("every row" or a slice)."""
    (line,) = [line for line in lines if line.strip().startswith(label + " ")]
    return line


def track(line: str) -> str:
    """A row's axis: the TRACK cells before its outcome word."""
    return line.rsplit("  ", 1)[0][-TRACK:]


def side_of_margin(line: str) -> str:
    """Where the bound's end is drawn: "left" or "right" of the margin's │."""
    cells = track(line)
    end = cells.index("├") if "├" in cells else cells.index("┤")
    return "left" if end < cells.index("│") else "right"


# --- one line per check and slice ----------------------------------------------------------


def test_a_failing_check_shows_fail_and_its_bound_below_the_margin():
    lines = picture(AUC, on_slice(AUC, "length=short", n=154, estimate=-0.01, lower=-0.071, passed=False))
    every, short = row(lines, "every row"), row(lines, "length=short")
    assert every.endswith("  PASS") and side_of_margin(every) == "right"
    assert short.endswith("  FAIL") and side_of_margin(short) == "left"
    # left to right: the bound's end, the margin, then the estimate
    cells = track(short)
    assert cells.index("├") < cells.index("│") < cells.index("●")
    assert "-0.0100 (bound -0.0710)" in short and "n=154" in short
    assert (
        "roc_auc-vs-champion-margin-0.02: the difference against the margin -0.02 (passes with ├ right of │)" in lines
    )


def test_a_bound_a_hair_from_the_margin_is_drawn_on_the_side_it_lies():
    """Within half a cell of the margin, the bound still shows the side that decided."""
    just_below = replace(AUC, estimate=0.5, lower=-0.02 - 1e-9, passed=False)
    just_above = replace(AUC, estimate=0.5, lower=-0.02 + 1e-9)
    on_it = replace(AUC, estimate=0.5, lower=-0.02, passed=False)  # not above the margin: fails
    assert side_of_margin(row(picture(just_below), "every row")) == "left"
    assert side_of_margin(row(picture(just_above), "every row")) == "right"
    assert side_of_margin(row(picture(on_it), "every row")) == "left"


def test_an_inconclusive_check_is_marked_in_words_and_drawn_without_a_bound():
    thin = on_slice(AUC, "category=toys", n=12, estimate=0.05, lower=math.nan, inconclusive=True, passed=False)
    let_pass = on_slice(AUC, "category=books", n=14, estimate=0.05, lower=0.01, inconclusive=True)
    lines = picture(AUC, thin, let_pass)
    for label in ("category=toys", "category=books"):
        line = row(lines, label)
        assert line.endswith("  INCONCLUSIVE") and "(no bound)" in line
        assert "○" in track(line) and "├" not in track(line) and "●" not in track(line)
    assert "○ estimate without a trusted bound" in lines[0]  # the legend says what ○ is


def test_slices_are_drawn_under_their_check_in_its_panel():
    short = on_slice(AUC, "length=short", n=154)
    floor_short = on_slice(LOSS_FLOOR, "length=short", n=154)
    long = on_slice(AUC, "length=long", n=612)
    # the verdict interleaves them; the picture groups each check with its own slices
    lines = picture(short, floor_short, AUC, LOSS_FLOOR, long)
    titles = [i for i, line in enumerate(lines) if line.startswith(("roc_auc-vs", "log_loss-at"))]
    assert [lines[i].split(":")[0] for i in titles] == [AUC.name, LOSS_FLOOR.name]
    auc_rows = lines[titles[0] + 2 : titles[0] + 5]  # after the title, the axis's ends
    assert [line.split()[0] for line in auc_rows] == ["every", "length=short", "length=long"]
    assert auc_rows[0].startswith("  every row") and auc_rows[1].startswith("    length=short")
    loss_rows = lines[titles[1] + 2 :]
    assert [line.split()[0] for line in loss_rows] == ["every", "length=short"]
    # every track starts in the same column, in every panel
    assert len({line.index(track(line)) for line in auc_rows + loss_rows}) == 1


def test_many_slices_are_capped_as_on_the_card_and_the_picture_says_how_many_are_left_out():
    slices = [on_slice(AUC, f"g={i}", n=50) for i in range(500)]
    failing = replace(slices[-1], passed=False, lower=-0.05)
    lines = picture(AUC, *slices[:-1], failing)
    drawn = [line for line in lines if line.endswith(("  PASS", "  FAIL", "  INCONCLUSIVE"))]
    assert len(drawn) == FOREST_MAX_ROWS
    assert row(lines, "g=499").endswith("  FAIL")  # a slice that did not pass is never left out
    assert lines[-1] == "(381 more rows, passing slices first, are in the table only)"
    # the card leaves out the same rows
    fig = card.forest_figure(Verdict(results=[AUC, *slices[:-1], failing]))
    on_card = [t.get_text().rsplit(" (n=", 1)[0] for t in fig.axes[0].get_yticklabels()]
    assert on_card == [line.strip().split("  ")[0] for line in drawn]


def test_at_most_a_limited_number_of_checks_get_a_panel():
    checks = [replace(AUC, name=f"check-{i}") for i in range(FOREST_MAX_PANELS + 5)]
    panels, left_out = forest_panels(Verdict(results=checks))
    assert len(panels) == FOREST_MAX_PANELS and left_out == 5
    assert picture(*checks)[-1] == "(5 more rows, passing slices first, are in the table only)"


# --- lower-is-better metrics --------------------------------------------------------------


def test_an_at_most_floor_is_drawn_with_its_upper_bound_left_of_the_floor_when_it_passes():
    lines = picture(LOSS_FLOOR)
    assert "log_loss-at-most-0.45: log_loss against its floor ≤ 0.45 (passes with ┤ left of │)" in lines
    passing = row(lines, "every row")
    cells = track(passing)
    assert "├" not in cells and cells.index("●") < cells.index("┤") < cells.index("│")
    assert passing.endswith("  PASS") and "0.3800 (bound 0.4100)" in passing

    failing = row(picture(replace(LOSS_FLOOR, lower=0.47, passed=False)), "every row")
    cells = track(failing)
    assert cells.index("●") < cells.index("│") < cells.index("┤")  # the upper bound is past the floor
    assert failing.endswith("  FAIL") and side_of_margin(failing) == "right"


def test_an_at_least_floor_is_drawn_with_its_lower_bound_right_of_the_floor_when_it_passes():
    lines = picture(AUC_FLOOR, replace(AUC_FLOOR, name="strict", margin=0.89, passed=False))
    assert "roc_auc-at-least-0.8: roc_auc against its floor ≥ 0.8 (passes with ├ right of │)" in lines
    first, second = [line for line in lines if line.strip().startswith("every row")]
    assert side_of_margin(first) == "right" and first.endswith("PASS")
    assert side_of_margin(second) == "left" and second.endswith("FAIL")


def test_a_margin_on_a_loss_is_drawn_as_the_improvement_the_rule_bounds():
    """A margin check on a lower-is-better metric bounds baseline - candidate from below:
    its lower bound must clear the margin, as for any other metric."""
    mae = CheckResult(
        name="mae-vs-champion-margin-0",
        group="baseline",
        passed=False,
        message="mae: worse",
        metric="mae",
        baseline="champion",
        candidate_value=3.2,  # a higher error than the champion's: a negative improvement
        baseline_value=3.0,
        estimate=-0.2,
        lower=-0.35,
        margin=0.0,
        method="paired losses",
        n=500,
    )
    line = row(picture(mae), "every row")
    assert line.endswith("FAIL") and side_of_margin(line) == "left"
    assert track(line).index("●") < track(line).index("│")  # the estimate itself is below the margin


def test_a_floor_on_a_metric_this_process_does_not_know_takes_the_side_its_bound_lies_on():
    unknown_upper = replace(LOSS_FLOOR, name="pinball-at-most-0.45", metric="pinball_loss")
    unknown_lower = replace(AUC_FLOOR, name="pinball-at-least-0.8", metric="pinball_score")
    lines = picture(unknown_upper, unknown_lower)
    assert "pinball-at-most-0.45: pinball_loss against its floor ≤ 0.45 (passes with ┤ left of │)" in lines
    assert "pinball-at-least-0.8: pinball_score against its floor ≥ 0.8 (passes with ├ right of │)" in lines


# --- in the Markdown report ---------------------------------------------------------------


def test_the_markdown_report_has_one_verdict_table_and_the_picture_in_a_text_block():
    short = on_slice(AUC, "length=short", n=154, estimate=-0.01, lower=-0.071, passed=False)
    plain = CheckResult(name="test_gate.py::test_plain", group="test", passed=True, message="", method="passed")
    results = [AUC, short, LOSS_FLOOR, plain]
    markdown = verdict_markdown(Verdict(results=results, run="NLPFlow/12"))
    lines = markdown.splitlines()
    assert lines.count("| | " + " | ".join(HEADER[1:]) + " |") == 1  # the verdict table, once
    assert sum(line.startswith("| ") for line in lines) == len(results) + 1  # its rows, once each
    start = lines.index("### Forest plot: each bound against its margin or floor")
    assert lines[start + 2] == "```text" and lines[start + 3].startswith("● estimate")
    end = lines.index("```", start + 3)
    assert lines[start + 3 : end] == picture(*results)  # the test's row is not drawn: it has no bound
    assert lines[end + 2] == "### Failures"  # the picture comes before the failures' reasons
    assert verdict_table(Verdict(results=results)).count("every row") == 0  # the terminal table has no picture


def test_a_verdict_without_margins_or_floors_has_no_picture():
    plain = CheckResult(name="test_gate.py::test_plain", group="test", passed=True, message="", method="passed")
    assert picture(plain) == []
    assert "Forest plot" not in verdict_markdown(Verdict(results=[plain]))


@pytest.mark.parametrize(("name", "fence"), [("a```b", "````"), ("x````````y", "`" * 9)])
def test_a_check_name_with_backticks_cannot_close_the_text_block(name, fence):
    """The fence is longer than any run of backticks in the picture: CommonMark closes a
    code block only with a fence at least as long as the one that opened it."""
    lines = verdict_markdown(Verdict(results=[replace(AUC, name=name)])).splitlines()
    start = lines.index(fence + "text")
    end = lines.index(fence, start)
    assert lines[end - 3] == f"{name}: the difference against the margin -0.02 (passes with ├ right of │)"
    assert row(lines[start:end], "every row").endswith("PASS")


def test_the_docs_example_is_what_the_report_draws():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[3] / "docs" / "writing-a-gate.md").read_text()
    section = page.split("## The verdict as a picture", 1)[1]
    example = section.split("```text\n", 1)[1].split("\n```", 1)[0].splitlines()
    results = [
        AUC,
        on_slice(AUC, "length=short", n=154, estimate=-0.01, lower=-0.071, passed=False),
        on_slice(AUC, "length=long", n=612, estimate=0.03, lower=0.001),
        on_slice(AUC, "category=toys", n=12, estimate=0.05, lower=math.nan, inconclusive=True, passed=False),
        replace(LOSS_FLOOR, candidate_value=0.41, lower=0.47, passed=False),
    ]
    assert example == picture(*results)


# --- found by a hostile review -------------------------------------------------------------


def test_a_check_named_with_a_double_colon_keeps_its_slices_in_its_own_panel():
    """``strict::auc`` sliced by ``seg`` gives ``seg=x::strict::auc``: its slices belong to
    ``strict::auc`` (margin 0.3), not to a check named ``auc`` (margin 0)."""
    plain = replace(AUC, name="auc", margin=0.0, lower=0.2, estimate=0.3)
    strict = replace(AUC, name="strict::auc", margin=0.3, lower=0.29, estimate=0.32, passed=False)
    sliced = on_slice(strict, "seg=x", lower=0.28, estimate=0.32)
    panels = {p.name: [r.label for r in p.rows] for p in forest_panels(Verdict(results=[plain, strict, sliced]))[0]}
    assert panels == {"auc": ["every row"], "strict::auc": ["every row", "seg=x"]}
    lines = picture(plain, strict, sliced)
    start = lines.index(next(line for line in lines if line.startswith("strict::auc: ")))
    slice_line = row(lines[start:], "seg=x")
    assert slice_line.endswith("  FAIL") and side_of_margin(slice_line) == "left"


@pytest.mark.parametrize(
    "changes",
    [
        {"estimate": 1.5e308, "lower": -1.7e308, "margin": 0.0, "passed": False},  # the span overflowed
        {"estimate": 0.1 + 2.8e-17, "lower": 0.1, "margin": 0.1, "passed": False},  # bound on the margin
        {"estimate": 5e-324, "lower": 0.0, "margin": 0.0, "passed": False},  # subnormal
    ],
)
def test_extreme_values_draw_without_an_error_and_a_failing_bound_on_the_failing_side(changes):
    line = row(picture(replace(AUC, **changes)), "every row")
    assert line.endswith("  FAIL") and side_of_margin(line) == "left"


def test_an_at_most_floor_whose_bound_is_the_floor_draws_it_on_the_failing_side():
    on_floor = replace(LOSS_FLOOR, candidate_value=3.0 - 8.9e-16, lower=3.0, margin=3.0, passed=False, metric="mae")
    line = row(picture(on_floor), "every row")
    assert line.endswith("  FAIL") and side_of_margin(line) == "right"
