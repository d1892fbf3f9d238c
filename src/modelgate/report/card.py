"""A Metaflow card for a verdict: the verdict, the table, and one figure for the task.

The figure follows ``evaluation.task`` (:func:`task_figure`):

- binary: ROC curves of the candidate and of every baseline whose scores are at
  hand (:func:`roc_figure`);
- multiclass: the candidate's confusion matrix (:func:`confusion_figure`): counts
  of validation rows by actual class (rows) and predicted class (columns, the
  argmax of the candidate's probabilities), named by ``evaluation.classes``;
- regression: predicted vs actual with the line y = x, and the residuals
  (actual - predicted) against the prediction with the line y = 0
  (:func:`regression_figure`).

Many rows stay readable. The regression panels draw each row as a translucent
point up to :data:`SCATTER_MAX_ROWS` rows; above that, a hexagonal binning of all
rows with log-scaled counts, so no row is dropped and dense regions show as
dense. The confusion matrix writes each count in its cell up to
:data:`ANNOTATE_MAX_CLASSES` classes and shows colour alone beyond, with a figure
that grows with the number of classes. ROC curves keep only their corners
(scikit-learn's ``drop_intermediate``), whatever the number of rows.

Imports Metaflow's card components and matplotlib lazily, so it costs nothing
unless a step with ``@card`` calls it. The figures are plain matplotlib
``Figure`` objects, not managed by pyplot: no backend is switched and no
window opens; closing them is optional.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..names import BINARY, CANDIDATE, MAJORITY, MULTICLASS, REGRESSION
from ..text import printable
from .forest import FOREST_MAX_PANELS as FOREST_MAX_PANELS  # the caps, shared with the Markdown report
from .forest import FOREST_MAX_ROWS as FOREST_MAX_ROWS
from .forest import forest_panels, left_out_note
from .render import HEADER, PASSED_INCONCLUSIVE, _row, inconclusive_passed, verdict_icon, verdict_word

if TYPE_CHECKING:  # imported lazily at run time
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from metaflow.cards import MetaflowCardComponent

    from ..evidence.evaluation import Evaluation
    from ..verdict import Verdict

SCATTER_MAX_ROWS = 5_000  # regression: more rows than this are drawn as a hexbin, not as points
ANNOTATE_MAX_CLASSES = 25  # multiclass: more classes than this show colour without the counts
_HEXBIN_GRID = 50  # hexagons across the x axis


class _Card(Protocol):
    """What the card is appended to: ``current.card`` (or ``current.card[id]``)."""

    def append(self, component: Any, /) -> object: ...


class Scores(Protocol):
    """What the task's figures read: an :class:`~modelgate.evidence.evaluation.Evaluation`,
    or the :class:`PlotData` kept of one."""

    @property
    def labels(self) -> np.ndarray: ...
    @property
    def candidate(self) -> np.ndarray: ...
    @property
    def baselines(self) -> Mapping[str, Any]: ...
    @property
    def baseline_runs(self) -> Mapping[str, str]: ...
    @property
    def task(self) -> str: ...
    @property
    def classes(self) -> tuple[Any, ...]: ...
    @property
    def n(self) -> int: ...
    def scored_baselines(self) -> list[str]: ...


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def roc_figure(evaluation: Scores) -> Figure:
    """Binary: ROC curves of the candidate and every scored baseline on the same rows.

    A curve that cannot be drawn (labels of one class only, a non-finite score)
    is left out, and the title says why."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fig = _figure(5, 5)
    ax = fig.subplots()
    labels = np.asarray(evaluation.labels)
    curves = {
        CANDIDATE: evaluation.candidate,
        **{name: evaluation.baselines[name] for name in evaluation.scored_baselines()},
    }
    skipped = []
    for name, scores in curves.items():
        scores = np.asarray(scores, dtype=float)
        if len(np.unique(labels)) < 2 or not np.all(np.isfinite(scores)):
            skipped.append(name)
            continue
        fpr, tpr, _ = roc_curve(labels, scores)
        run = evaluation.baseline_runs.get(name)
        label = f"{name}{f' ({run})' if run else ''}: AUC {roc_auc_score(labels, scores):.3f}"
        ax.plot(fpr, tpr, label=label, linestyle="--" if name == MAJORITY else "-")
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.5)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    title = f"ROC curves on the validation rows (n={evaluation.n})"
    if skipped:
        title += f"\nnot drawn (one class or non-finite scores): {', '.join(skipped)}"
    ax.set_title(title, fontsize=9 if skipped else 10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    return fig


def _class_names(evaluation: Scores, k: int) -> list[str]:
    classes = list(evaluation.classes)
    return [str(c) for c in classes] if len(classes) == k else [str(i) for i in range(k)]


def confusion_counts(evaluation: Scores) -> np.ndarray:
    """Multiclass: the candidate's confusion matrix, ``counts[actual, predicted]``
    (k x k, class codes 0..k-1), predicting the argmax of each row's probabilities."""
    scores = np.asarray(evaluation.candidate, dtype=float)
    if scores.ndim != 2:
        raise ValueError(f"multiclass scores are an n x k matrix, not an array of shape {scores.shape}")
    actual = np.asarray(evaluation.labels, dtype=int)
    k = max(scores.shape[1], len(evaluation.classes), int(actual.max(initial=-1)) + 1)
    predicted = np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=1)  # a NaN is never the prediction
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (actual, predicted), 1)
    return counts


