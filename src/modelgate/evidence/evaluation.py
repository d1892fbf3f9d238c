"""The evidence a gate decides on: labels, inputs, scores, computed once.

An :class:`Evaluation` holds the task, the
validation labels and inputs, the candidate's scorer and its scores, and the
scores of each baseline on the same rows (paired, computed on first use), so
every check reads the same numbers and the model is scored once per session,
not once per test.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import tables
from ..errors import GateDataWarning, GateUsageError
from ..names import (
    ALL_FEATURES,
    BINARY,
    CANDIDATE,
    INCONCLUSIVE_FAILS,
    MAJORITY,
    MEAN,
    MEDIAN,
    MULTICLASS,
    ON_INCONCLUSIVE,
    REGRESSION,
)
from .tasks import check_binary, positive_labels

# inputs (a list of texts, or a DataFrame of feature columns) -> the task's output:
# (n,) probabilities (binary), (n, k) probabilities (multiclass), (n,) numbers (regression)
Scorer = Callable[[Any], np.ndarray]


def _column_names(columns, limit: int = 6) -> str:
    names = [str(c) for c in columns]
    shown = ", ".join(n if len(n) <= 30 else n[:27] + "..." for n in names[:limit])
    return shown + (f", ... ({len(names)} columns)" if len(names) > limit else "")


def _warn_about_duplicates(frame, texts: list[str], labels: np.ndarray, text_column: str, label_column: str) -> None:
    """Duplicates count as independent rows: n grows and the bounds narrow. Say so."""
    repeats = len(texts) - len(set(texts))  # cheap first pass: most frames repeat no text
    if repeats:
        repeats = len(texts) - len(set(zip(texts, labels.tolist())))
    if repeats:
        warnings.warn(
            f"validation data has {repeats} duplicate rows (same text and label): each copy counts "
            "as a separate row, which inflates n and narrows the confidence bounds; drop copies "
            f"with frame.drop_duplicates([{text_column!r}, {label_column!r}])",
            GateDataWarning,
            stacklevel=3,
        )
    _warn_about_duplicate_index(frame)


def _warn_about_duplicate_index(frame) -> None:
    index = getattr(frame, "index", None)
    duplicated = getattr(index, "duplicated", None)
    if callable(duplicated):
        repeats = int(np.sum(duplicated()))
        if repeats:
            warnings.warn(
                f"validation data has {repeats} duplicate index labels: was it concatenated from "
                "overlapping parts (pd.concat without ignore_index)? Repeated rows inflate n and "
                "narrow the confidence bounds",
                GateDataWarning,
                stacklevel=4,
            )


def _frame_columns(frame, needed: Sequence[str], hint: str) -> list:
    """The frame's columns, after refusing a non-frame, a missing or a doubled needed column, and no rows."""
    columns = getattr(frame, "columns", None)
    if columns is None:
        raise GateUsageError(
            f"validation data is a {type(frame).__name__}, not a data frame with columns "
            + " and ".join(repr(c) for c in needed[:4])
        )
    columns = list(columns)
    missing = [c for c in needed if c not in columns]
    if missing:
        raise GateUsageError(
            f"validation data has no column {missing[0]!r} (columns: {_column_names(columns)}); {hint}"
        )
    for name in dict.fromkeys(needed):
        count = columns.count(name)
        if count > 1:
            raise GateUsageError(
                f"validation data has {count} columns named {name!r}; keep one "
                "(e.g. frame.loc[:, ~frame.columns.duplicated()])"
            )
    if len(frame) == 0:
        raise GateUsageError("validation data is empty: there is nothing to gate on")
    return columns


def _text_rows(frame, text_column: str, label_column: str) -> tuple[list[str], Any]:
    _frame_columns(frame, (text_column, label_column), "set text_column / label_column")
    raw_labels = frame[label_column]
    texts = frame[text_column].tolist()
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise GateUsageError(f"text column {text_column!r} holds a {type(texts[bad]).__name__} at row {bad}, not text")
    return texts, raw_labels


