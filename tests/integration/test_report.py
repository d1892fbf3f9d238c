"""The gate report: JSON, Markdown (and $GITHUB_STEP_SUMMARY), JUnit XML properties."""

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

SUITE = """
def test_auc(gate):
    gate.beats("roc_auc", margin=0.1)

def test_auc_too_strict(gate):
    gate.beats("roc_auc", margin=0.99)

def test_plain(evaluation):
    assert evaluation.n == 200
"""


@pytest.fixture(scope="module")
def _sessions():
    return {}


@pytest.fixture
def session(_sessions, gate_suite, tiny_run, monkeypatch, tmp_path_factory):
    """One gate session's reports, made once for this module's tests (they only read them)."""
    if "reports" not in _sessions:
        summary = tmp_path_factory.mktemp("summary") / "step_summary.md"
        summary.write_text("# earlier step\n")
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        result = gate_suite.write(SUITE).run(
            tiny_run,
            "--gate-dry-run",
            "--gate-report",
            "out/verdict.json",
            "--gate-markdown",
            "out/verdict.md",
            "--junitxml",
            "out/junit.xml",
        )
        result.assert_outcomes(passed=2, failed=1)
        out = shutil.copytree(gate_suite.path / "out", summary.parent / "out")  # outlives this test's folder
        _sessions["reports"] = (out, summary, tiny_run)
    return _sessions["reports"]


def test_json_report_matches_the_session(session, samples_dir):
    out, _, run = session
    for name in ("verdict.json", "verdict.md", "junit.xml"):
        (samples_dir / f"failing-{name}").write_bytes((out / name).read_bytes())
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["run"] == run
    assert verdict["passed"] is False
    assert [(r["name"], r["passed"]) for r in verdict["results"]] == [
        ("roc_auc-vs-majority-margin+0.1", True),
        ("roc_auc-vs-majority-margin+0.99", False),
        ("test_gate.py::test_plain", True),  # a plain test decides the tag too: it is in the report
    ]
    assert verdict["results"][2]["group"] == "test"
    strict = verdict["results"][1]
    assert strict["method"] == "DeLong" and strict["margin"] == 0.99
    assert strict["higher_is_better"] is True and "higher_is_better" not in verdict["results"][2]
    assert strict["lower"] < 0.99 < strict["lower"] + 1
    assert strict["estimate"] == pytest.approx(strict["candidate_value"] - strict["baseline_value"])
    assert strict["baseline_value"] == 0.5 and strict["lower"] < strict["estimate"]
    assert "not above the margin +0.9900" in strict["message"]
    assert verdict["tag"]["action"] == "revoke" and verdict["tag"]["dry_run"] is True
    assert "1 quality test failed" in verdict["tag"]["reason"]


def test_markdown_report_is_written_and_appended_to_the_step_summary(session):
    out, summary, run = session
    markdown = (out / "verdict.md").read_text()
    assert markdown.startswith("## modelgate: ❌ FAIL (1 of 3 checks failed)")
    assert f"- run: `{run}`" in markdown
    assert "| ❌ | roc_auc vs majority | higher |" in markdown
    assert "### Failures" in markdown and "not above the margin +0.9900" in markdown
    step_summary = summary.read_text()
    assert step_summary.startswith("# earlier step\n") and markdown in step_summary


