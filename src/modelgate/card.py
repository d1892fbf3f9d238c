"""A Metaflow card for a verdict: the verdict, the table, and ROC curves.

Imports Metaflow's card components and matplotlib lazily, so it costs nothing
unless a step with ``@card`` calls it.
"""

from __future__ import annotations

from .checks import Verdict
from .report import HEADER, _row, verdict_markdown


def roc_figure(evaluation):
    """ROC curves of the candidate and every baseline on the same rows."""
    import matplotlib

    matplotlib.use("Agg")  # no display inside a step
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_auc_score, roc_curve

    fig, ax = plt.subplots(figsize=(5, 5))
    curves = {"candidate": evaluation.candidate, **{name: evaluation.baselines[name] for name in evaluation.baselines}}
    for name, scores in curves.items():
        fpr, tpr, _ = roc_curve(evaluation.labels, scores)
        run = evaluation.baseline_runs.get(name)
        label = f"{name}{f' ({run})' if run else ''}: AUC {roc_auc_score(evaluation.labels, scores):.3f}"
        ax.plot(fpr, tpr, label=label, linestyle="--" if name == "majority" else "-")
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.5)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curves on the validation rows")
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    return fig


def add_verdict_card(card, verdict: Verdict) -> None:
    """Append the verdict to a Metaflow card (``current.card`` in a ``@card`` step)."""
    from metaflow.cards import Image, Markdown, Table

    card.append(Markdown(verdict_markdown(verdict)))
    card.append(Table([_row(r) for r in verdict.results], headers=["result", *HEADER[1:]]))
    if verdict.evaluation is not None:
        import matplotlib.pyplot as plt

        fig = roc_figure(verdict.evaluation)
        card.append(Image.from_matplotlib(fig))
        plt.close(fig)