def validation_rows(frame, text_column: str, label_column: str) -> tuple[list[str], np.ndarray]:
    """Texts and 0/1 labels from a validation frame, or a one-line GateUsageError:
    the binary text gate's reading (:func:`validation_inputs` plus
    0/1 labels, 1 positive), for code that knows it gates a
    binary text model.

    Refuses: a frame without the named columns or with two columns of one of
    those names, an empty frame, labels other than 0/1 numbers (bools and
    0.0/1.0 are accepted; strings such as ``"1"``, lists and dicts are not),
    missing or non-string texts. Messages show at most a few values, shortened.
    Warns (:class:`GateDataWarning`, rows unchanged) about duplicate rows and a
    duplicate index, which make the confidence bounds narrower than they are.
    """
    _frame_columns(frame, (text_column, label_column), "set text_column / label_column")
    if frame[label_column].isna().any():
        raise GateUsageError(f"label column {label_column!r} has missing values")
    check_binary(frame[label_column], label_column)  # 0/1 only: this reading names no positive class
    labels = positive_labels(frame[label_column], 1)
    texts, _ = _text_rows(frame, text_column, label_column)
    _warn_about_duplicates(frame, texts, labels, text_column, label_column)
    return texts, labels


def feature_rows(frame, feature_columns: Sequence[str], label_column: str) -> tuple[Any, Any]:
    """The feature columns as a DataFrame (in the given order; ``["*"]``: every
    column but the label) and the raw labels; a one-line GateUsageError for a
    missing, doubled or label feature column, or no rows. Warns about
    duplicate rows and a duplicate index, as :func:`validation_rows` does."""
    if list(feature_columns) == [ALL_FEATURES]:
        columns = _frame_columns(frame, (label_column,), "set label_column")
        feature_columns = [c for c in columns if c != label_column]
        if not feature_columns:
            raise GateUsageError(f"validation data has no column besides the label {label_column!r}")
    if label_column in feature_columns:
        raise GateUsageError(f"feature_columns includes the label column {label_column!r}")
    _frame_columns(frame, (*feature_columns, label_column), "check feature_columns / label_column")
    features = frame.loc[:, list(feature_columns)]
    rows = frame.loc[:, [*feature_columns, label_column]]
    try:
        repeats = int(rows.duplicated().sum())
    except TypeError:  # a cell pandas cannot hash: an array (embeddings), a list
        from .scorers import hashable

        repeats = int(hashable(rows).duplicated().sum())
    if repeats:
        warnings.warn(
            f"validation data has {repeats} duplicate rows (same features and label): each copy counts "
            "as a separate row, which inflates n and narrows the confidence bounds",
            GateDataWarning,
            stacklevel=3,
        )
    _warn_about_duplicate_index(frame)
    return features, frame[label_column]


def validation_inputs(frame, settings: Any) -> tuple[Any, Any]:
    """(inputs, raw labels) for ``settings`` (a :class:`~modelgate.config.GateSettings`):
    the text column as a list of texts, or the feature columns as a DataFrame.
    The labels are read for the task by :func:`modelgate.tasks.labels_for_task`."""
    if settings.feature_columns:
        return feature_rows(frame, settings.feature_columns, settings.label_column)
    texts, raw_labels = _text_rows(frame, settings.text_column, settings.label_column)
    _warn_about_duplicates(frame, texts, raw_labels.to_numpy(), settings.text_column, settings.label_column)
    return texts, raw_labels


def count_units(groups: np.ndarray | None, selected: np.ndarray) -> int:
    """How many independent units the ``selected`` rows (a mask or indices) are: rows, or with
    ``groups`` (one code a row) their groups; copies of a row in its group are no more evidence."""
    chosen = np.asarray(selected)
    if chosen.dtype == bool:
        chosen = np.flatnonzero(chosen)
    return int(chosen.size) if groups is None else len(np.unique(np.asarray(groups)[chosen]))