def confusion_figure(evaluation: Scores) -> Figure:
    """Multiclass: the candidate's confusion matrix on the validation rows, in counts.

    Rows are the actual classes, columns the predicted ones (argmax), both named
    by ``evaluation.classes`` in score-column order; the diagonal is the correct
    predictions. Counts are written in the cells up to :data:`ANNOTATE_MAX_CLASSES`
    classes. The title gives the candidate's accuracy and the majority class's."""
    counts = confusion_counts(evaluation)
    k = counts.shape[0]
    names = _class_names(evaluation, k)
    side = float(min(max(5.0, 0.45 * k + 2.5), 20.0))
    fig = _figure(side + 1, side)
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues", interpolation="nearest", vmin=0)  # colour from 0: a count's share
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="rows")
    tilt = max(map(len, names), default=0) > 3
    ax.set_xticks(
        range(k),
        names,
        rotation=45 if tilt else 0,
        ha="right" if tilt else "center",
        fontsize=8 if k <= ANNOTATE_MAX_CLASSES else 6,
    )
    ax.set_yticks(range(k), names, fontsize=8 if k <= ANNOTATE_MAX_CLASSES else 6)
    if k <= ANNOTATE_MAX_CLASSES:
        dark = counts > counts.max() / 2 if counts.size else counts.astype(bool)
        for (i, j), count in np.ndenumerate(counts):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8, color="white" if dark[i, j] else "black")
    ax.set_xlabel("predicted class (candidate)")
    ax.set_ylabel("actual class")
    n = int(counts.sum())
    accuracy = np.trace(counts) / n if n else float("nan")
    majority = counts.sum(axis=1).max() / n if n else float("nan")
    ax.set_title(
        f"Confusion matrix on the validation rows (n={n})\n"
        f"candidate accuracy {accuracy:.3f}, majority class {majority:.3f}",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def _density(ax: Axes, x: np.ndarray, y: np.ndarray) -> None:
    """Every row: translucent points up to SCATTER_MAX_ROWS, a log-count hexbin above."""
    if len(x) > SCATTER_MAX_ROWS:
        bins = ax.hexbin(x, y, gridsize=_HEXBIN_GRID, bins="log", mincnt=1, cmap="viridis", linewidths=0)
        ax.figure.colorbar(bins, ax=ax, label="rows (log scale)")
    else:
        alpha = float(np.clip(300 / max(len(x), 1), 0.15, 0.8))
        ax.scatter(x, y, s=8, alpha=alpha, linewidths=0)


def regression_figure(evaluation: Scores) -> Figure:
    """Regression: predicted vs actual (with y = x: on it, a prediction is exact), and
    residuals, actual - predicted, against the prediction (with y = 0).

    Non-finite predictions are left out and counted in the title. Up to
    :data:`SCATTER_MAX_ROWS` rows are points, more a hexbin of log counts."""
    actual = np.asarray(evaluation.labels, dtype=float)
    predicted = np.asarray(evaluation.candidate, dtype=float)
    finite = np.isfinite(actual) & np.isfinite(predicted)
    actual, predicted = actual[finite], predicted[finite]
    residual = actual - predicted
    fig = _figure(10, 4.8)
    scatter, residuals = fig.subplots(1, 2)

    _density(scatter, actual, predicted)
    if len(actual):
        low = float(min(actual.min(), predicted.min()))
        high = float(max(actual.max(), predicted.max()))
        scatter.plot([low, high], [low, high], color="grey", linewidth=1, label="y = x")
        scatter.legend(loc="upper left", fontsize=7)
    scatter.set_xlabel("actual")
    scatter.set_ylabel("predicted (candidate)")
    mae = float(np.mean(np.abs(residual))) if len(residual) else float("nan")
    rmse = float(np.sqrt(np.mean(residual**2))) if len(residual) else float("nan")
    scatter.set_title(f"Predicted vs actual (n={len(actual)})\nMAE {mae:.4g}, RMSE {rmse:.4g}", fontsize=10)

    _density(residuals, predicted, residual)
    residuals.axhline(0.0, color="grey", linewidth=1)
    residuals.set_xlabel("predicted (candidate)")
    residuals.set_ylabel("residual (actual - predicted)")
    dropped = int(np.sum(~finite))
    note = f"\n{dropped} non-finite rows not drawn" if dropped else ""
    residuals.set_title(f"Residuals{note}", fontsize=10)
    fig.tight_layout()
    return fig


TASK_FIGURES: dict[str, Callable[[Scores], Figure]] = {
    BINARY: roc_figure,
    MULTICLASS: confusion_figure,
    REGRESSION: regression_figure,
}


@dataclass(frozen=True)
class PlotData:
    """What :func:`task_figure` draws, and nothing else: the labels, the candidate's scores and
    the scores of every baseline at hand, on the validation rows, as plain arrays.

    A verdict's evaluation holds the models, the scorer and the frame too; this is the part a
    figure reads, small enough to keep as an artifact beside the verdict (``@gate`` stores it
    as ``modelgate_plot``, a dict of :meth:`to_dict`) and picklable anywhere, so the card
    type draws the task's figure after the task has finished, from the datastore."""

    labels: np.ndarray
    candidate: np.ndarray
    baselines: dict[str, np.ndarray] = field(default_factory=dict)
    baseline_runs: dict[str, str] = field(default_factory=dict)
    task: str = BINARY
    classes: tuple[Any, ...] = ()

    @property
    def n(self) -> int:
        return len(self.labels)

    def scored_baselines(self) -> list[str]:
        return list(self.baselines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (numpy arrays, strings): what ``@gate`` stores as ``modelgate_plot``."""
        return {
            "task": self.task,
            "labels": self.labels,
            "candidate": self.candidate,
            "baselines": dict(self.baselines),
            "baseline_runs": dict(self.baseline_runs),
            "classes": list(self.classes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlotData:
        """The plot data of :meth:`to_dict`; a ValueError for anything else."""
        try:
            return cls(
                labels=np.asarray(data["labels"]),
                candidate=np.asarray(data["candidate"]),
                baselines={str(k): np.asarray(v) for k, v in dict(data.get("baselines") or {}).items()},
                baseline_runs={str(k): str(v) for k, v in dict(data.get("baseline_runs") or {}).items()},
                task=str(data.get("task", BINARY)),
                classes=tuple(data.get("classes") or ()),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not the plot data of a verdict ({type(exc).__name__}: {exc})") from None


def plot_data(evaluation: Evaluation) -> PlotData:
    """The part of ``evaluation`` that :func:`task_figure` draws (no model, no scorer, no
    frame): the labels, the candidate's scores and every scored baseline's."""
    baselines = {name: np.asarray(evaluation.baselines[name]) for name in evaluation.scored_baselines()}
    runs = {name: str(run) for name, run in evaluation.baseline_runs.items() if name in baselines and run}
    return PlotData(
        labels=np.asarray(evaluation.labels),
        candidate=np.asarray(evaluation.candidate),
        baselines=baselines,
        baseline_runs=runs,
        task=getattr(evaluation, "task", BINARY),
        classes=tuple(evaluation.classes),
    )


def task_figure(evaluation: Scores) -> Figure:
    """The card's figure for ``evaluation.task``: ROC curves, a confusion matrix, or
    predicted vs actual with residuals."""
    task = getattr(evaluation, "task", BINARY)
    try:
        draw = TASK_FIGURES[task]
    except KeyError:
        raise ValueError(f"no card figure for task {task!r}; known tasks: {', '.join(TASK_FIGURES)}") from None
    return draw(evaluation)


FOREST_ROW_INCHES = 0.32  # the forest plot's height per row
_OUTCOME_COLOURS = {"pass": "tab:green", "fail": "tab:red", "inconclusive": "tab:gray"}


def forest_figure(verdict: Verdict) -> Figure | None:
    """Every margin check and floor as its estimate and one-sided bound against its margin
    or floor (a forest plot), one panel per check with its slices under it, coloured by
    outcome (green pass, red fail, grey inconclusive, hollow without a bound). None when
    the verdict holds no such check. The panels and their caps are the Markdown report's
    too (:func:`modelgate.report.forest.forest_panels`)."""
    panels, left_out = forest_panels(verdict)
    if not panels:
        return None
    heights = [len(panel.rows) + 1 for panel in panels]
    fig = _figure(7, max(2.0, FOREST_ROW_INCHES * sum(heights) + 0.6))
    axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, panel in zip(axes, panels, strict=True):
        rows = panel.rows
        for i, r in enumerate(rows):
            y = len(rows) - 1 - i
            colour = _OUTCOME_COLOURS.get(r.outcome, "tab:gray")
            if r.point is not None:
                if r.bound is not None:
                    ax.plot([r.bound, r.point], [y, y], color=colour, linewidth=2)
                ax.plot([r.point], [y], "o", color=colour, markerfacecolor=colour if r.bounded else "white")
        labels = [f"{r.label} (n={r.n:,}) {r.outcome.upper()}" if r.n is not None else r.outcome.upper() for r in rows]
        ax.axvline(panel.limit, color="black", linestyle="--", linewidth=1)
        if panel.floor:
            title = f"{panel.name}: {panel.metric} against its floor {panel.limit:g}"
        else:
            what = "relative difference" if panel.relative else "difference"
            title = f"{panel.name}: the {what} against the margin {panel.limit:+g}"
        ax.set_title(title, fontsize=8, loc="left")
        ax.set_yticks(range(len(rows) - 1, -1, -1), labels, fontsize=7)
        ax.set_ylim(-0.8, len(rows) - 0.2)
        ax.tick_params(axis="x", labelsize=7)
    title = "Forest plot: estimate (dot) and one-sided bound (line) against the dashed margin"
    if left_out:
        title += f"\n({left_out_note(left_out)})"
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def add_verdict_card(card: _Card, verdict: Verdict) -> None:
    """Append the verdict to a Metaflow card (``current.card`` in a ``@card`` step):
    a heading, the run, champion and tag, the verdict table, the failures, the
    inconclusive checks that passed (``on_inconclusive = "pass"``), the forest plot
    of the margins and floors (:func:`forest_figure`), and the task's figure
    (:func:`task_figure`) when the verdict carries its evaluation.

    User text (names, messages, run ids, the tag line) goes into table cells,
    which the card shows as plain text: its Markdown shows character references
    and backslash escapes as typed, so only the heading, which holds none, is Markdown.
    """
    from metaflow.cards import Image, Markdown, Table

    word = verdict_word(verdict)
    card.append(Markdown(f"## modelgate: {verdict_icon(verdict)} {word.split(' (')[0]}"))  # no user text in Markdown
    champion = verdict.champion or "none yet"
    summary = [word, verdict.run or "-", champion, verdict.tag_line or "-"]
    card.append(Table([[printable(c) for c in summary]], headers=["verdict", "run", verdict.champion_label, "tag"]))
    # Table's rows are an (invariant) list of lists of str or components.
    rows: list[list[str | MetaflowCardComponent]] = [[printable(c) for c in _row(r)] for r in verdict.results]
    card.append(Table(rows, headers=["result", *HEADER[1:]]))
    failures: list[list[str | MetaflowCardComponent]] = [
        [printable(r.name), printable(r.message, keep_newlines=True)] for r in verdict.failures
    ]
    if failures:  # an inconclusive check that failed too: its message starts with INCONCLUSIVE
        card.append(Table(failures, headers=["failed", "why"]))
    let_pass: list[list[str | MetaflowCardComponent]] = [
        [printable(r.name), printable(r.message, keep_newlines=True)] for r in inconclusive_passed(verdict)
    ]
    if let_pass:  # on_inconclusive = "pass": passed, with this warning
        card.append(Table(let_pass, headers=[f"inconclusive, {PASSED_INCONCLUSIVE}", "why"]))
    forest = forest_figure(verdict)
    if forest is not None:
        card.append(Image.from_matplotlib(forest))
    if verdict.evaluation is not None:
        fig = task_figure(verdict.evaluation)
        card.append(Image.from_matplotlib(fig))
