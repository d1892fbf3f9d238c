"""The @card(type="modelgate") page: modelgate.report.card_page drawn from verdicts in memory,
and modelgate.card_type reading a stand-in for a finished Metaflow task (no flow, no run).
tests/integration/test_card_type.py draws it from real runs and loads it in a browser."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from test_card import binary_evaluation, multiclass_evaluation, regression_evaluation

from modelgate import card_type
from modelgate.report import card, card_page
from modelgate.verdict import CheckResult, Verdict

AUC = CheckResult(
    "roc_auc vs majority",
    "baseline",
    True,
    "bound +0.25 above the margin",
    metric="roc_auc",
    baseline="majority",
    candidate_value=0.8,
    baseline_value=0.5,
    estimate=0.3,
    lower=0.25,
    margin=0.1,
    n=400,
    method="DeLong",
)
ACCURACY = CheckResult(
    "accuracy vs champion",
    "baseline",
    False,
    "bound -0.02 below the margin 0",
    metric="accuracy",
    baseline="champion",
    candidate_value=0.7,
    baseline_value=0.71,
    estimate=-0.01,
    lower=-0.02,
    margin=0.0,
    n=400,
    method="exact McNemar",
)
SMOKE = CheckResult("smoke: 'great dress'", "smoke", True, "as expected")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def external_references(page: str) -> list[str]:
    """Every src/href/url() that would fetch something: anything but data: URIs and #fragments."""
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page) + re.findall(r"url\(([^)]*)\)", page)
    return [ref for ref in refs if not ref.startswith(("data:", "#"))]


def word(page: str) -> tuple[str, str]:
    (found,) = re.findall(r'<span class="word" data-verdict="(\w+)">([^<]*)</span>', page)
    return found


def test_a_passing_verdict_says_pass_in_a_word_beside_its_icon_with_both_pictures():
    evaluation = binary_evaluation()
    verdict = Verdict(results=[AUC, SMOKE], run="TrainFlow/7", champion=None)
    page = card_page.verdict_page(
        verdict, task="TrainFlow/7/train/2", source="modelgate_verdict", plot=card.plot_data(evaluation)
    )
    assert word(page) == ("pass", "PASS")
    assert '<span class="icon" aria-hidden="true">✅</span>' in page  # decoration: the word is the signal
    assert page.count("<svg") == 1 and 'role="img"' in page  # the forest plot, inline
    assert "roc_auc vs majority: the difference against the margin +0.1" in page  # its text is text
    assert page.count('<img src="data:image/png;base64,') == 1  # the ROC curves
    assert "none yet" in page  # no champion
    assert f'content="{card_page.CSP}"' in page and "<script" not in page
    assert external_references(page) == []
    assert "Not on record" not in page and "On record" in page  # the section, with the caller's note


def test_a_failing_verdict_says_fail_and_why():
    verdict = Verdict(results=[AUC, ACCURACY], run="TrainFlow/8", champion="TrainFlow/5")
    page = card_page.verdict_page(verdict, task="TrainFlow/8/end/3", source="gate_verdict", plot_note="no scores")
    assert word(page) == ("fail", "FAIL")
    assert '<span class="detail">1 of 2 checks failed</span>' in page
    assert "<code>TrainFlow/5</code>" in page  # the champion
    assert "bound -0.02 below the margin 0" in page  # why, in the failures table
    assert '<tr class="outcome-fail"><td class="outcome">FAIL</td>' in page
    assert "no scores" in page and "data:image/png" not in page  # no plot without scores, said


def test_a_verdict_without_one_says_error():
    verdict = Verdict(results=[AUC], run="TrainFlow/9", error="the tags could not be read")
    page = card_page.verdict_page(verdict, task="TrainFlow/9/end/3", source="gate_verdict")
    assert word(page) == ("error", "ERROR")
    assert "no verdict (the tags could not be read)" in page


def test_a_stored_status_wins_over_the_results():
    """A pytest verdict whose tag decision said no: every check passed, the verdict failed."""
    verdict = Verdict(results=[AUC], run="TrainFlow/9")
    page = card_page.verdict_page(verdict, task="t", source="gate_verdict", status="fail")
    assert word(page) == ("fail", "FAIL") and '<span class="icon" aria-hidden="true">❌</span>' in page


def test_user_text_is_text_never_markup():
    hostile = CheckResult(
        '<script>alert("x")</script>',
        "smoke",
        False,
        "<img src=https://example.com/x.png> & \x1b[31m",
    )
    verdict = Verdict(results=[hostile], run='F/1"><b>')
    record = {"front_end": "@gate", "user": "<i>mallory</i>", "tag": {"name": "<t>", "action": "none"}}
    page = card_page.verdict_page(verdict, task="F/1/end/3", source="gate_verdict", records=[record])
    assert "<script" not in page and "<img src=https" not in page and "<i>mallory" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "\\x1b[31m" in page  # a control character shown as its escape
    assert external_references(page) == []