def row_groups(frame, column: str, label_column: str) -> np.ndarray:
    """``group_column``: each row's group as a code 0..G-1 (rows of one user, one customer),
    or a one-line GateUsageError for a missing or doubled column, the label column, a
    missing group or a value that is not hashable (a list)."""
    if column == label_column:
        raise GateUsageError(f"group_column is the label column {label_column!r}; name the column of the groups")
    _frame_columns(frame, (column,), "set group_column")
    values = frame[column]
    missing = int(values.isna().sum())
    if missing:
        raise GateUsageError(
            f"group_column {column!r} is missing on {missing} of {len(values)} rows: every row needs its group"
        )
    import pandas as pd  # the frame is one: pandas is loaded

    try:
        codes, uniques = pd.factorize(values)
    except TypeError:
        raise GateUsageError(f"group_column {column!r} holds values that are not hashable (lists?)") from None
    # Codes in the groups' sorted order, not their first appearance: the cluster bootstrap
    # draws groups by code, so the same groups must get the same codes in any row order.
    keys = [(type(u).__name__, u) for u in uniques]
    try:
        order = sorted(range(len(keys)), key=lambda i: keys[i])
    except TypeError:  # values that do not sort together: by their text
        order = sorted(range(len(keys)), key=lambda i: (keys[i][0], str(keys[i][1])))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[np.asarray(codes, dtype=np.int64)]


def majority_class(labels) -> int:
    """The more frequent label (1 on a tie, as the tutorial's all-ones baseline).

    The majority *baseline* is the class prior (:func:`majority_scores`); on an
    exact tie its prior 0.5 thresholds to 0, so there the two differ."""
    labels = np.asarray(labels)
    return int(2 * labels.sum() >= len(labels))


def class_prior(codes, n_classes: int) -> np.ndarray:
    """The share of each class (codes 0..k-1) in the labels, in class order."""
    codes = np.asarray(codes, dtype=int)
    counts = np.bincount(codes, minlength=n_classes).astype(float)
    return counts / max(len(codes), 1)


def constant_baselines(task: str, labels, n_classes: int = 2) -> dict[str, np.ndarray]:
    """The baselines computed from the validation labels alone (as the tutorial's
    all-ones baseline is): for classification ``majority``, the class prior as
    every row's probabilities; for regression ``mean`` and ``median`` of the
    targets as every row's prediction."""
    n = len(labels)
    if task == REGRESSION:
        y = np.asarray(labels, dtype=float)
        return {MEAN: np.full(n, float(np.mean(y))), MEDIAN: np.full(n, float(np.median(y)))}
    if task == MULTICLASS:
        return {MAJORITY: np.tile(class_prior(labels, n_classes), (n, 1))}
    return {MAJORITY: majority_scores(labels)}


def majority_scores(labels) -> np.ndarray:
    """The majority baseline: the class prior (the share of positives in the
    validation labels) as every row's probability.

    Thresholded at 0.5 it predicts the majority class, so its accuracy and AUC
    (0.5) are the majority class's; as a probability it is the best constant
    model, so log loss and Brier score compare against a real no-skill
    baseline. (On an exact 50/50 tie it predicts 0 for every row.)
    """
    labels = np.asarray(labels, dtype=float)
    return np.full(len(labels), labels.mean() if len(labels) else 0.0)


def read_only(values: Any) -> Any:
    """A read-only view of an array (anything else as it is): the evidence is shared by
    every check of a session, so a test that changed it in place would change the
    verdicts of the tests after it. The caller's own array stays writable."""
    if isinstance(values, np.ndarray) and values.flags.writeable:
        values = values.view()
        values.flags.writeable = False
    return values


class LazyScores(Mapping[str, np.ndarray]):
    """Baseline scores computed on first use, then kept: a champion model is
    loaded and scored only if some check compares against it."""

    def __init__(self, makers: Mapping[str, Callable[[], np.ndarray] | np.ndarray]) -> None:
        self._makers = dict(makers)
        self._done: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._done:
            made = self._makers[name]
            self._done[name] = read_only(np.asarray(made if isinstance(made, np.ndarray) else made(), dtype=float))
        return self._done[name]

    def ready(self) -> list[str]:
        """The names whose scores need no more work."""
        return [n for n, made in self._makers.items() if n in self._done or isinstance(made, np.ndarray)]

    def __iter__(self):
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


