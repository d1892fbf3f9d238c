"""The Metaflow card per task: ROC curves (binary), a confusion matrix (multiclass),
predicted vs actual with residuals (regression). Plain calls of modelgate.report.card on
evaluations made with modelgate.evidence.evaluation.evaluate: no flow, no Metaflow run."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from sklearn.metrics import confusion_matrix, mean_absolute_error, roc_auc_score

from modelgate.evidence.evaluation import evaluate
from modelgate.report import card
from modelgate.verdict import CheckResult, Verdict

CLASSES = ("setosa", "versicolor", "virginica", "unseen")  # the last class is in no label and never predicted


def binary_evaluation(n=400, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    noisy = np.clip(0.35 * labels + 0.65 * rng.uniform(size=n), 0, 1)
    scores = dict(zip((f"review {i}" for i in range(n)), noisy))
    return evaluate(lambda texts: np.array([scores[t] for t in texts]), list(scores), labels)


def multiclass_evaluation(n=300, seed=1):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    frame = pd.DataFrame({"petal": labels + rng.normal(scale=0.7, size=n), "noise": rng.normal(size=n)})

    def model(features: pd.DataFrame) -> np.ndarray:
        guess = np.clip(np.rint(features["petal"].to_numpy()), 0, 2).astype(int)
        proba = np.full((len(features), 4), 0.05)
        proba[np.arange(len(features)), guess] = 0.85
        return proba

    return evaluate(model, frame, labels, task="multiclass", classes=CLASSES)


def regression_evaluation(n=300, seed=2):
    rng = np.random.default_rng(seed)
    target = rng.gamma(2.0, 10.0, n)
    frame = pd.DataFrame({"rooms": target / 10 + rng.normal(scale=0.3, size=n)})
    return evaluate(lambda features: 10 * features["rooms"].to_numpy() + 1.0, frame, target, task="regression")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# --- binary: ROC curves --------------------------------------------------------------


def test_binary_card_draws_roc_curves_of_the_candidate_and_the_majority():
    evaluation = binary_evaluation()
    fig = card.task_figure(evaluation)
    (ax,) = fig.axes
    assert ax.get_title() == "ROC curves on the validation rows (n=400)"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("false positive rate", "true positive rate")
    auc = roc_auc_score(evaluation.labels, evaluation.candidate)
    assert 0.6 < auc < 1
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"candidate: AUC {auc:.3f}", "majority: AUC 0.500"]
    majority = ax.get_lines()[1]
    assert list(majority.get_xdata()) == [0, 1] and majority.get_linestyle() == "--"


def test_a_roc_curve_that_cannot_be_drawn_is_named_not_raised():
    labels = np.ones(20, dtype=int)  # one class: no ROC curve
    evaluation = evaluate(lambda texts: np.linspace(0, 1, len(texts)), [str(i) for i in range(20)], labels)
    (ax,) = card.roc_figure(evaluation).axes
    assert "not drawn (one class or non-finite scores): candidate, majority" in ax.get_title()
    assert ax.get_legend() is None


# --- multiclass: the confusion matrix ---------------------------------------------------


def test_multiclass_card_is_the_confusion_matrix_of_the_candidates_argmax():
    evaluation = multiclass_evaluation()
    expected = confusion_matrix(evaluation.labels, evaluation.candidate.argmax(axis=1), labels=range(4))
    assert expected[:3, :3].trace() > 150 and expected.sum() == 300  # a real, imperfect model
    assert np.array_equal(card.confusion_counts(evaluation), expected)

    fig = card.task_figure(evaluation)
    ax = fig.axes[0]
    assert np.array_equal(ax.images[0].get_array(), expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(CLASSES)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(CLASSES)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class (candidate)", "actual class")
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text()) for t in ax.texts}
    assert cells == {(i, j): int(expected[i, j]) for i in range(4) for j in range(4)}
    accuracy = np.trace(expected) / expected.sum()
    majority = np.bincount(evaluation.labels).max() / len(evaluation.labels)
    assert ax.get_title() == (
        f"Confusion matrix on the validation rows (n=300)\n"
        f"candidate accuracy {accuracy:.3f}, majority class {majority:.3f}"
    )


def test_many_classes_show_colour_without_counts(monkeypatch):
    monkeypatch.setattr(card, "ANNOTATE_MAX_CLASSES", 3)
    evaluation = multiclass_evaluation(n=50)
    ax = card.confusion_figure(evaluation).axes[0]
    assert len(ax.texts) == 0 and ax.images[0].get_array().sum() == 50


def test_a_matrix_of_scores_is_required_for_a_confusion_matrix():
    evaluation = evaluate(
        lambda rows: np.full(len(rows), 0.5), ["a", "b"], [0, 1], task="multiclass", classes=("x", "y")
    )
    with pytest.raises(ValueError, match="n x k matrix"):
        card.confusion_counts(evaluation)


# --- regression: predicted vs actual, residuals ----------------------------------------


def test_regression_card_shows_predicted_vs_actual_and_residuals():
    evaluation = regression_evaluation()
    actual, predicted = evaluation.labels, evaluation.candidate
    fig = card.task_figure(evaluation)
    scatter, residuals = (ax for ax in fig.axes if ax.get_label() != "<colorbar>")
    mae = mean_absolute_error(actual, predicted)
    rmse = np.sqrt(np.mean((actual - predicted) ** 2))
    assert scatter.get_title() == f"Predicted vs actual (n=300)\nMAE {mae:.4g}, RMSE {rmse:.4g}"
    assert (scatter.get_xlabel(), scatter.get_ylabel()) == ("actual", "predicted (candidate)")
    (points,) = scatter.collections
    assert isinstance(points, PathCollection)
    assert np.allclose(points.get_offsets(), np.column_stack([actual, predicted]))
    (identity,) = scatter.get_lines()
    assert identity.get_label() == "y = x" and np.array_equal(identity.get_xdata(), identity.get_ydata())
    low, high = min(actual.min(), predicted.min()), max(actual.max(), predicted.max())
    assert list(identity.get_xdata()) == pytest.approx([low, high])

    assert residuals.get_title() == "Residuals"
    assert (residuals.get_xlabel(), residuals.get_ylabel()) == (
        "predicted (candidate)",
        "residual (actual - predicted)",
    )
    assert np.allclose(residuals.collections[0].get_offsets(), np.column_stack([predicted, actual - predicted]))
    (zero,) = residuals.get_lines()
    assert list(zero.get_ydata()) == [0, 0]


def test_many_rows_become_a_hexbin_of_every_row(monkeypatch):
    monkeypatch.setattr(card, "SCATTER_MAX_ROWS", 100)
    evaluation = regression_evaluation(n=300)
    fig = card.regression_figure(evaluation)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    for ax in panels:
        (bins,) = ax.collections
        assert isinstance(bins, PolyCollection) and not isinstance(bins, PathCollection)
        assert bins.get_array().sum() == 300  # every row counted: none dropped
        assert type(bins.norm).__name__ == "LogNorm"  # dense regions do not wash out the rest
    assert len(fig.axes) == 4  # a colour bar for each panel


def test_non_finite_predictions_are_counted_not_drawn():
    target = np.arange(10.0)
    evaluation = evaluate(
        lambda frame: np.where(frame["x"] > 7, np.nan, frame["x"]),
        pd.DataFrame({"x": target}),
        target,
        task="regression",
    )
    scatter, residuals = card.regression_figure(evaluation).axes
    assert scatter.get_title().startswith("Predicted vs actual (n=8)\nMAE 0, RMSE 0")
    assert residuals.get_title() == "Residuals\n2 non-finite rows not drawn"


# --- the card ---------------------------------------------------------------------------


def test_an_unknown_task_has_no_figure():
    evaluation = binary_evaluation(n=20)
    object.__setattr__(evaluation, "task", "ranking")
    with pytest.raises(ValueError, match="no card figure for task 'ranking'"):
        card.task_figure(evaluation)


RESULTS = {
    "binary": CheckResult(
        name="roc_auc-vs-majority-margin+0.1",
        group="baseline",
        passed=True,
        message="ok",
        metric="roc_auc",
        baseline="majority",
        candidate_value=0.8,
        baseline_value=0.5,
        estimate=0.3,
        lower=0.2,
        margin=0.1,
        method="DeLong",
        n=400,
    ),
    "multiclass": CheckResult(
        name="log_loss-at-most-0.9",
        group="floor",
        passed=True,
        message="ok",
        metric="log_loss",
        candidate_value=0.5,
        lower=0.6,
        margin=0.9,
        confidence=0.95,
        method="stratified bootstrap",
        n=300,
    ),
    "regression": CheckResult(name="rows", group="test", passed=True, message="", method="passed"),
}
MAKERS = {"binary": binary_evaluation, "multiclass": multiclass_evaluation, "regression": regression_evaluation}
TITLES = {"binary": "ROC curves", "multiclass": "Confusion matrix", "regression": "Predicted vs actual"}


@pytest.mark.parametrize("task", list(MAKERS))
def test_add_verdict_card_appends_summary_table_and_the_tasks_figure(task, monkeypatch, samples_dir):
    from metaflow.cards import Image, Markdown, Table

    evaluation = MAKERS[task]()
    assert evaluation.task == task
    drawn = []
    original = card.TASK_FIGURES[task]

    def spy(e):
        fig = original(e)
        drawn.append(fig)
        return fig

    monkeypatch.setitem(card.TASK_FIGURES, task, spy)
    components = []
    card.add_verdict_card(components, Verdict(results=[RESULTS[task]], run="Flow/1", evaluation=evaluation))
    if task == "regression":  # a plain test only: no margin or floor to draw
        markdown, summary, table, image = components
    else:
        markdown, summary, table, forest, image = components
        assert isinstance(forest, Image) and forest._src.startswith("data:image/png;base64,")
    assert isinstance(markdown, Markdown) and isinstance(table, Table) and isinstance(image, Image)
    assert markdown._text == "## modelgate: ✅ PASS"
    assert summary._headers == ["verdict", "run", "champion", "tag"]
    assert summary._data == [["PASS", "Flow/1", "none yet", "-"]]
    assert table._headers == [
        "result",
        "check",
        "better",
        "model",
        "baseline",
        "diff",
        "bound",
        "margin",
        "mde",
        "method",
    ]
    better = {"binary": "higher", "multiclass": "lower", "regression": "-"}[task]
    assert table._data[0][2] == better
    (fig,) = drawn
    assert fig.axes[0].get_title().startswith(TITLES[task])
    assert image._src.startswith("data:image/png;base64,")
    fig.savefig(samples_dir / f"card-{task}.png")


def test_a_verdict_without_its_evaluation_gets_no_task_figure():
    components = []
    card.add_verdict_card(components, Verdict(results=[RESULTS["binary"]]))
    assert [type(c).__name__ for c in components] == ["Markdown", "Table", "Table", "Image"]  # the forest plot only
    components = []
    card.add_verdict_card(components, Verdict(results=[RESULTS["regression"]]))
    assert [type(c).__name__ for c in components] == ["Markdown", "Table", "Table"]


def test_control_characters_in_names_are_escaped_in_the_card():
    smoke = CheckResult(
        name="boom\x1b[2J\rX",
        group="smoke",
        passed=False,
        message="smoke boom\x1b[2J\rX: wrong",
        candidate_value=0.9,
        margin=0.5,
    )
    components = []
    card.add_verdict_card(components, Verdict(results=[smoke]))
    markdown, summary, table, failures = components
    assert table._data[0][1] == "smoke: boom\\x1b[2J\\rX"
    assert failures._data[0][0] == "boom\\x1b[2J\\rX"
    assert "\x1b" not in markdown._text and "\r" not in markdown._text
    cells = [str(cell) for t in (summary, table, failures) for row in t._data for cell in row]
    assert not any("\x1b" in cell or "\r" in cell for cell in cells)


CHECKS = {  # a margin and a floor per task, with the true direction of each metric
    "binary": [("roc_auc", "majority", True), ("log_loss", None, False)],
    "multiclass": [("macro_f1", "majority", True), ("log_loss", None, False)],
    "regression": [("mae", "mean", False), ("r2", None, True)],
}


@pytest.mark.parametrize("task", list(CHECKS))
def test_a_gated_verdict_of_each_task_shows_directions_in_every_format_and_the_card(task):
    """Real checks on each task's evaluation: the reports and the card agree on each direction."""
    import json

    from modelgate import FloorCheck, MarginCheck
    from modelgate.report.render import verdict_json, verdict_markdown, verdict_table

    evaluation = MAKERS[task]()
    checks = [
        MarginCheck(metric, baseline=baseline, margin=0.0)
        if baseline
        else FloorCheck(metric, **({"at_least": 0.1} if higher else {"at_most": 100.0}))
        for metric, baseline, higher in CHECKS[task]
    ]
    verdict = Verdict(results=[check.evaluate(evaluation) for check in checks], evaluation=evaluation)
    words = ["higher" if higher else "lower" for _, _, higher in CHECKS[task]]

    rows = [line.split() for line in verdict_table(verdict).splitlines()[1:3]]
    (margin_metric, baseline, _), (floor_metric, _, _) = CHECKS[task]
    assert rows[0][1:5] == [margin_metric, "vs", baseline, words[0]]
    assert rows[1][1:4] == [floor_metric, "floor", words[1]]
    markdown = verdict_markdown(verdict)
    assert f" | {margin_metric} vs {baseline} | {words[0]} | " in markdown
    assert f" | {floor_metric} floor | {words[1]} | " in markdown
    data = json.loads(verdict_json(verdict))["results"]
    assert [r["higher_is_better"] for r in data] == [higher for _, _, higher in CHECKS[task]]

    components = []
    card.add_verdict_card(components, verdict)
    assert [row[2] for row in components[2]._data] == words