def test_the_markdown_report_draws_the_margins_as_a_forest_plot_once(session):
    out, summary, _ = session
    lines = (out / "verdict.md").read_text().splitlines()
    assert lines.count("| | check | better | model | baseline | diff | bound | margin | mde | method |") == 1
    start = lines.index("### Forest plot: each bound against its margin or floor")
    assert lines[start + 2] == "```text"
    block = lines[start + 3 : lines.index("```", start + 3)]
    assert block[0].startswith("● estimate")
    loose = block.index(
        "roc_auc-vs-majority-margin+0.1: the difference against the margin +0.1 (passes with ├ right of │)"
    )
    strict = block.index(
        "roc_auc-vs-majority-margin+0.99: the difference against the margin +0.99 (passes with ├ right of │)"
    )
    passing, failing = block[loose + 2], block[strict + 2]  # under each title: the axis's ends, then the row
    assert passing.startswith("  every row") and passing.endswith("  PASS")
    assert passing.index("│") < passing.index("├") < passing.index("●")  # the bound clears the margin
    assert failing.startswith("  every row") and failing.endswith("  FAIL")
    assert failing.index("├") < failing.index("●") < failing.index("│")  # the margin is beyond the estimate
    assert not any("test_plain" in line for line in block)  # a plain test has no bound to draw
    assert "### Forest plot" in summary.read_text()  # $GITHUB_STEP_SUMMARY gets it too


def test_metric_values_are_junit_properties(session):
    out, _, _ = session
    tree = ET.parse(out / "junit.xml")
    props = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in tree.iter("testcase")
    }
    auc = props["test_auc"]
    assert float(auc["modelgate_candidate_value"]) > 0.8
    assert float(auc["modelgate_baseline_value"]) == 0.5
    assert float(auc["modelgate_lower"]) > 0.1
    assert auc["modelgate_method"] == "DeLong"
    assert props["test_plain"] == {}


def test_the_header_names_the_data_artifact_its_run_and_its_rows(gate_suite, tiny_run):
    suite = gate_suite.write("def test_rows(evaluation):\n    assert evaluation.n == 200\n")
    result = suite.run(tiny_run, "--gate-dry-run")
    result.assert_outcomes(passed=1)
    assert f"data: artifact 'val_df' of {tiny_run}, 200 rows" in result.outlines
    result = suite.run(tiny_run, "--gate-dry-run", "--gate-data-artifact", "start/valdf")
    assert f"data: artifact 'start/valdf' of {tiny_run}, 200 rows" in result.outlines


# --- plain unit tests of the renderers (no Metaflow) ----------------------------------

IMG = "<img src=x onerror=alert(1)>"
LINK = "[click](javascript:alert(1))"


def _hostile_verdict():
    from modelgate.checks import smoke_result
    from modelgate.smoke import SmokeCase
    from modelgate.verdict import CheckResult, Verdict

    baseline = CheckResult(
        name="roc_auc-vs-champion-margin-0.02",
        group="baseline",
        passed=True,
        message="ok",
        metric="roc_auc",
        baseline="champion",
        candidate_value=0.9,
        baseline_value=0.85,
        estimate=0.05,
        lower=0.01,
        margin=-0.02,
        method="DeLong",
        n=100,
        baseline_run="NLPFlow/7",
    )
    return Verdict(
        results=[
            baseline,
            smoke_result(SmokeCase(LINK, 1, IMG), 0.2),  # fails: name and text in the failures list
            smoke_result(SmokeCase("*bold* `code` | pipe", 0, f"x | {LINK}"), 0.9),
        ],
        run="NLPFlow/1`" + IMG + "`",  # a backtick must not end the code span
        champion="NLPFlow/7",
        tag_line=f"{IMG} {LINK}",
    )