class RowsOf(Mapping[str, np.ndarray]):
    """Some rows of each baseline's scores, taken when first asked for (a champion no
    check of a slice compares with is never scored for it)."""

    def __init__(self, scores: Mapping[str, np.ndarray], rows: np.ndarray) -> None:
        self._scores, self._rows = scores, rows

    def __getitem__(self, name: str) -> np.ndarray:
        return read_only(self._scores[name][self._rows])

    def ready(self) -> list[str]:
        ready = getattr(self._scores, "ready", None)
        return ready() if ready is not None else list(self._scores)

    def __iter__(self):
        return iter(self._scores)

    def __len__(self) -> int:
        return len(self._scores)


@dataclass(frozen=True)
class Evaluation:
    """The evidence: labels, inputs, the candidate's scorer and scores, and the
    baselines' scores, on the same rows.

    ``scorer`` scores new inputs (smoke cases, perturbed texts) with the
    candidate, cached; ``task`` is the prediction task (:data:`~modelgate.names.TASKS`).
    The inputs are ``texts`` (one text column) or ``features`` (a pandas
    DataFrame of the feature columns; ``texts`` is then empty).

    Per task: binary labels are 0/1 and scores one probability a row;
    multiclass labels are codes 0..k-1 into ``classes`` (the candidate model's
    class values, in its column order) and scores an (n, k) matrix; regression
    labels and scores are floats. ``absent`` names baselines that do not exist (``"champion"`` before the
    first deployment) with the reason; ``require_baselines`` says whether a
    check against one fails (True) or passes by default (False).
    ``on_inconclusive`` says what a margin or floor check does when the data
    cannot decide (its bound is inconclusive): ``"fail"`` (the default) or
    ``"pass"`` (with a warning in the reports); a defect (a NaN score) fails under both.
    ``baseline_runs`` maps baseline names to the Metaflow runs they came from.
    """

    labels: np.ndarray
    candidate: np.ndarray
    baselines: Mapping[str, np.ndarray] = field(default_factory=dict)
    texts: Sequence[str] = ()
    absent: Mapping[str, str] = field(default_factory=dict)
    require_baselines: bool = False
    on_inconclusive: str = INCONCLUSIVE_FAILS
    baseline_runs: Mapping[str, str] = field(default_factory=dict)
    scorer: Scorer | None = field(default=None, repr=False, compare=False)
    task: str = BINARY
    features: Any = field(default=None, repr=False, compare=False)  # a DataFrame, or None for texts
    classes: tuple[Any, ...] = ()  # multiclass: the class value of each score column
    # The validation frame the rows came from (slices read their columns from it), or None.
    frame: Any = field(default=None, repr=False, compare=False)
    # Each row's group (``group_column``: rows of one user, one customer), or None when the
    # rows are independent; every bound is then cluster-aware (modelgate.stats.clusters).
    groups: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        tables.one_of("on_inconclusive", self.on_inconclusive, ON_INCONCLUSIVE)
        object.__setattr__(self, "labels", read_only(self.labels))
        object.__setattr__(self, "candidate", read_only(self.candidate))
        if self.groups is not None:
            object.__setattr__(self, "groups", read_only(np.asarray(self.groups)))
            if len(self.groups) != len(self.labels):
                raise ValueError(f"groups has {len(self.groups)} values for {len(self.labels)} rows")

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def inputs(self) -> Any:
        """What the model receives for the validation rows: the feature frame, or the texts."""
        return self.features if self.features is not None else self.texts

    def scored_baselines(self) -> list[str]:
        """Names of the baselines whose scores are at hand: given as arrays, or
        computed because a check compared with them (never loads a model)."""
        ready = getattr(self.baselines, "ready", None)
        names = ready() if ready is not None else list(self.baselines)
        return [name for name in names if name not in self.absent]

    @property
    def candidate_scorer(self) -> Scorer:
        """The candidate's scorer, for inputs other than the validation rows."""
        if self.scorer is None:
            raise ValueError("this evaluation has no scorer: build it with modelgate.evaluate(scorer, ...)")
        return self.scorer

    def column(self, name: str) -> np.ndarray:
        """One column of the validation frame, row by row (a slice's); KeyError when
        there is no frame or no such column."""
        frame = self.frame if self.frame is not None else self.features
        if frame is None or name not in getattr(frame, "columns", ()):
            raise KeyError(name)
        return frame[name].to_numpy(dtype=object)

    def subset(self, rows: np.ndarray) -> Evaluation:
        """The same evidence on some of its rows (indices, in row order): labels, inputs
        and every baseline's scores taken from this evaluation's, so the models are not
        scored again and a baseline fitted to the labels (the majority) stays the one of
        the whole validation set."""
        from dataclasses import replace

        rows = np.asarray(rows, dtype=int)

        def take(frame: Any) -> Any:
            return None if frame is None else frame.iloc[rows]

        return replace(
            self,
            labels=self.labels[rows],
            candidate=self.candidate[rows],
            baselines=RowsOf(self.baselines, rows),
            texts=tuple(self.texts[i] for i in rows) if len(self.texts) else (),
            features=take(self.features),
            frame=take(self.frame),
            groups=None if self.groups is None else self.groups[rows],
        )

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
    scorer: Scorer,
    inputs: Any,
    labels,
    baselines: Mapping[str, Scorer | np.ndarray] | None = None,
    *,
    task: str = BINARY,
    classes: Sequence[Any] = (),
    candidate_scores: np.ndarray | None = None,
    **extra,
) -> Evaluation:
    """Score the candidate now and every baseline on first use, on the same rows.

    ``inputs`` is a sequence of texts or a pandas DataFrame of feature columns.
    ``labels``: 0/1 (binary), codes 0..k-1 into ``classes`` (multiclass) or
    numbers (regression). ``baselines`` maps names to scorers or to
    precomputed score arrays; the label-only baselines of the task
    (:func:`constant_baselines`) are always there. ``extra`` goes to
    :class:`Evaluation` (``absent``, ``require_baselines``, ``on_inconclusive``, ``baseline_runs``).
    ``candidate_scores``: the candidate's scores on these rows, made elsewhere (the scorer
    then scores only other inputs), one a row, in row order.
    """
    labels = np.asarray(labels, dtype=float if task == REGRESSION else int)
    classes = tuple(classes)
    if task == MULTICLASS and not classes:
        raise ValueError("a multiclass evaluation needs classes=: the class value of each score column")
    features = inputs if hasattr(inputs, "columns") else None
    texts: tuple[str, ...] = () if features is not None else tuple(inputs)
    rows = features if features is not None else texts
    if candidate_scores is not None and len(candidate_scores) != len(labels):
        raise ValueError(f"candidate_scores has {len(candidate_scores)} rows for {len(labels)} labels")
    makers: dict[str, Callable[[], np.ndarray] | np.ndarray] = dict(constant_baselines(task, labels, len(classes) or 2))
    for name, baseline in (baselines or {}).items():
        if isinstance(baseline, np.ndarray):
            makers[name] = baseline
        else:
            makers[name] = _deferred(baseline, rows)
    return Evaluation(
        labels=labels,
        candidate=np.asarray(scorer(rows) if candidate_scores is None else candidate_scores, dtype=float),
        baselines=LazyScores(makers),
        texts=texts,
        scorer=scorer,
        task=task,
        features=features,
        classes=classes,
        **extra,
    )


def _deferred(scorer: Scorer, rows: Any) -> Callable[[], np.ndarray]:
    """A baseline's scores on the validation rows, computed when first asked for."""
    return lambda: np.asarray(scorer(rows), dtype=float)