def test_the_card_shows_the_verdict_table_once_and_user_text_as_written():
    """A real gate on a regressor that breaks its monotonic property: the rendered card
    holds one verdict table, no character reference or numpy repr, and one bound note."""
    import json
    import re

    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression

    from modelgate import FloorCheck, Gate, PropertyCheck

    frame = load_diabetes(as_frame=True, scaled=False).frame.iloc[::2]  # the index is not the row position
    features = frame.drop(columns=["target"])
    model = LinearRegression().fit(features, 400 - frame["target"])  # more bmi, less predicted: not monotonic
    gate = Gate(
        checks=[FloorCheck("mae", at_most=1000.0)],
        task="regression",
        label_column="target",
        feature_columns="*",
        properties=[PropertyCheck("monotonic", column="bmi", direction="increasing", name="bmi <up> & on")],
    )
    verdict = gate.evaluate(model, frame)
    assert not verdict.passed
    components = []
    card.add_verdict_card(components, verdict)
    rendered = [c.render() for c in components]
    text = json.dumps(rendered, ensure_ascii=False)
    assert rendered[0]["source"] == "## modelgate: ❌ FAIL"  # the only Markdown: no user text, no table
    tables = [r for r in rendered if r["type"] == "table" and r["columns"][:2] == ["result", "check"]]
    assert len(tables) == 1 and "mae floor" in text.replace('"', "")
    failed = next(r for r in rendered if r["type"] == "table" and r["columns"] == ["failed", "why"])
    ((name, why),) = failed["data"]
    assert name == "bmi <up> & on" and "raised bmi " in why and " -> " in why
    assert "&gt;" not in text and "&lt;" not in text and "&amp;" not in text and "&#" not in text
    assert "np.int64" not in text and "np.float64" not in text and re.search(r"\(index \d+\)", why)
    floor_row = tables[0]["data"][0]
    assert floor_row[-1] == "mean-loss normal (skew-corrected, upper bound)"


