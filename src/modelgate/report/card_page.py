"""The ``@card(type="modelgate")`` card as one self-contained HTML page.

:func:`verdict_page` draws a verdict, :func:`no_verdict_page` a task that holds none.
The page needs nothing from outside: its style is inline, its pictures are inline SVG
(the forest plot) and a PNG data URI (the task's figure), and it has no script. A
Content-Security-Policy in the page says so to the browser too (``default-src 'none'``:
nothing is fetched, not even by a figure), so the card renders the same on a laptop with
no network, in Metaflow's card viewer and in the UI.

Every piece of user text (check names, messages, run ids, the record's fields) is
HTML-escaped (and its control characters shown as escapes, as the other reports do):
nothing a check or a config says can become markup.

The verdict is said in words first: PASS, FAIL (why) or ERROR, no verdict. The icon
beside it (✅ ❌ ⚠️) is decoration, hidden from screen readers; colour is never the
only signal either (each forest row and table row says its outcome in a word).
"""

from __future__ import annotations

import base64
import html
import io
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..text import printable
from .forest import forest_text
from .render import HEADER, _row, champion_shown, inconclusive_passed, verdict_icon, verdict_word

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..verdict import Verdict
    from .card import Scores

__all__ = ["CSP", "no_verdict_page", "verdict_page"]

# Nothing is fetched: inline styles, data: images (the task's figure, a raster inside an SVG).
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem; color: #1b1f24;
       max-width: 72rem; }