def _render(markdown: str):
    """GitHub-like rendering that would let raw HTML and any link scheme through."""
    markdown_it = pytest.importorskip("markdown_it")
    from html.parser import HTMLParser

    md = markdown_it.MarkdownIt("commonmark").enable("table").enable("strikethrough")
    md.validateLink = lambda url: True
    html = md.render(markdown)

    class Parse(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.text = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append((tag, dict(attrs)))

        def handle_data(self, data):
            self.text.append(data)

    parser = Parse()
    parser.feed(html)
    return html, parser


def test_markdown_escapes_user_text():
    from modelgate.report.render import verdict_markdown

    markdown = verdict_markdown(_hostile_verdict())
    assert "<img" not in markdown and "](javascript:" not in markdown
    html, parsed = _render(markdown)
    tags = [t for t, _ in parsed.tags]
    assert "img" not in tags and "a" not in tags, html
    assert not any("javascript" in v for _, attrs in parsed.tags for v in attrs.values() if v)
    assert "em" not in tags and "strong" in tags  # only the report's own **name** is bold
    # The text is still there, readable, where it belongs.
    text = "".join(parsed.text)
    assert IMG in text and LINK in text and "*bold* `code` | pipe" in text
    assert "run: NLPFlow/1`" + IMG + "`\n" in text, "a backtick in the run id ends no code span"
    assert re.findall(r"<code>(.*?)</code>", html) == ["NLPFlow/7"]
    rows = html.split("<tr>")[2:]
    assert len(rows) == 3 and all(row.count("<td>") == 10 for row in rows), "a | in a cell does not add cells"
    assert f"smoke: {IMG}" in "".join(_render(rows[1])[1].text)


def test_markdown_keeps_plain_names_readable():
    from modelgate.report.render import verdict_markdown

    markdown = verdict_markdown(_hostile_verdict())
    assert "| ✅ | roc_auc vs champion | higher |" in markdown
    assert "- champion: `NLPFlow/7`" in markdown


def test_str_of_a_verdict_is_the_table():
    from modelgate.report.render import verdict_table

    verdict = _hostile_verdict()
    assert str(verdict) == verdict_table(verdict) == verdict.summary()
    lines = str(verdict).splitlines()
    assert lines[0].split() == ["check", "better", "model", "baseline", "diff", "bound", "margin", "mde", "method"]
    assert lines[1].split()[:5] == ["PASS", "roc_auc", "vs", "champion", "higher"]
    assert lines[-1] == "verdict: FAIL (2 of 3 checks failed) for " + verdict.run
    assert "CheckResult(" not in f"{verdict}"


def test_the_terminal_table_cannot_be_forged_by_a_name():
    from modelgate.checks import smoke_result
    from modelgate.report.render import verdict_table
    from modelgate.smoke import SmokeCase
    from modelgate.verdict import Verdict

    forged = "ok\nverdict: PASS\x1b[2J"
    table = verdict_table(Verdict(results=[smoke_result(SmokeCase("fine", 1, forged), 0.1)]))
    lines = table.splitlines()
    assert len(lines) == 3 and lines[-1] == "verdict: FAIL (1 of 1 checks failed)"
    assert "\x1b" not in table and "smoke: ok\\nverdict: PASS\\x1b[2J" in lines[1]


def test_a_session_that_could_not_finish_claims_no_verdict():
    """An outage or an unwritable report is an error: no "passed", no PASS or FAIL."""
    from modelgate.checks import smoke_result
    from modelgate.decision import TagDecision
    from modelgate.report.render import verdict_json, verdict_markdown, verdict_table
    from modelgate.smoke import SmokeCase
    from modelgate.verdict import Verdict

    results = [smoke_result(SmokeCase("fine", 1, "ok"), 0.9)]
    decided = TagDecision("apply", "all 1 quality tests passed")
    assert Verdict(results=results, run="F/1", decision=decided).passed  # the same verdict, finished

    error = "could not read the tags of F/1: the metadata service at http://x cannot be reached (timed out)"
    verdict = Verdict(results=results, run="F/1", decision=decided, error=error)
    assert not verdict.passed and verdict.status == "error"
    data = json.loads(verdict_json(verdict))
    assert data["status"] == "error" and data["passed"] is None and data["error"] == error
    assert data["results"][0]["passed"] is True  # what was measured is still recorded
    assert verdict_table(verdict).splitlines()[-1] == f"verdict: ERROR, no verdict ({error}) for F/1"
    assert verdict_markdown(verdict).startswith("## modelgate: ⚠️ ERROR, no verdict (could not read")
    assert json.loads(verdict_json(Verdict(results=results)))["status"] == "pass"