THIN = CheckResult(
    name="roc_auc-at-least-0.8",
    group="floor",
    passed=False,
    message="INCONCLUSIVE: y_true has a single class: AUC is undefined; the check fails",
    metric="roc_auc",
    margin=0.8,
    confidence=0.95,
    method="DeLong (logit)",
    n=30,
    inconclusive=True,
    reason="y_true has a single class: AUC is undefined",
)


def test_the_card_says_inconclusive_and_why_whether_it_failed_or_passed():
    components = []
    card.add_verdict_card(components, Verdict(results=[RESULTS["binary"], THIN]))
    markdown, summary, table, failures, _forest = components
    assert markdown._text == "## modelgate: ❌ FAIL"
    assert summary._data[0][0] == "FAIL (1 of 2 checks inconclusive)"
    assert table._data[1][0] == "INCONCLUSIVE"
    assert failures._headers == ["failed", "why"] and failures._data == [[THIN.name, THIN.message]]

    let_pass = CheckResult(**{**THIN.__dict__, "passed": True, "message": "INCONCLUSIVE: ...; passed"})
    components = []
    card.add_verdict_card(components, Verdict(results=[RESULTS["binary"], let_pass]))
    markdown, summary, table, warned, _forest = components
    assert markdown._text == "## modelgate: ✅ PASS"
    assert summary._data[0][0] == 'PASS (1 check inconclusive, passed because on_inconclusive = "pass")'
    assert warned._headers == ['inconclusive, passed because on_inconclusive = "pass"', "why"]
    assert warned._data == [[THIN.name, let_pass.message]]


