"""Group gaps: the spread of one metric between the best and the worst slice of a column.

``[[tool.modelgate.gaps]]`` with ``metric = "accuracy"``, ``column = "segment"`` and
``max_gap = 0.05`` passes when the upper confidence bound of

    gap = max over slices of the metric - min over slices of the metric

is below ``max_gap``: the equal-opportunity style check a fairness review asks
for (with ``metric = "recall"``, the true-positive rate). The slices are those
of a slice table (a column's values, listed ``values``, ``bins``, or
``text_length``). The bound is simultaneous: every slice gets a two-sided
interval at level ``1 - (1 - confidence) / k`` (Bonferroni over the ``k``
slices, the metric's own one-sample bound on each side), so with probability
at least ``confidence`` every slice's metric is inside its interval at once,
and then the true gap is at most ``max(upper) - min(lower)``.

Outcomes: *inconclusive* when a slice has fewer than ``min_rows`` rows or
``min_per_class`` rows of a class, when fewer than 2 slices have rows, or when a
slice's bound cannot be trusted; *fail* when a listed value or bin has no row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import tables
from ..errors import GateUsageError
from ..metrics import check_metric_fits, get_metric
from ..names import GAP
from ..verdict import CheckResult
from .outcome import inconclusive_message, inconclusive_passes
from .slices import SLICE_KEYS, Slice, SliceSpec, parse_slice, too_thin

if TYPE_CHECKING:
    from ..evidence.evaluation import Evaluation

__all__ = ["GAP_KEYS", "GapCheck", "parse_gap"]

GAP_KEYS = frozenset(SLICE_KEYS - {"checks"} | {"metric", "max_gap", "confidence", "name"})


@dataclass(frozen=True)
class GapCheck:
    """The gap of ``metric`` between the best and the worst slice of ``slices``, bounded
    simultaneously over the slices; passes when its upper bound is below ``max_gap``."""

    check_kind: ClassVar[str] = "gap"

    metric: str
    max_gap: float
    slices: SliceSpec = field(default_factory=SliceSpec)
    confidence: float | None = 0.95
    name: str = ""

    def __post_init__(self) -> None:
        get_metric(self.metric)  # unknown metric: ValueError naming the known ones
        if isinstance(self.max_gap, bool) or not isinstance(self.max_gap, (int, float)) or not self.max_gap > 0:
            raise ValueError(f"max_gap must be a number > 0, not {self.max_gap!r}")
        if not math.isfinite(self.max_gap):
            raise ValueError(f"max_gap must be finite, not {self.max_gap!r}")
        if self.confidence is not None and not 0.5 <= self.confidence < 1:
            raise ValueError(f"confidence must be in [0.5, 1) or None, not {self.confidence!r}")
        if self.slices.where == SliceSpec().where:  # built in code: errors name the GapCheck
            object.__setattr__(self, "slices", replace(self.slices, where="GapCheck(slices=...)"))
        if not self.name:
            by = "length" if self.slices.text_length else self.slices.column
            object.__setattr__(self, "name", f"{self.metric}-gap-by-{by}-at-most-{self.max_gap:g}")

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        return f"{self.metric}: the gap between the best and the worst slice < {self.max_gap:g}"

    def prepare(self, evidence: Evaluation) -> None:
        check_metric_fits(self.metric, evidence.task)  # GateUsageError: an error, not a verdict
        self._pieces(evidence)

    def _pieces(self, evidence: Evaluation) -> list[Slice]:
        frame = evidence.frame if evidence.frame is not None else evidence.features
        texts = evidence.texts if evidence.features is None else None
        if frame is None and not self.slices.text_length:
            raise GateUsageError(f"{self.slices.where}: a gap needs the validation frame, and this evidence has none")
        return self.slices.slices(frame, texts)

    def evaluate(self, evidence: Evaluation) -> CheckResult:
        from ..stats.inputs import fewest_resamples
        from ..stats.methods import floor_bound

        check_metric_fits(self.metric, evidence.task)  # GateUsageError: an error, not a verdict
        metric = get_metric(self.metric)
        by = f"by {'length' if self.slices.text_length else repr(self.slices.column)}"
        head = f"{self.metric} gap {by}"
        pieces = [(piece, piece.rows(evidence)) for piece in self._pieces(evidence)]
        absent = next((p for p, rows in pieces if len(rows) == 0 and not p.bucket), None)
        if absent is not None:
            message = f"{head}: FAIL, the slice {absent.label} has no row; a slice that is asked for is never skipped"
            return self._result(False, message, "slice absent")
        pieces = [(p, rows) for p, rows in pieces if len(rows)]
        if not np.all(np.isfinite(np.asarray(evidence.candidate, dtype=float)[np.concatenate([r for _, r in pieces])])):
            return self._result(
                False,
                f"{head}: FAIL, the candidate's scores hold NaN or infinity; nothing undefined passes",
                "undefined",
            )
        values = [_value(metric, evidence, rows) for _, rows in pieces]
        shown = ", ".join(f"{p.label} {v:.4f} (n={len(r)})" for (p, r), v in zip(pieces, values, strict=True))
        defined = [v for v in values if math.isfinite(v)]
        if len(defined) >= 2 and max(defined) - min(defined) >= self.max_gap:
            # The observed gap is already too wide: a bound is never below its estimate, so no
            # bound could clear, whatever the slices' sizes (thin or not, on_inconclusive or not).
            gap = max(defined) - min(defined)
            message = f"{head} ({shown}): FAIL, the observed gap {gap:.4f} itself is not below max_gap {self.max_gap:g}"
            return self._result(False, message, "point estimate", estimate=gap, n=sum(len(r) for _, r in pieces))
        spec = self.slices
        thin = next(
            (
                why
                for p, rows in pieces
                if (why := too_thin(evidence, rows, spec.min_rows, spec.min_per_class, f"the slice {p.label}"))
            ),
            "",
        )
        if not thin and len(pieces) < 2:
            thin = f"a gap needs at least 2 slices with rows, and {len(pieces)} has rows"
        if thin:
            passed = inconclusive_passes(evidence.on_inconclusive)
            return self._result(passed, inconclusive_message(thin, head, passed), "slice too thin", thin)
        k = len(pieces)
        each = None if self.confidence is None else 1 - (1 - self.confidence) / (2 * k)
        # Enough resamples for the per-slice level, should a slice's bound be the bootstrap.
        resamples = 2000 if each is None else max(2000, fewest_resamples(each))
        lows, highs, methods = [], [], set()
        for piece, rows in pieces:
            y, s = evidence.labels[rows], evidence.candidate[rows]
            groups = None if evidence.groups is None else evidence.groups[rows]
            options: dict[str, Any] = {"confidence": each, "floor": None, "n_resamples": resamples, "seed": 0}
            options["groups"] = groups  # each slice's bound cluster-aware (Bonferroni needs no independence)
            low = floor_bound(metric.floor_method, metric, evidence.task, y, s, side="lower", **options)
            high = floor_bound(metric.floor_method, metric, evidence.task, y, s, side="upper", **options)
            for bound in (low, high):
                if bound.inconclusive:
                    why = f"the slice {piece.label}: {bound.reason or 'its bound cannot be trusted'}"
                    passed = inconclusive_passes(evidence.on_inconclusive)
                    return self._result(passed, inconclusive_message(why, head, passed), bound.method, why)
                if not bound.defined:  # not thinness: something undefined, which never passes
                    why = bound.reason or f"{self.metric} is undefined"
                    return self._result(
                        False, f"{head}: FAIL, the slice {piece.label}: {why}; nothing undefined passes", bound.method
                    )
            lows.append(low.bound)
            highs.append(high.bound)
            methods.add(low.method)
        best, worst = int(np.argmax(values)), int(np.argmin(values))
        gap = values[best] - values[worst]
        upper = max(highs) - min(lows) if self.confidence is not None else gap
        passed = bool(upper < self.max_gap)
        method = f"Bonferroni over {k} slices, {', '.join(sorted(methods))}" if self.confidence else "point estimate"
        stat = f"gap {gap:.4f} ({pieces[best][0].label} - {pieces[worst][0].label}), " + (
            f"{self.confidence:.0%} upper bound {upper:.4f}" if self.confidence else "point estimate"
        )
        verdict = "below" if passed else "not below"
        message = f"{head} over {k} slices ({shown}): {stat} ({method}) is {verdict} max_gap {self.max_gap:g}"
        return self._result(passed, message, method, estimate=gap, bound=upper, n=sum(len(r) for _, r in pieces))

    def _result(
        self,
        passed: bool,
        message: str,
        method: str,
        reason: str = "",
        *,
        estimate: float | None = None,
        bound: float | None = None,
        n: int | None = None,
    ) -> CheckResult:
        inconclusive = bool(reason)
        return CheckResult(
            name=self.name,
            group=GAP,
            passed=passed,
            message=message,
            metric=self.metric,
            candidate_value=estimate,
            estimate=estimate,
            lower=bound,  # the decisive bound: the gap's upper one
            margin=self.max_gap,
            confidence=self.confidence,
            method=method,
            n=n,
            inconclusive=inconclusive,
            reason=reason or None,
        )


def _value(metric: Any, evidence: Evaluation, rows: np.ndarray) -> float:
    """The metric on one slice's rows; NaN where it is undefined there (one class for an AUC)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(metric(evidence.labels[rows], evidence.candidate[rows]))
    except (ValueError, ZeroDivisionError, IndexError):
        return math.nan


def parse_gap(raw: Mapping[str, Any], where: str, strict: bool = True) -> GapCheck:
    """One ``[[tool.modelgate.gaps]]`` table as a GapCheck; GateUsageError naming the key."""
    tables.check_table(raw, where, GAP_KEYS, "metric", "gap")
    if "max_gap" not in raw:
        raise GateUsageError(f"{where}: missing key 'max_gap'")
    own = ("metric", "max_gap", "confidence", "name")
    spec = parse_slice({k: v for k, v in raw.items() if k not in own}, where)
    kwargs: dict[str, Any] = {
        "metric": tables.string(f"{where}.metric", raw["metric"]),
        "max_gap": tables.number(f"{where}.max_gap", raw["max_gap"], strict),
        "slices": spec,
    }
    if "confidence" in raw:
        kwargs["confidence"] = tables.confidence(f"{where}.confidence", raw["confidence"], strict)
    if "name" in raw:
        kwargs["name"] = tables.string(f"{where}.name", raw["name"])
    try:
        return GapCheck(**kwargs)
    except ValueError as exc:
        key, _, rest = str(exc).partition(" ")
        if key in raw:
            raise GateUsageError(f"{where}.{key}: {rest}") from None
        raise GateUsageError(f"{where}: {exc}") from None
