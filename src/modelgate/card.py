"""A Metaflow card for a verdict: the verdict, the table, and ROC curves.

Imports Metaflow's card components and matplotlib lazily, so it costs nothing
unless a step with ``@card`` calls it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .names import CANDIDATE, MAJORITY
from .verdict import Verdict
from .report import HEADER, _row, verdict_markdown

if TYPE_CHECKING:  # imported lazily at run time
    from matplotlib.figure import Figure
    from metaflow.cards import MetaflowCardComponent

    from .evaluation import Evaluation


class _Card(Protocol):
    """What the card is appended to: ``current.card`` (or ``current.card[id]``)."""

    def append(self, component: Any, /) -> object: ...


def roc_figure(evaluation: Evaluation) -> Figure:
    """ROC curves of the candidate and every baseline on the same rows."""
    import matplotlib

    matplotlib.use("Agg")  # no display inside a step
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_auc_score, roc_curve

    fig, ax = plt.subplots(figsize=(5, 5))
    curves = {CANDIDATE: evaluation.candidate, **{name: evaluation.baselines[name] for name in evaluation.scored_baselines()}}
    for name, scores in curves.items():
        fpr, tpr, _ = roc_curve(evaluation.labels, scores)
        run = evaluation.baseline_runs.get(name)
        label = f"{name}{f' ({run})' if run else ''}: AUC {roc_auc_score(evaluation.labels, scores):.3f}"
        ax.plot(fpr, tpr, label=label, linestyle="--" if name == MAJORITY else "-")
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.5)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curves on the validation rows")
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    return fig


def add_verdict_card(card: _Card, verdict: Verdict) -> None:
    """Append the verdict to a Metaflow card (``current.card`` in a ``@card`` step)."""
    from metaflow.cards import Image, Markdown, Table

    card.append(Markdown(verdict_markdown(verdict)))
    # Table's rows are an (invariant) list of lists of str or components.
    rows: list[list[str | MetaflowCardComponent]] = [list(_row(r)) for r in verdict.results]
    card.append(Table(rows, headers=["result", *HEADER[1:]]))
    if verdict.evaluation is not None:
        import matplotlib.pyplot as plt

        fig = roc_figure(verdict.evaluation)
        card.append(Image.from_matplotlib(fig))
        plt.close(fig)
