"""The evidence a gate decides on: labels and scores, computed once.

An :class:`Evaluation` holds the validation labels, the candidate's scores and
the scores of each baseline on the same rows (paired), so every check reads
the same numbers and the model is scored once per session, not once per test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import GateUsageError

CANDIDATE = "candidate"
MAJORITY = "majority"


def validation_rows(frame, text_column: str, label_column: str) -> tuple[list[str], np.ndarray]:
    """Texts and 0/1 labels from a validation frame, or a one-line GateUsageError.

    Refuses: a frame without the named columns, an empty frame, labels other
    than 0/1 (bools and 0.0/1.0 are accepted), missing or non-string texts.
    """
    columns = getattr(frame, "columns", None)
    if columns is None:
        raise GateUsageError(
            f"validation data is a {type(frame).__name__}, not a data frame with columns "
            f"{text_column!r} and {label_column!r}"
        )
    missing = [c for c in (text_column, label_column) if c not in columns]
    if missing:
        raise GateUsageError(
            f"validation data has no column {missing[0]!r} (columns: {', '.join(map(str, columns))}); "
            "set --text-column / --label-column"
        )
    if len(frame) == 0:
        raise GateUsageError("validation data is empty: there is nothing to gate on")
    raw_labels = frame[label_column]
    if raw_labels.isna().any():
        raise GateUsageError(f"label column {label_column!r} has missing values")
    values = set(np.unique(np.asarray(raw_labels, dtype=object)).tolist())
    if not values <= {0, 1}:  # True == 1 and 1.0 == 1, so bools and floats pass
        shown = ", ".join(repr(v) for v in sorted(values, key=repr)[:5])
        raise GateUsageError(f"label column {label_column!r} is not binary 0/1: values {shown}")
    texts = frame[text_column].tolist()
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise GateUsageError(
            f"text column {text_column!r} holds a {type(texts[bad]).__name__} at row {bad}, not text"
        )
    return texts, np.asarray(raw_labels, dtype=int)


def majority_class(labels) -> int:
    """The more frequent label (1 on a tie, as the tutorial's all-ones baseline)."""
    labels = np.asarray(labels)
    return int(2 * labels.sum() >= len(labels))


def majority_scores(labels) -> np.ndarray:
    """The majority-class baseline: the same score, that class, for every row."""
    return np.full(len(labels), float(majority_class(labels)))


class LazyScores(Mapping[str, np.ndarray]):
    """Baseline scores computed on first use, then kept: a champion model is
    loaded and scored only if some check compares against it."""

    def __init__(self, makers: Mapping[str, Callable[[], np.ndarray] | np.ndarray]) -> None:
        self._makers = dict(makers)
        self._done: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._done:
            made = self._makers[name]
            self._done[name] = np.asarray(made if isinstance(made, np.ndarray) else made(), dtype=float)
        return self._done[name]

    def __iter__(self):
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


@dataclass(frozen=True)
class Evaluation:
    """Labels, the candidate's scores and the baselines' scores, on the same rows.

    ``absent`` names baselines that do not exist (``"champion"`` before the
    first deployment) with the reason; ``require_baselines`` says whether a
    check against one fails (True) or passes by default (False).
    ``baseline_runs`` maps baseline names to the Metaflow runs they came from.
    """

    labels: np.ndarray
    candidate: np.ndarray
    baselines: Mapping[str, np.ndarray] = field(default_factory=dict)
    texts: Sequence[str] = ()
    absent: Mapping[str, str] = field(default_factory=dict)
    require_baselines: bool = False
    baseline_runs: Mapping[str, str] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.labels)

    def scores(self, name: str) -> np.ndarray:
        """Scores of ``"candidate"`` or of a named baseline."""
        if name == CANDIDATE:
            return self.candidate
        try:
            return self.baselines[name]
        except KeyError:
            known = ", ".join(sorted(self.baselines)) or "none"
            raise KeyError(f"no baseline named {name!r} in this evaluation (baselines: {known})") from None


def evaluate(
    scorer: Callable[[Sequence[str]], np.ndarray],
    texts: Sequence[str],
    labels,
    baselines: Mapping[str, Callable[[Sequence[str]], np.ndarray] | np.ndarray] | None = None,
    **extra,
) -> Evaluation:
    """Score the candidate now and every baseline on first use, on the same rows.

    ``baselines`` maps names to scorers or to precomputed score arrays; the
    majority-class baseline is always there as ``"majority"``. ``extra`` goes
    to :class:`Evaluation` (``absent``, ``require_baselines``, ``baseline_runs``).
    """
    labels = np.asarray(labels, dtype=int)
    texts = tuple(texts)
    makers: dict[str, Callable[[], np.ndarray] | np.ndarray] = {MAJORITY: majority_scores(labels)}
    for name, baseline in (baselines or {}).items():
        if isinstance(baseline, np.ndarray):
            makers[name] = baseline
        else:
            makers[name] = lambda baseline=baseline: baseline(texts)
    return Evaluation(
        labels=labels,
        candidate=np.asarray(scorer(texts), dtype=float),
        baselines=LazyScores(makers),
        texts=texts,
        **extra,
    )