def test_the_records_are_shown_with_their_provenance():
    verdict = Verdict(results=[AUC], run="TrainFlow/7")
    record = {
        "id": "abc123",
        "time": 0,
        "front_end": "@gate",
        "user": "alice",
        "modelgate_version": "0.1.0",
        "config_hash": "sha256:1111",
        "data_fingerprint": "sha256:2222",
        "champion": None,
        "tag": {"name": "deployment_candidate", "action": "apply", "reason": "every gated task passed"},
    }
    page = card_page.verdict_page(verdict, task="t", source="modelgate_verdict", records=[record], records_where="here")
    for shown in ("@gate", "alice", "0.1.0", "sha256:1111", "sha256:2222", "abc123", "1970-01-01 00:00:00 UTC"):
        assert shown in page
    assert "deployment_candidate: apply" in page and "every gated task passed" in page


def test_without_matplotlib_the_forest_plot_is_text(monkeypatch):
    monkeypatch.setattr(card_page, "_matplotlib_missing", lambda: True)
    verdict = Verdict(results=[AUC, ACCURACY], run="TrainFlow/8")
    page = card_page.verdict_page(verdict, task="t", source="gate_verdict", plot=card.plot_data(binary_evaluation()))
    assert "<svg" not in page and "data:image/png" not in page
    assert "matplotlib is not installed" in page
    assert "every row" in page  # forest_text's rows, in a <pre>
    assert re.search(r"<pre>[^<]*roc_auc vs majority: the difference", page)


def test_no_verdict_says_so():
    page = card_page.no_verdict_page("F/1/start/1", ["modelgate_verdict", "gate_verdict"], "why <not>")
    assert word(page) == ("none", "NO VERDICT")
    assert "no verdict in this task" in page and "<code>modelgate_verdict</code> or <code>gate_verdict</code>" in page
    assert "why &lt;not&gt;" in page and external_references(page) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("PASS", ("PASS", "")),
        ("FAIL (1 of 2 checks failed)", ("FAIL", "1 of 2 checks failed")),
        ("ERROR, no verdict (tags unreadable)", ("ERROR", "no verdict (tags unreadable)")),
    ],
)
def test_headline(text, expected):
    assert card_page.headline(text) == expected


# --- PlotData: what the card's figure draws, kept as an artifact ------------------------------


@pytest.mark.parametrize("make", [binary_evaluation, multiclass_evaluation, regression_evaluation])
def test_plot_data_draws_the_same_figure_as_its_evaluation(make):
    evaluation = make()
    kept = card.PlotData.from_dict(card.plot_data(evaluation).to_dict())
    assert kept.task == evaluation.task and kept.n == evaluation.n

    def texts(figure):  # every title and legend entry (ROC curves: each with its AUC)
        return [text for ax in figure.axes for text in [ax.get_title(), *ax.get_legend_handles_labels()[1]]]

    assert texts(card.task_figure(kept)) == texts(card.task_figure(evaluation))
    np.testing.assert_array_equal(kept.candidate, evaluation.candidate)


def test_plot_data_keeps_only_the_scored_baselines():
    evaluation = binary_evaluation()
    kept = card.plot_data(evaluation)
    assert kept.scored_baselines() == evaluation.scored_baselines()
    assert all(isinstance(v, np.ndarray) for v in kept.to_dict()["baselines"].values())


def test_plot_data_refuses_anything_else():
    with pytest.raises(ValueError, match="not the plot data"):
        card.PlotData.from_dict({"labels": [1]})


# --- card_type: a finished task's artifacts and metadata ---------------------------------------


@dataclass
class Datum:
    name: str
    type: str
    value: str


@dataclass
class StoredArtifact:
    data: Any


@dataclass
class FakeTask:
    """What card_type reads of a metaflow.Task: ``name in task``, ``task[name].data``, its
    pathspec and metadata."""

    artifacts: dict[str, Any]
    pathspec: str = "TrainFlow/7/end/3"
    metadata: list[Datum] = field(default_factory=list)

    def __contains__(self, name: str) -> bool:
        return name in self.artifacts

    def __getitem__(self, name: str) -> StoredArtifact:
        return StoredArtifact(self.artifacts[name])


def record_of(verdict: dict, **fields) -> Datum:
    record = {"id": "r1", "time": 1.0, "front_end": "@gate", "verdict": verdict, **fields}
    return Datum("modelgate-record-r1", "modelgate-record", json.dumps(record, sort_keys=True, default=str))


