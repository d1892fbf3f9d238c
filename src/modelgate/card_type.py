"""``@card(type="modelgate")``: the card Metaflow draws of a task's verdict.

The card type itself is registered with Metaflow by the namespace package
``metaflow_extensions.modelgate`` (installed with modelgate); its ``render(task)``
calls :func:`render_task`, which reads the finished task and draws the page of
:mod:`modelgate.report.card_page`.

Where the card finds things, all in the task it is attached to:

- **the verdict**: the artifact ``modelgate_verdict`` (``@gate`` stores it on the
  step it gates; the steps after it inherit it, ``end`` included), else
  ``gate_verdict`` (the name the examples and ``GateFlow`` keep
  ``Verdict.to_dict()`` under), else ``options={"artifact": NAME}`` names one. A task
  with none gets a "no verdict in this task" card, not an error;
- **the task's plot**: the artifact ``modelgate_plot`` (``@gate`` stores it: the
  labels and scores the figure draws, :class:`~modelgate.report.card.PlotData`);
- **the records**: the verdict's records (:mod:`modelgate.metaflow_io.records`) in
  the task's metadata, else in the gated run's (``GateFlow`` records on the
  candidate's end task; ``@gate`` on a middle step records on ``end`` once the run
  has succeeded, after that step's card is drawn). Only the records of this verdict
  are shown: the same results, to the number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .metaflow_io import records as records_io
from .report import card_page
from .verdict import CheckResult, Verdict

__all__ = ["PLOT_ARTIFACT", "VERDICT_ARTIFACTS", "render_task", "verdict_from_dict"]

VERDICT_ARTIFACTS = ("modelgate_verdict", "gate_verdict")  # @gate's, then the in-flow Gate's and GateFlow's
PLOT_ARTIFACT = "modelgate_plot"
TAG_ARTIFACT = "modelgate_tag"
FINGERPRINT_ARTIFACTS = ("modelgate_data_fingerprint", "data_fingerprint")  # @gate's, GateFlow's

NO_PLOT = (
    f"No scores in this task to draw: @gate keeps them as the artifact {PLOT_ARTIFACT!r}; a step of your "
    f"own keeps modelgate.report.card.plot_data(verdict.evaluation).to_dict() under that name."
)


def verdict_from_dict(data: Any) -> Verdict:
    """The :class:`Verdict` of a stored ``Verdict.to_dict()``; a ValueError for anything else."""
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), (list, tuple)):
        raise ValueError(f"it holds {type(data).__name__!s}, not a verdict (a dict of Verdict.to_dict())")
    try:
        results = [CheckResult.from_dict(dict(r)) for r in data["results"]]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a result of it is not a check's ({exc})") from None
    for r in results:  # a tampered dict: a word where a number or a yes/no goes is no verdict
        numbers = (r.estimate, r.lower, r.margin, r.candidate_value, r.baseline_value, r.mde, r.confidence)
        if not isinstance(r.passed, bool) or any(
            v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))) for v in numbers
        ):
            raise ValueError(f"the result {r.name!r} holds text where a number or true/false goes")
    return Verdict(results=results, run=data.get("run"), champion=data.get("champion"), error=data.get("error") or "")


def _artifact(task: Any, name: str) -> Any:
    return task[name].data if name in task else None


def _same(a: Any, b: Any) -> bool:
    """Two verdicts as JSON (as a record stores one): the same results, to the number."""

    def plain(v: Any) -> str:
        return json.dumps(json.loads(json.dumps(v, sort_keys=True, default=str)), sort_keys=True)

    try:
        return plain(a) == plain(b)
    except (TypeError, ValueError):
        return False


def _of(found: list[dict[str, Any]], verdict: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records of ``verdict`` among ``found``, and those that correct them (a tag write
    that failed after the record: :func:`~modelgate.metaflow_io.records.tag_not_written`)."""
    mine = [_same(r.get("verdict"), verdict) for r in found]
    ids = {r.get("id") for r, same in zip(found, mine, strict=True) if same}
    return [r for r, same in zip(found, mine, strict=True) if same or (r.get("corrects") or None) in ids - {None}]


def _records(task: Any, verdict: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str, str]:
    """The records of ``verdict``: in the task's metadata, else in the gated run's; (records,
    where they were found, what to say when there are none)."""
    here = _of(records_io.records_of(task), verdict)
    if here:
        return here, f"Recorded in the metadata of this task, {task.pathspec}.", ""
    run = verdict.get("run")
    note = (
        "Not on record yet. @gate records the verdict of a middle step on the run's end task once the run "
        "has succeeded (a card on end shows it); the pytest gate and GateFlow on the candidate's end task."
    )
    if not isinstance(run, str) or run.count("/") != 1:
        return [], "", note
    try:
        there = _of(records_io.history(run), verdict)
    except Exception as exc:  # the run is gone, or the metadata cannot be read: said, never raised
        return [], "", f"{note} ({run}'s records could not be read: {type(exc).__name__}: {exc})"
    return there, f"Recorded in the metadata of the gated run {run}.", note


def render_task(task: Any, artifact: str | None = None) -> str:
    """The card's HTML for a finished Metaflow task (a ``metaflow.Task``): its verdict, or a
    "no verdict in this task" page. ``artifact`` names the verdict's artifact (default: the
    first of :data:`VERDICT_ARTIFACTS` the task has)."""
    names = (artifact,) if artifact else VERDICT_ARTIFACTS
    source = next((name for name in names if name in task), None)
    if source is None:
        return card_page.no_verdict_page(task.pathspec, names)
    data = task[source].data
    try:
        verdict = verdict_from_dict(data)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # a tampered or foreign dict
        return card_page.no_verdict_page(task.pathspec, names, f"The artifact {source!r} is no verdict: {exc}.")

    plot, plot_note = None, NO_PLOT
    stored = _artifact(task, PLOT_ARTIFACT)
    if stored is not None:
        from .report.card import PlotData

        try:
            plot = PlotData.from_dict(stored)
        except ValueError as exc:
            plot_note = f"The artifact {PLOT_ARTIFACT!r} holds no plot: {exc}."

    found, where, note = _records(task, data)
    tag = ""
    if TAG_ARTIFACT in task:  # @gate's end task: what it tagged
        tagged = _artifact(task, TAG_ARTIFACT)
        tag = str(tagged) if tagged else "not tagged"
    fingerprint = next((str(_artifact(task, n)) for n in FINGERPRINT_ARTIFACTS if n in task), None)
    return card_page.verdict_page(
        verdict,
        task=task.pathspec,
        source=source,
        status=data.get("status"),
        records=found,
        records_where=where,
        records_note=note,
        plot=plot,
        plot_note=plot_note,
        tag=tag,
        data_fingerprint=fingerprint,
    )