def test_the_forest_plot_draws_each_check_with_its_slices_under_it(samples_dir):
    from dataclasses import replace

    auc = RESULTS["binary"]
    loss = RESULTS["multiclass"]
    results = [
        auc,
        loss,
        replace(auc, name="length=short::" + auc.name, slice="length=short", n=150, passed=False, lower=0.05),
        replace(loss, name="length=short::" + loss.name, slice="length=short", n=150, inconclusive=True),
        CheckResult(name="a test", group="test", passed=True, message="", method="passed"),
    ]
    fig = card.forest_figure(Verdict(results=results))
    first, second = fig.axes
    assert [t.get_text() for t in first.get_yticklabels()] == [  # the check, then its slices below it
        "every row (n=400) PASS",
        "length=short (n=150) FAIL",
    ]
    assert [t.get_text() for t in second.get_yticklabels()] == [
        "every row (n=300) PASS",
        "length=short (n=150) INCONCLUSIVE",
    ]
    assert [t.get_position()[1] for t in first.get_yticklabels()] == [1, 0]
    assert first.get_title(loc="left") == "roc_auc-vs-majority-margin+0.1: the difference against the margin +0.1"
    assert second.get_title(loc="left") == "log_loss-at-most-0.9: log_loss against its floor 0.9"
    # The margin is the dashed line; a failing slice's bound reaches below it.
    (margin,) = [line for line in first.get_lines() if line.get_linestyle() == "--"]
    assert margin.get_xdata()[0] == 0.1
    fig.savefig(samples_dir / "card-forest.png")
    assert card.forest_figure(Verdict(results=[results[-1]])) is None


def test_the_forest_plot_of_hundreds_of_slices_stays_a_readable_size():
    from dataclasses import replace

    auc = RESULTS["binary"]
    slices = [replace(auc, name=f"g={i}::{auc.name}", slice=f"g={i}", n=50) for i in range(500)]
    failing = replace(slices[-1], passed=False)
    fig = card.forest_figure(Verdict(results=[auc, *slices[:-1], failing]))
    assert fig.get_size_inches()[1] <= card.FOREST_ROW_INCHES * (card.FOREST_MAX_ROWS + 1) + 1
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == card.FOREST_MAX_ROWS and "g=499 (n=50) FAIL" in labels  # the failing one is drawn
    assert "381 more rows" in fig._suptitle.get_text()