def test_the_card_reads_modelgate_verdict_before_gate_verdict():
    passing = Verdict(results=[AUC], run=None).to_dict()
    failing = Verdict(results=[ACCURACY], run=None).to_dict()
    page = card_type.render_task(FakeTask({"modelgate_verdict": passing, "gate_verdict": failing}))
    assert word(page) == ("pass", "PASS") and "the artifact <code>modelgate_verdict</code>" in page
    page = card_type.render_task(FakeTask({"gate_verdict": failing}))
    assert word(page) == ("fail", "FAIL")
    page = card_type.render_task(FakeTask({"modelgate_verdict": passing, "mine": failing}), artifact="mine")
    assert word(page) == ("fail", "FAIL") and "<code>mine</code>" in page


def test_a_task_without_a_verdict_gets_a_no_verdict_card():
    page = card_type.render_task(FakeTask({"model": object()}, pathspec="TrainFlow/7/start/1"))
    assert word(page) == ("none", "NO VERDICT") and "TrainFlow/7/start/1" in page


@pytest.mark.parametrize(
    "stored, said",
    [
        ("PASS", "it holds str, not a verdict"),
        ({"results": [{"nom": "x"}]}, "a result of it is not a check&#x27;s"),
    ],
)
def test_an_artifact_that_is_no_verdict_gets_a_no_verdict_card_saying_why(stored, said):
    page = card_type.render_task(FakeTask({"gate_verdict": stored}))
    assert word(page) == ("none", "NO VERDICT")
    assert "The artifact &#x27;gate_verdict&#x27; is no verdict" in page and said in page


def test_the_card_shows_the_records_of_its_verdict_only():
    verdict = Verdict(results=[AUC], run=None).to_dict()
    other = Verdict(results=[ACCURACY], run=None).to_dict()
    task = FakeTask(
        {"modelgate_verdict": verdict, "modelgate_tag": "deployment_candidate"},
        metadata=[
            record_of(verdict, user="alice", config_hash="sha256:aaaa"),
            record_of(other, user="bob", config_hash="sha256:bbbb"),
            Datum("user", "user", "alice"),  # Metaflow's own metadata: not a record
        ],
    )
    page = card_type.render_task(task)
    assert "alice" in page and "sha256:aaaa" in page
    assert "bob" not in page and "sha256:bbbb" not in page
    assert "Recorded in the metadata of this task, TrainFlow/7/end/3." in page
    assert "<dt>tag</dt><dd>deployment_candidate</dd>" in page


def test_without_a_record_on_the_task_the_card_looks_in_the_gated_run(monkeypatch):
    verdict = Verdict(results=[AUC], run="CandidateFlow/3").to_dict()
    there = json.loads(record_of(verdict, front_end="GateFlow").value)
    monkeypatch.setattr(card_type.records_io, "history", lambda run: [there] if run == "CandidateFlow/3" else [])
    page = card_type.render_task(FakeTask({"gate_verdict": verdict, "data_fingerprint": "sha256:ffff"}))
    assert "Recorded in the metadata of the gated run CandidateFlow/3." in page and "GateFlow" in page

    def unreadable(run):
        raise OSError("no such run")

    monkeypatch.setattr(card_type.records_io, "history", unreadable)
    page = card_type.render_task(FakeTask({"gate_verdict": verdict, "data_fingerprint": "sha256:ffff"}))
    assert word(page) == ("pass", "PASS")  # a record that cannot be read is said, never an error
    assert "Not on record yet" in page and "OSError: no such run" in page
    assert "sha256:ffff" in page  # the data fingerprint, known without a record


def test_the_task_plot_comes_from_modelgate_plot():
    evaluation = binary_evaluation()
    verdict = Verdict(results=[AUC], run=None).to_dict()
    plot = card.plot_data(evaluation).to_dict()
    page = card_type.render_task(FakeTask({"modelgate_verdict": verdict, "modelgate_plot": plot}))
    assert "ROC curves on 400 validation rows" in page and page.count("data:image/png") == 1
    page = card_type.render_task(FakeTask({"modelgate_verdict": verdict}))
    assert "No scores in this task to draw" in page and "data:image/png" not in page
    page = card_type.render_task(FakeTask({"modelgate_verdict": verdict, "modelgate_plot": "junk"}))
    assert "holds no plot" in page


# --- found by a hostile review -------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: {**d, "status": "pass"},  # the stored status says pass, the results fail
        lambda d: {**d, "status": "pass", "results": []},  # no result at all
    ],
)
def test_a_stored_pass_the_results_do_not_back_is_never_shown_as_pass(tamper):
    failing = Verdict(results=[ACCURACY], run="TrainFlow/7").to_dict()
    page = card_type.render_task(FakeTask({"modelgate_verdict": tamper(failing)}))
    assert word(page)[1] != "PASS"


def test_a_verdict_with_text_where_numbers_go_is_no_verdict_not_a_traceback():
    failing = Verdict(results=[ACCURACY], run="TrainFlow/7").to_dict()
    failing["results"][0]["estimate"] = "a lot"
    page = card_type.render_task(FakeTask({"modelgate_verdict": failing}))
    assert word(page)[1] in ("NO VERDICT", "FAIL", "ERROR")