h1 { font-size: 1.1rem; font-weight: 600; margin: 0 0 .75rem; color: #57606a; }
h2 { font-size: 1.05rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; }
.verdict { display: flex; align-items: baseline; gap: .75rem; flex-wrap: wrap; padding: .9rem 1.1rem;
           border-radius: 8px; border: 2px solid; }
.verdict .word { font-size: 2rem; font-weight: 800; letter-spacing: .04em; }
.verdict .icon { font-size: 1.6rem; }
.verdict .detail { font-size: 1rem; }
.status-pass { background: #e6f4ea; border-color: #1a7f37; color: #0f5323; }
.status-fail { background: #fdecea; border-color: #cf222e; color: #82071e; }
.status-error, .status-none { background: #f6f8fa; border-color: #6e7781; color: #24292f; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .85rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.outcome { font-weight: 700; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
tr.outcome-fail td.outcome { color: #cf222e; }
tr.outcome-pass td.outcome { color: #1a7f37; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .8rem; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; white-space: pre; }
td pre { white-space: pre-wrap; margin: 0; padding: .25rem .5rem; }
figure { margin: .5rem 0; }
figure svg, figure img { max-width: 100%; height: auto; }
figcaption, .note { color: #57606a; font-size: .85rem; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; margin: .75rem 0; }
dl.summary dt { font-weight: 600; }
dl.summary dd { margin: 0; }
footer { margin-top: 2rem; color: #6e7781; font-size: .75rem; }
"""


def _e(value: object, *, keep_newlines: bool = False) -> str:
    """User text as HTML text: control characters escaped (as the terminal shows them), then
    ``& < > " '`` as character references."""
    return html.escape(printable(value, keep_newlines=keep_newlines), quote=True)


def _page(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            '<body class="modelgate-card">',
            *body,
            "</body>",
            "</html>",
        ]
    )


def _footer() -> str:
    from .. import __version__

    return (
        f"<footer>modelgate {_e(__version__)} card, drawn {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; "
        "self-contained: no script, nothing fetched.</footer>"
    )


# ------------------------------------------------------------------ pictures


def _without_xml_header(svg: str) -> str:
    """Matplotlib's SVG document as an element to put inline: no XML declaration, doctype or
    metadata block (whose RDF names a vocabulary by URL; nothing is fetched, but nothing
    need be named either)."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    return re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL).strip()


def figure_svg(figure: Figure, label: str) -> str:
    """A figure as an inline ``<svg>`` element, its text kept as text (searchable, and read
    by screen readers), labelled for assistive technology."""
    from matplotlib import rc_context

    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "modelgate"}):  # ids stable from one card to the next
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = _without_xml_header(buffer.getvalue())
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_e(label)}" ', 1)


def figure_png(figure: Figure, label: str, *, dpi: int = 100) -> str:
    """A figure as an ``<img>`` whose source is the PNG itself (a data URI)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(label)}">'


def _matplotlib_missing() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is None


NO_MATPLOTLIB = "matplotlib is not installed where the card was drawn (pip install 'modelgate[card]')"


def _forest_section(verdict: Verdict) -> list[str]:
    from .card import forest_figure

    lines = forest_text(verdict)
    out = ['<section class="forest">', "<h2>The checks: bounds against margins</h2>"]
    if not lines:
        out += ['<p class="note">No margin check or floor in this verdict: nothing to draw.</p>', "</section>"]
        return out
    text = f"<pre>{_e(chr(10).join(lines), keep_newlines=True)}</pre>"
    if _matplotlib_missing():
        out += [f'<p class="note">{_e(NO_MATPLOTLIB)}: the plot as text.</p>', text, "</section>"]
        return out
    figure = forest_figure(verdict)
    assert figure is not None  # forest_text drew panels, so the figure has them too
    label = "Forest plot: each check's estimate and one-sided bound against its margin or floor"
    out += [
        f'<figure class="forest-plot">{figure_svg(figure, label)}',
        "<figcaption>Each margin check and floor: the estimate (dot) and its one-sided bound (line) against "
        "the dashed margin or floor; each row says its outcome in words. Green passed, red failed, grey "
        "inconclusive; a hollow dot has no bound that can be trusted.</figcaption></figure>",
        f"<details><summary>The same plot as text</summary>{text}</details>",
        "</section>",
    ]
    return out


def _plot_section(plot: Scores | None, why_none: str) -> list[str]:
    out = ['<section class="task-plot">', "<h2>The task's plot</h2>"]
    if plot is None:
        return [*out, f'<p class="note">{_e(why_none)}</p>', "</section>"]
    if _matplotlib_missing():
        return [*out, f'<p class="note">{_e(NO_MATPLOTLIB)}.</p>', "</section>"]
    from .card import task_figure

    try:
        figure = task_figure(plot)
    except ValueError as exc:  # a task with no figure, or scores of the wrong shape: said, not raised
        return [*out, f'<p class="note">No plot: {_e(exc)}</p>', "</section>"]
    what = {"binary": "ROC curves", "multiclass": "confusion matrix", "regression": "predicted vs actual, residuals"}
    label = f"The {plot.task} task's figure: {what.get(plot.task, plot.task)} on {plot.n:,} validation rows"
    return [*out, f"<figure>{figure_png(figure, label)}<figcaption>{_e(label)}</figcaption></figure>", "</section>"]


# ------------------------------------------------------------------ tables


def headline(word: str) -> tuple[str, str]:
    """:func:`~modelgate.report.render.verdict_word` as its word and the rest:
    ``("FAIL", "1 of 2 checks failed")``, ``("ERROR", "no verdict (why)")``, ``("PASS", "")``."""
    if word.startswith("ERROR"):
        return "ERROR", word.removeprefix("ERROR").lstrip(", ")
    head, _, rest = word.partition(" (")
    return head, rest.removesuffix(")")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, classes: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        attr = f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""
        body.append(f"<tr{attr}>" + "".join(row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _checks_section(verdict: Verdict) -> list[str]:
    rows, classes = [], []
    for r in verdict.results:
        cells = _row(r)
        tds = [f'<td class="outcome">{_e(cells[0])}</td>']
        tds += [
            f'<td class="num">{_e(c)}</td>' if 3 <= i <= 8 else f"<td>{_e(c)}</td>" for i, c in enumerate(cells) if i
        ]
        rows.append(tds)
        classes.append(f"outcome-{r.outcome}")
    out = ['<section class="checks">', "<h2>Every check</h2>"]
    out.append(_table(["result", *HEADER[1:]], rows, classes=classes) if rows else '<p class="note">No check ran.</p>')
    failures = [
        [f"<td>{_e(r.name)}</td>", f"<td><pre>{_e(r.message, keep_newlines=True)}</pre></td>"] for r in verdict.failures
    ]
    if failures:
        out += ["<h3>Why it failed</h3>", _table(["failed", "why"], failures)]
    let_pass = [
        [f"<td>{_e(r.name)}</td>", f"<td><pre>{_e(r.message, keep_newlines=True)}</pre></td>"]
        for r in inconclusive_passed(verdict)
    ]
    if let_pass:
        out += ['<h3>Inconclusive, passed because on_inconclusive = "pass"</h3>', _table(["check", "why"], let_pass)]
    return [*out, "</section>"]


def _when(seconds: Any) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(seconds)))
    except (TypeError, ValueError, OverflowError, OSError):
        return "-"


def _code(value: Any) -> str:
    return "<code>-</code>" if value in (None, "") else f"<code>{_e(value)}</code>"


def _provenance_section(records: Sequence[Mapping[str, Any]], where: str, note: str) -> list[str]:
    out = ['<section class="provenance">', "<h2>On record</h2>"]
    if not records:
        return [*out, f'<p class="note">{_e(note)}</p>', "</section>"]
    rows = []
    for record in records:
        tag = record.get("tag") or {}
        action = f"{tag.get('name', '-')}: {tag.get('action', '-')}" if isinstance(tag, Mapping) else str(tag)
        reason = tag.get("reason") if isinstance(tag, Mapping) else None
        rows.append(
            [
                f"<td>{_e(record.get('front_end', '-'))}</td>",
                f'<td class="nowrap">{_e(_when(record.get("time")))}</td>',
                f"<td>{_e(record.get('user', '-'))}</td>",
                f"<td>{_e(record.get('modelgate_version', '-'))}</td>",
                f"<td>{_code(record.get('config_hash'))}</td>",
                f"<td>{_code(record.get('data_fingerprint'))}</td>",
                f"<td>{_code(champion_shown(record))}</td>",
                f"<td>{_e(action)}{f'<br><span class=note>{_e(reason)}</span>' if reason else ''}</td>",
                f"<td>{_code(record.get('id'))}</td>",
            ]
        )
    headers = ["front end", "time", "user", "modelgate", "config hash", "data fingerprint", "champion", "tag", "record"]
    out += [
        f'<p class="note">{_e(where)}</p>',
        _table(headers, rows),
        '<p class="note">All of a run\'s records: <code>python -m modelgate history Flow/run_id</code>.</p>',
    ]
    return [*out, "</section>"]


# ------------------------------------------------------------------ pages


def verdict_page(
    verdict: Verdict,
    *,
    task: str,
    source: str,
    status: str | None = None,
    records: Sequence[Mapping[str, Any]] = (),
    records_where: str = "",
    records_note: str = "",
    plot: Scores | None = None,
    plot_note: str = "",
    tag: str = "",
    data_fingerprint: str | None = None,
) -> str:
    """The card of a verdict: the verdict in a word (with its icon beside it), the run, its
    champion and the tag; the forest plot of the margins and floors; the task's figure; every
    check; and the verdict's records with their provenance (``records``: as
    :func:`modelgate.metaflow_io.records.build_record` makes them).

    ``task`` is the task the card belongs to, ``source`` where its verdict came from (an
    artifact's name); ``status`` overrides the verdict's own (``"pass"``, ``"fail"``,
    ``"error"``: the stored verdict's, when a tag decision made it); ``plot`` draws the task's
    figure (``plot_note`` says why there is none); ``tag`` says what was tagged, when
    known; ``data_fingerprint`` the validation data's, when known without a record."""
    status = status or verdict.status
    if status == "pass" and (not verdict.results or not verdict.passed):
        # A stored "pass" the results do not back (no result, or a failed one): never shown as PASS.
        status = "error"
    if status == verdict.status:
        head, detail = headline(verdict_word(verdict))
        icon = verdict_icon(verdict)
    else:  # a stored status the results alone do not give (a tag decision's)
        head, detail = {"pass": "PASS", "fail": "FAIL"}.get(status, "ERROR"), ""
        icon = {"pass": "✅", "fail": "❌"}.get(status, "⚠️")
    css = status if status in ("pass", "fail", "error") else "error"
    summary = [
        ("task", _code(task)),
        ("verdict from", f"the artifact {_code(source)}"),
        ("run gated", _code(verdict.run or "-")),
        (verdict.champion_label, _code(verdict.champion) if verdict.champion else "none yet"),
    ]
    if tag:
        summary.append(("tag", _e(tag)))
    if data_fingerprint and not records:
        summary.append(("validation data", _code(data_fingerprint)))
    body = [
        f"<h1>modelgate verdict: {_e(verdict.run or task)}</h1>",
        f'<div class="verdict status-{css}" role="status">'
        f'<span class="icon" aria-hidden="true">{icon}</span>'
        f'<span class="word" data-verdict="{css}">{_e(head)}</span>'
        + (f'<span class="detail">{_e(detail)}</span>' if detail else "")
        + "</div>",
        '<dl class="summary">' + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in summary) + "</dl>",
        *_forest_section(verdict),
        *_plot_section(plot, plot_note),
        *_checks_section(verdict),
        *_provenance_section(records, records_where, records_note),
        _footer(),
    ]
    return _page(f"modelgate: {head} for {verdict.run or task}", body)


def no_verdict_page(task: str, looked_for: Sequence[str], why: str = "") -> str:
    """The card of a task that holds no verdict: says so, where it looked, and how a verdict
    gets there (not an error: a card on a step before the gate is such a task)."""
    names = " or ".join(f"<code>{_e(name)}</code>" for name in looked_for)
    body = [
        f"<h1>modelgate: {_e(task)}</h1>",
        '<div class="verdict status-none" role="status">'
        '<span class="icon" aria-hidden="true">ℹ️</span>'
        '<span class="word" data-verdict="none">NO VERDICT</span>'
        '<span class="detail">no verdict in this task</span></div>',
        f"<p>This task holds no modelgate verdict: it has no artifact named {names}.</p>",
    ]
    if why:
        body.append(f'<p class="note">{_e(why)}</p>')
    body += [
        "<p>A verdict gets there from <code>@gate</code> on this step or a step before it "
        "(the artifact <code>modelgate_verdict</code>), or from a step that keeps "
        "<code>Gate(...).evaluate(...).to_dict()</code> as <code>gate_verdict</code>.</p>",
        _footer(),
    ]
    return _page(f"modelgate: no verdict in {task}", body)
