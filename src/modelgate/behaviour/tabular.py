"""Properties of models over feature columns: invariance to one column, monotonicity in one.

A model over a DataFrame of feature columns is perturbed one column at a time:
set the column to another value (invariance) or raise it (monotonicity). The
examples are drawn with a seeded numpy generator, as for texts, and scored in one
model call (originals and changed rows together). A counterexample is shrunk in
one more call: for a few failing rows, every smaller change is scored at once and
the smallest change that still fails is reported. (Hypothesis would probe one
example per model call, about 90 ms each for a TensorFlow model.)"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from ..evidence.scorers import as_scorer
from ..text import printable
from .reports import BUDGET_CONFIDENCE, Counterexample, RateReport, within_budget

_TASKS = ("binary", "multiclass", "regression")  # modelgate.names.TASKS, without importing names here


_REGRESSION_RTOL = 1e-6  # regression invariance without a tolerance: unchanged up to float rounding


_MAX_SHRINK_ROWS = 25  # failing rows whose smaller changes are scored when shrinking


_MAX_SHRINK_VALUES = 40  # smaller changes tried per row


def _frame_scorer(model: Any) -> Callable[[Any], Any]:
    """A callable ``frame -> outputs``: the model itself when it is callable (the
    evidence's scorer), else :func:`modelgate.scorers.as_scorer`."""
    return model if callable(model) else as_scorer(model)


def _outputs(scorer: Callable[[Any], Any], frame: Any, task: str) -> np.ndarray:
    """The model's outputs for ``frame``: (n,) scores or values, (n, k) for multiclass."""
    out = np.asarray(scorer(frame), dtype=float)
    if out.shape[:1] != (len(frame),):
        raise ValueError(f"the model returned output of shape {out.shape} for {len(frame)} rows")
    if task != "multiclass":
        if out.ndim == 2 and out.shape[1] == 2 and task == "binary":  # (n, 2) probabilities: the positive column
            out = out[:, 1]
        out = out.reshape(len(frame), -1)[:, 0] if out.ndim > 1 else out
    elif out.ndim != 2:
        raise ValueError(f"a multiclass model must return an (n, k) matrix, got shape {out.shape}")
    return out


def _check_task(task: str) -> None:
    if task not in _TASKS:
        raise ValueError(f"task must be one of {', '.join(_TASKS)}, got {task!r}")


def _value_text(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _row_text(frame: Any, position: int, column: str, limit: int = 160) -> str:
    """'validation row 17: bmi=0.0617, age=0.0381, ...': the changed column first."""
    row = frame.iloc[position]
    label = frame.index[position]
    head = f"validation row {position}" + ("" if label == position else f" (index {_value_text(label)})")
    parts = [f"{column}={_value_text(row[column])}"]
    parts += [f"{c}={_value_text(row[c])}" for c in frame.columns if c != column]
    text = f"{head}: " + ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _with_column(frame: Any, positions: np.ndarray, column: str, values: Sequence[Any]) -> Any:
    """Rows ``positions`` of ``frame`` (in order, repeats allowed) with ``column`` set to ``values``."""
    import pandas as pd

    rows = frame.iloc[positions].reset_index(drop=True)
    try:
        rows[column] = pd.Series(list(values), dtype=frame[column].dtype)
    except (TypeError, ValueError):  # e.g. 2.5 into an integer column: keep the values' own type
        rows[column] = list(values)
    return rows


def _draws_report(
    *,
    name: str,
    n: int,
    failing: list[int],
    max_failure_rate: float,
    counterexample: Counterexample | None,
    confidence: float | None,
) -> RateReport:
    return RateReport(
        property=name,
        n_examples=n,
        n_failures=len(failing),
        max_failure_rate=max_failure_rate,
        counterexample=counterexample,
        confidence=confidence,
    )


def _check_rate_args(n_examples: int, max_failure_rate: float) -> None:
    if n_examples < 1:
        raise ValueError(f"n_examples must be at least 1, got {n_examples}")
    if not 0.0 <= max_failure_rate <= 1.0:
        raise ValueError(f"max_failure_rate must be in [0, 1], got {max_failure_rate}")


def _column_invariance_name(column: str, task: str, tolerance: float | None, classes: Sequence[Any]) -> str:
    if task == "binary":
        what = "label at 0.5" if tolerance is None else f"score within {tolerance:g}"
    elif task == "multiclass":
        what = "predicted class" if tolerance is None else f"class probabilities within {tolerance:g}"
    else:
        what = "value unchanged" if tolerance is None else f"value within {tolerance:g}"
    return f"invariance of {column!r} ({what})"


def check_column_invariance_rate(
    model: Any,
    frame: Any,
    column: str,
    *,
    task: str = "binary",
    classes: Sequence[Any] = (),
    values: Sequence[Any] | None = None,
    tolerance: float | None = None,
    n_examples: int = 100,
    max_failure_rate: float = 0.0,
    seed: int = 0,
    confidence: float | None = BUDGET_CONFIDENCE,
) -> RateReport:
    """Changing ``column`` must not change the prediction, on all but ``max_failure_rate`` of ``n_examples``.

    Each example is a row of ``frame`` drawn uniformly and a new value for
    ``column`` drawn uniformly from ``values`` (default: the column's observed
    values) other than the row's own. A failure: binary, the label at 0.5
    flips (with ``tolerance``: the probability moves by more than it);
    multiclass, the predicted class changes (with ``tolerance``: a class
    probability moves by more than it); regression, the value moves by more
    than ``tolerance`` (default: 1e-6 relative). ``model``: a callable
    ``frame -> outputs`` (the evidence's scorer) or a model for
    :func:`~modelgate.scorers.as_scorer`. Two model calls at most: the
    examples, and the shrinking of a counterexample when over budget.
    """
    _check_task(task)
    _check_rate_args(n_examples, max_failure_rate)
    scorer = _frame_scorer(model)
    observed = frame[column]
    pool = list(dict.fromkeys(observed.dropna().tolist() if values is None else list(values)))
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in pool)
    if numeric:
        pool.sort()
    else:  # the most frequent values first: what the report shows first
        counts = observed.value_counts(dropna=True)
        pool.sort(key=lambda v: -int(counts.get(v, 0)))
    index = {v: i for i, v in enumerate(pool)}
    current = np.array([index.get(v, -1) if v == v else -1 for v in observed.tolist()])  # v != v: NaN
    m = len(pool)
    choices = m - (current >= 0)  # how many other values each row can take
    eligible = np.flatnonzero(choices >= 1)
    if len(eligible) == 0:
        raise ValueError(f"no row of {column!r} can be set to another value (values: {pool[:5]!r})")
    rng = np.random.default_rng(seed)
    rows = eligible[rng.integers(len(eligible), size=n_examples)]
    k = rng.integers(0, choices[rows])
    new = np.where((current[rows] >= 0) & (k >= current[rows]), k + 1, k)

    def outputs(positions: np.ndarray, new_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import pandas as pd

        originals = frame.iloc[positions].reset_index(drop=True)
        changed = _with_column(frame, positions, column, [pool[j] for j in new_indices])
        both = _outputs(scorer, pd.concat([originals, changed], ignore_index=True), task)
        return both[: len(positions)], both[len(positions) :]

    def violated(o0: np.ndarray, o1: np.ndarray) -> np.ndarray:
        if task == "multiclass":
            if tolerance is None:
                return np.argmax(o0, axis=1) != np.argmax(o1, axis=1)
            return np.max(np.abs(o1 - o0), axis=1) > tolerance
        if task == "binary" and tolerance is None:
            return (o0 > 0.5) != (o1 > 0.5)
        limit = _REGRESSION_RTOL * np.maximum(1.0, np.abs(o0)) if tolerance is None else tolerance
        return np.abs(o1 - o0) > limit

    def scalar(o0: np.ndarray, o1: np.ndarray) -> tuple[float, float, str]:
        """The scores a report shows, and what happened to a multiclass prediction."""
        if task != "multiclass":
            return float(o0), float(o1), ""
        a, b = int(np.argmax(o0)), int(np.argmax(o1))
        name_of = (lambda j: _value_text(classes[j])) if len(classes) == o0.shape[0] else (lambda j: f"#{j}")
        if a != b:
            what = f"; predicted class {name_of(a)} ({o0[a]:.4f}) -> {name_of(b)} ({o1[b]:.4f})"
        else:
            j = int(np.argmax(np.abs(o1 - o0)))
            what = f"; probability of class {name_of(j)} {o0[j]:.4f} -> {o1[j]:.4f}"
        return float(o0[a]), float(o1[a]), what

    def counterexample(position: int, new_index: int, o0: np.ndarray, o1: np.ndarray, shrunk: bool) -> Counterexample:
        old = observed.iloc[position]
        s0, s1, what = scalar(o0, o1)
        change = f"{printable(column)}: {_value_text(old)} -> {_value_text(pool[new_index])}{what}"
        return Counterexample(
            _row_text(frame, position, column),
            f"the same row with {column}={_value_text(pool[new_index])}",
            s0,
            s1,
            "column",
            change,
            shrunk,
        )

    o0, o1 = outputs(rows, new)
    failing = np.flatnonzero(violated(o0, o1)).tolist()
    found = None
    if failing:
        first = failing[0]
        found = counterexample(int(rows[first]), int(new[first]), o0[first], o1[first], shrunk=False)
        if not within_budget(len(failing), n_examples, max_failure_rate, confidence):
            # Shrink: for a few failing rows, every other value at once; the smallest change that fails.
            seen_rows = list(dict.fromkeys(int(rows[i]) for i in failing))[:_MAX_SHRINK_ROWS]
            probe_rows, probe_values = [], []
            for position in seen_rows:
                own = int(current[position])
                others = [j for j in range(m) if j != own]
                if numeric and own >= 0:
                    others.sort(key=lambda j: abs(float(pool[j]) - float(pool[own])))
                for j in others[:_MAX_SHRINK_VALUES]:
                    probe_rows.append(position)
                    probe_values.append(j)
            p0, p1 = outputs(np.array(probe_rows), np.array(probe_values))
            bad = np.flatnonzero(violated(p0, p1))
            if len(bad):

                def simplicity(i: int) -> tuple[float, int]:
                    position, j = probe_rows[i], probe_values[i]
                    own = int(current[position])
                    size = abs(float(pool[j]) - float(pool[own])) if numeric and own >= 0 else float(j)
                    return size, position

                best = min(bad.tolist(), key=simplicity)
                found = counterexample(probe_rows[best], probe_values[best], p0[best], p1[best], shrunk=True)
    return _draws_report(
        name=_column_invariance_name(column, task, tolerance, classes),
        n=n_examples,
        failing=failing,
        max_failure_rate=max_failure_rate,
        counterexample=found,
        confidence=confidence,
    )


def _monotonic_name(
    column: str, direction: str, task: str, class_index: int | None, classes: Sequence[Any], tolerance: float
) -> str:
    if task == "regression":
        what = "predicted value"
    elif task == "binary" and class_index in (None, 1):
        what = "positive-class probability"
    else:
        label = classes[class_index] if class_index is not None and class_index < len(classes) else class_index
        what = f"probability of class {_value_text(label)}"
    slack = f", tolerance {tolerance:g}" if tolerance else ""
    return f"monotonic {column!r} {direction} ({what}{slack})"


def check_monotonic_rate(
    model: Any,
    frame: Any,
    column: str,
    *,
    task: str = "binary",
    classes: Sequence[Any] = (),
    class_index: int | None = None,
    direction: Literal["increasing", "decreasing"] = "increasing",
    step: float | None = None,
    tolerance: float = 0.0,
    n_examples: int = 100,
    max_failure_rate: float = 0.0,
    seed: int = 0,
    confidence: float | None = BUDGET_CONFIDENCE,
) -> RateReport:
    """Raising ``column`` must not lower (``direction="decreasing"``: raise) the score by more than ``tolerance``.

    Each example is a row of ``frame`` drawn uniformly among those that can be
    raised, and a larger value drawn uniformly from the column's larger observed
    values (or the row's value plus ``step``). The score is the positive-class
    probability (binary; ``class_index=0``: the negative class's), the
    probability of class ``class_index`` (multiclass, required) or the
    predicted value (regression). Rounding (1e-9 relative) never fails it.
    Two model calls at most: the examples, and the shrinking of a
    counterexample (the smallest raise that still fails) when over budget.
    """
    _check_task(task)
    _check_rate_args(n_examples, max_failure_rate)
    if direction not in ("increasing", "decreasing"):
        raise ValueError(f"direction must be 'increasing' or 'decreasing', got {direction!r}")
    if task == "multiclass" and class_index is None:
        raise ValueError("a multiclass monotonic check needs class_index: the class whose probability is watched")
    if step is not None and not step > 0:
        raise ValueError(f"step must be > 0, got {step!r}")
    scorer = _frame_scorer(model)
    observed = np.asarray(frame[column].to_numpy(dtype=float, na_value=np.nan), dtype=float)
    integral = np.issubdtype(frame[column].dtype, np.integer) and (step is None or float(step).is_integer())
    pool = np.unique(observed[np.isfinite(observed)])
    rng = np.random.default_rng(seed)
    if step is None:
        above = np.searchsorted(pool, observed, side="right")  # first larger value; len(pool): none
        eligible = np.flatnonzero(np.isfinite(observed) & (above < len(pool)))
    else:
        eligible = np.flatnonzero(np.isfinite(observed))
    if len(eligible) == 0:
        raise ValueError(f"no row of {column!r} can be raised (no larger observed value; give step=)")
    rows = eligible[rng.integers(len(eligible), size=n_examples)]
    if step is None:
        new = pool[rng.integers(above[rows], len(pool))]
    else:
        new = observed[rows] + step

    def values_of(raised: np.ndarray) -> list[Any]:
        return [int(v) for v in raised] if integral else [float(v) for v in raised]

    def scores(positions: np.ndarray, raised: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import pandas as pd

        originals = frame.iloc[positions].reset_index(drop=True)
        changed = _with_column(frame, positions, column, values_of(raised))
        out = _outputs(scorer, pd.concat([originals, changed], ignore_index=True), task)
        if task == "multiclass":
            out = out[:, class_index]
        elif task == "binary" and class_index == 0:
            out = 1.0 - out
        return out[: len(positions)], out[len(positions) :]

    def violated(s0: np.ndarray, s1: np.ndarray) -> np.ndarray:
        slack = tolerance + 1e-9 * np.maximum(1.0, np.maximum(np.abs(s0), np.abs(s1)))
        return s1 < s0 - slack if direction == "increasing" else s1 > s0 + slack

    def counterexample(position: int, raised: float, s0: float, s1: float, shrunk: bool) -> Counterexample:
        old, new_value = observed[position], values_of(np.array([raised]))[0]
        moved = "lowered" if s1 < s0 else "raised"
        change = f"raised {printable(column)} {_value_text(old)} -> {_value_text(new_value)}, which {moved} the score"
        return Counterexample(
            _row_text(frame, position, column),
            f"the same row with {column}={_value_text(new_value)}",
            s0,
            s1,
            "monotonic",
            change,
            shrunk,
        )

    s0, s1 = scores(rows, new)
    failing = np.flatnonzero(violated(s0, s1)).tolist()
    found = None
    if failing:
        first = failing[0]
        found = counterexample(int(rows[first]), float(new[first]), float(s0[first]), float(s1[first]), shrunk=False)
        if step is None and not within_budget(len(failing), n_examples, max_failure_rate, confidence):
            # Shrink: for a few failing (row, raise) pairs, every smaller observed raise at once.
            probe_rows, probe_values = [], []
            for i in list(dict.fromkeys(failing))[:_MAX_SHRINK_ROWS]:
                position, top = int(rows[i]), float(new[i])
                between = pool[(pool > observed[position]) & (pool <= top)]
                if len(between) > _MAX_SHRINK_VALUES:  # evenly spread, always keeping the failing value
                    keep = np.unique(np.linspace(0, len(between) - 1, _MAX_SHRINK_VALUES).round().astype(int))
                    between = between[keep]
                probe_rows += [position] * len(between)
                probe_values += between.tolist()
            p0, p1 = scores(np.array(probe_rows), np.array(probe_values))
            bad = np.flatnonzero(violated(p0, p1))
            if len(bad):
                best = min(
                    bad.tolist(),
                    key=lambda i: (probe_values[i] - observed[probe_rows[i]], -abs(p1[i] - p0[i]), probe_rows[i]),
                )
                found = counterexample(
                    probe_rows[best], probe_values[best], float(p0[best]), float(p1[best]), shrunk=True
                )
    return _draws_report(
        name=_monotonic_name(column, direction, task, class_index, classes, tolerance),
        n=n_examples,
        failing=failing,
        max_failure_rate=max_failure_rate,
        counterexample=found,
        confidence=confidence,
    )
