"""Gating inside a flow: the example's end step gates itself, with a card; the
prediction flow picks the deployed model."""

import base64
import json
import re

import pytest

from helpers import EXAMPLES, example_module, run_flow, untag_flow, user_tags
from modelgate.metaflow_io.runs import get_run, global_namespace, load_artifact
from modelgate.names import DEFAULT_TAG

FLOW = EXAMPLES / "nlpflow.py"

pytestmark = pytest.mark.slow  # every test trains the example NLPFlow (TensorFlow)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    """The demo data as parquet files, and a training file with every label flipped."""
    train, valid = example_module("demo_data").demo_frames()
    folder = tmp_path_factory.mktemp("demo")
    train.to_parquet(folder / "train.parquet")
    valid.to_parquet(folder / "valid.parquet")
    train.assign(labels=1 - train["labels"]).to_parquet(folder / "train_inverted.parquet")
    return folder


@pytest.fixture(scope="module")
def self_gated_run(demo_files):
    import keras  # noqa: F401

    untag_flow("NLPFlow")  # no champion: these runs are judged against the majority only
    return run_flow(
        FLOW, epochs=3, train_data=str(demo_files / "train.parquet"), valid_data=str(demo_files / "valid.parquet")
    )


def test_flow_tags_itself_when_its_gate_passes(self_gated_run):
    assert DEFAULT_TAG in user_tags(self_gated_run)
    verdict = load_artifact(self_gated_run, "gate_verdict")
    assert verdict["passed"] is True
    assert {r["name"] for r in verdict["results"]} >= {"roc_auc-vs-majority-margin+0.1", "tutorial-poor-fit-baggy"}
    assert load_artifact(self_gated_run, "beats_baseline") is True
    assert load_artifact(self_gated_run, "passed_smoke_test") is True
    import modelgate

    (record,) = [r for r in modelgate.history(self_gated_run) if r["front_end"] == "Gate"]  # the end step's Gate
    assert record["passed"] is True and record["tag"]["action"] == "none"
    assert [r["name"] for r in record["verdict"]["results"]] == [r["name"] for r in verdict["results"]]


def test_flow_with_an_inverted_model_does_not_tag_itself(demo_files):
    import keras  # noqa: F401

    run = run_flow(
        FLOW,
        epochs=3,
        train_data=str(demo_files / "train_inverted.parquet"),
        valid_data=str(demo_files / "valid.parquet"),
    )
    assert DEFAULT_TAG not in user_tags(run)
    verdict = load_artifact(run, "gate_verdict")
    assert verdict["passed"] is False
    failed = {r["name"] for r in verdict["results"] if not r["passed"]}
    assert "roc_auc-vs-majority-margin+0.1" in failed
    assert load_artifact(run, "beats_baseline") is False


def test_the_card_shows_the_verdict_and_roc_curves(self_gated_run, samples_dir):
    from metaflow.cards import get_cards

    with global_namespace():
        cards = get_cards(get_run(self_gated_run)["end"].task, id="gate")
        assert len(cards) == 1
        html = cards[0].get()
    (samples_dir / "gate-card.html").write_text(html)
    # the card's components travel as base64 JSON inside the page
    encoded = re.search(r'__MF_DATA__\["[^"]+"\] = "([^"]+)"', html).group(1)
    content = json.dumps(json.loads(base64.b64decode(encoded)), ensure_ascii=False)
    assert "## modelgate: ✅ PASS" in content
    assert "roc_auc vs majority" in content
    assert "data:image/png;base64" in content  # the ROC curves


def test_in_flow_gate_gives_the_same_verdict_as_the_pytest_gate(gate_suite, self_gated_run, samples_dir):
    from modelgate import Gate

    gate = Gate.from_config(EXAMPLES / "pyproject.toml")
    model_dict = load_artifact(self_gated_run, "model_dict")
    val_df = load_artifact(self_gated_run, "val_df")
    in_memory = gate.evaluate(model_dict, val_df, run=self_gated_run)

    result = gate_suite.run(
        self_gated_run,
        str(EXAMPLES / "gate"),
        "--gate-dry-run",
        "--gate-report",
        "verdict.json",
        "--gate-markdown",
        "verdict.md",
    )
    result.assert_outcomes(passed=25)
    from_pytest = json.loads((gate_suite.path / "verdict.json").read_text())
    for name in ("verdict.json", "verdict.md"):
        (samples_dir / f"example-{name}").write_bytes((gate_suite.path / name).read_bytes())
    # 3 checks, 6 slice checks, 3 properties, 12 smoke cases, and the suite's one plain test (pytest only)
    assert [r["group"] for r in from_pytest["results"]].count("test") == 1
    from_pytest["results"] = [r for r in from_pytest["results"] if r["group"] != "test"]
    assert len(from_pytest["results"]) == 24
    assert [(r.name, r.passed) for r in in_memory.results] == [(r["name"], r["passed"]) for r in from_pytest["results"]]
    assert [round(r.estimate or 0, 12) for r in in_memory.results] == [
        round(r["estimate"] or 0, 12) for r in from_pytest["results"]
    ]


def test_prediction_flow_uses_the_newest_deployed_model(self_gated_run):
    run = run_flow(EXAMPLES / "predictflow.py")
    assert load_artifact(run, "model_run") == self_gated_run
    good, bad, _ = load_artifact(run, "predictions")
    assert good > 0.5 > bad
