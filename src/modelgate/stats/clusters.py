"""Bounds for rows that come in groups: several reviews by one user, several
transactions by one customer, several crops of one image.

Rows of one group are correlated, so a bound that treats them as independent
is too narrow and over-promotes. With groups, every bound is cluster-aware:

* A metric whose estimate is a smooth function of means has an influence
  function: each row's first-order share of the estimate (DeLong's structural
  components for ROC AUC, the per-row loss or correctness for a mean, the
  delta method's influence for RMSE, R^2, macro F1 and one-vs-rest AUC). The
  rows' influences are summed within each group, and the group totals become
  G pseudo-values ``value + (G / n) * total_g`` whose mean is the estimate and
  whose variance over G is the cluster-robust (CR1) sandwich variance (Liang &
  Zeger 1986; for the AUC, Obuchowski 1997). The pseudo-values then go
  through the same skew-corrected bound as a mean of per-row losses, with
  Student's t on G - 1 degrees of freedom.
* Any other metric (binary F1, quantiles of the errors, a custom metric):
  the cluster bootstrap, which draws whole groups with replacement (Davison &
  Hinkley 1997, section 3.8), percentile bound.

Fewer than :data:`MIN_GROUPS` groups cannot support a variance: the bound is
inconclusive. The simulations are in benchmarks/gate_rates.py (section
"correlated rows").
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .bounds import (
    ZERO_BASELINE,
    DifferenceBound,
    MetricBound,
    Side,
    Values,
    check_options,
    one_sample_options,
    one_sample_percentile_bound,
    percentile_bound,
    quantity,
    undefined_difference,
    undefined_metric,
)
from .inputs import Undefined, check_resamples

if TYPE_CHECKING:
    from .methods import MetricLike

__all__ = [
    "MIN_GROUPS",
    "clustered_bound",
    "clustered_difference",
    "clustered_loss_difference",
    "group_codes",
    "pseudo_values",
]

# With fewer groups (or groups worth fewer: effective_groups) the group totals' variance
# rests on too few values (benchmarks/group_rates.py).
MIN_GROUPS = 10
TOO_FEW_GROUPS = "only {g} group{s} of rows: a bound for grouped rows needs at least {least} groups"


def effective_groups(codes: NDArray[np.int64], g: int) -> float:
    """How many equal groups the groups are worth: n^2 / sum of squared group sizes (G for
    equal sizes, fewer when a few groups hold most rows). A few large groups dominate the
    cluster-robust variance, which then rests on few values: Student's t takes its degrees
    of freedom from this (Carter, Schnepel & Steigerwald 2017), and below
    :data:`MIN_GROUPS` the bound is inconclusive."""
    sizes = np.bincount(codes, minlength=g).astype(np.float64)
    total = float(sizes.sum())
    return total * total / float(np.sum(sizes * sizes)) if total else 0.0


def _too_few(codes: NDArray[np.int64], g: int) -> tuple[str, int]:
    """Why the groups cannot support a bound ("" when they can), and the t's degrees of freedom."""
    worth = effective_groups(codes, g)
    if g < MIN_GROUPS:
        return TOO_FEW_GROUPS.format(g=g, s="" if g == 1 else "s", least=MIN_GROUPS), 0
    if worth < MIN_GROUPS:
        return (
            f"{g} groups of rows whose sizes make them worth {worth:.1f} equal groups (a few groups hold most rows): "
            f"a bound for grouped rows needs at least {MIN_GROUPS}"
        ), 0
    return "", max(int(math.floor(worth)) - 1, 1)


def _thin_classes(metric: MetricLike, task: str, y: Any, s: Any, bootstrap: bool) -> str:
    """Why a class-conditional metric cannot be bounded on these rows ("" when it can): the
    plain rules' "2 rows of each class", for the one-vs-rest AUC and any metric the
    cluster bootstrap resamples on classification labels."""
    if task == "regression" or not (bootstrap or metric.method == "delong-ovr"):
        return ""
    from .auc import thin_class

    scores = np.asarray(s)
    if scores.ndim == 2:
        return thin_class(y, int(scores.shape[1]))
    m = int(np.sum(np.asarray(y) == 1))
    n = int(np.asarray(y).size) - m
    if min(m, n) < 2:
        return f"the rows hold {m} positive and {n} negative: {metric.name} needs at least 2 rows of each class"
    return ""


NOT_FINITE = "a score is NaN or infinite: nothing undefined passes"


def _finite(scores: ArrayLike) -> bool:
    return bool(np.all(np.isfinite(np.asarray(scores, dtype=np.float64))))


def group_codes(groups: ArrayLike) -> tuple[NDArray[np.int64], int]:
    """Codes 0..G-1 of each row's group, and G (a subset of rows keeps only its groups)."""
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    codes = codes.astype(np.int64).ravel()
    return codes, int(codes.max()) + 1 if codes.size else 0


def pseudo_values(value: float, influence: ArrayLike, codes: NDArray[np.int64], g: int) -> NDArray[np.float64]:
    """One value per group: ``value + (G / n) * (the group's total influence)``, influences
    centred first. Their mean is ``value``; their variance over G is the cluster-robust
    variance of the estimate (with G = n groups of one row, the plain one)."""
    infl = np.asarray(influence, dtype=np.float64)
    totals = np.bincount(codes, weights=infl - infl.mean(), minlength=g)
    return np.asarray(value + totals * (g / infl.size), dtype=np.float64)


# ------------------------------------------------------------------ row forms


def _auc_form(y: Any, s: Any) -> tuple[float, NDArray[np.float64]]:
    from .auc import _ovr_class_influence

    scores = np.asarray(s, dtype=np.float64).ravel()
    pos = np.asarray(y).astype(bool).ravel()
    if not np.all(np.isfinite(scores)):
        raise Undefined("a score is NaN or infinite, so the AUC is undefined")
    m = int(pos.sum())
    if min(m, pos.size - m) < 2:
        raise Undefined(
            f"the rows hold {m} positive and {pos.size - m} negative: the AUC's variance needs 2 of each",
            inconclusive=True,
        )
    return _ovr_class_influence(pos, scores)


def _macro_f1_form(y: Any, s: Any) -> tuple[float, NDArray[np.float64]]:
    from .f1 import macro_f1_influence

    scores = np.asarray(s, dtype=np.float64)
    if not np.all(np.isfinite(scores)):
        raise Undefined("a score is NaN or infinite, so its predicted class is undefined")
    value, influence, fewest, thin = macro_f1_influence(y, np.argmax(scores, axis=1))
    if fewest < 2:
        raise Undefined(f"class {thin} has {fewest} row: a per-class F1 needs 2 rows of each class", inconclusive=True)
    return value, influence


def row_form(metric: MetricLike, task: str, y: Any, s: Any) -> tuple[float, NDArray[np.float64]] | None:
    """The metric and its influence row by row, or None when the metric has no such form
    (the cluster bootstrap then bounds it). Raises :class:`Undefined` with the reason."""
    if metric.method == "delong":
        return _auc_form(y, s)
    if metric.method == "class-delta":
        return _macro_f1_form(y, s)
    if metric.influence is not None:
        value, influence = metric.influence(y, s)
        return float(value), np.asarray(influence, dtype=np.float64)
    rows_of = metric.row_loss or metric.bounded_rows
    if rows_of is not None:
        rows = np.asarray(rows_of(y, s), dtype=np.float64)
        return float(rows.mean()) if rows.size else math.nan, rows
    return None


# ------------------------------------------------------------------ the bounds


def _label(method: str, g: int) -> str:
    groups = f"{g} group{'s' * (g != 1)}"
    return f"cluster {method}, {groups}" if method == "bootstrap" else f"cluster-robust {method}, {groups}"


def _in_groups(reason: str) -> str:
    """A reason of the loss bounds, said of the group pseudo-values it was computed on."""
    return (
        reason.replace("loss differences", "differences")
        .replace("losses", "values")
        .replace("loss", "value")
        .replace("row", "group")
    )


def _kind(method: str) -> str:
    """The bound's kind without the family it borrowed: "normal (skew-corrected)", "Cantelli"..."""
    kind = method.removeprefix("paired-loss ").removeprefix("mean-loss ")
    return "normal" + kind[len("delta") :] if kind.startswith("delta") else kind


def clustered_difference(
    method: str,
    metric: MetricLike,
    task: str,
    y_true: ArrayLike,
    candidate: ArrayLike,
    baseline: ArrayLike,
    groups: ArrayLike,
    *,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> DifferenceBound:
    """The paired bound of candidate against baseline when the rows come in ``groups``
    (one label per row): cluster-robust on the influence pseudo-values, or the cluster
    bootstrap for a metric without an influence form (or ``method="bootstrap"``)."""
    from .losses import paired_loss_difference

    z = check_options(margin, confidence)
    check_resamples(n_resamples)
    y = np.asarray(y_true)
    n = len(y)
    codes, g = group_codes(groups)
    if codes.size != n:
        raise ValueError(f"groups has {codes.size} values for {n} rows")
    hib = metric.higher_is_better
    c_value, b_value = metric.function(y, candidate), metric.function(y, baseline)
    values: Values = {"candidate": float(c_value), "baseline": float(b_value)}
    estimate = quantity(values["candidate"], values["baseline"], relative=relative, higher_is_better=hib)
    label = _label("bootstrap" if method == "bootstrap" else "normal", g)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, "point estimate", None, n, **values)
    assert confidence is not None  # check_options gives z only for a confidence
    if not (_finite(candidate) and _finite(baseline)):  # a defect fails, however few the groups
        return undefined_difference(label, confidence, n, NOT_FINITE, estimate=estimate, **values)
    few, df = _too_few(codes, g)
    try:
        form_c = None if method == "bootstrap" else row_form(metric, task, y, candidate)
        form_b = None if form_c is None else row_form(metric, task, y, baseline)
    except Undefined as exc:
        return undefined_difference(
            label, confidence, n, str(exc), estimate=estimate, **values, inconclusive=exc.inconclusive
        )
    few = few or _thin_classes(metric, task, y, candidate, form_c is None)
    if few:
        return undefined_difference(label, confidence, n, few, estimate=estimate, **values, inconclusive=True)
    if form_c is None or form_b is None:
        return _bootstrap_difference(
            metric, y, candidate, baseline, codes, g, df + 1, margin, confidence, relative, n_resamples, seed
        )
    (vc, ic), (vb, ib) = form_c, form_b
    zc, zb = pseudo_values(vc, ic, codes, g), pseudo_values(vb, ib, codes, g)
    if relative:
        bound = _relative(zc, zb, vc, vb, hib, margin, confidence, df, label, n, estimate)
    else:
        # The group pseudo-values as per-row "losses" (a higher-is-better metric negated):
        # the paired-loss bound's skew correction and tail guard, with Student's t.
        sign = 1.0 if not hib else -1.0
        bound = paired_loss_difference(sign * zc, sign * zb, margin=margin, confidence=confidence, df=df)
    return replace(
        bound,
        method=_label(_kind(bound.method), g),
        n=n,
        candidate=vc,
        baseline=vb,
        reason=_in_groups(bound.reason),
    )


def _relative(
    zc: NDArray[np.float64],
    zb: NDArray[np.float64],
    vc: float,
    vb: float,
    hib: bool,
    margin: float,
    confidence: float,
    df: int,
    label: str,
    n: int,
    estimate: float,
) -> DifferenceBound:
    """A relative margin on the group pseudo-values: Fieller's bound of the ratio, with
    Student's t on ``df`` (the normal quantile passed 6-7% at 10-20 groups)."""
    from scipy import stats as st

    from .bounds import fieller_ratio

    if not vb > 0:
        return undefined_difference(
            label, confidence, n, ZERO_BASELINE.format(vb), estimate=estimate, candidate=vc, baseline=vb
        )
    cov = np.cov(zc, zb) / zc.size
    vcc, vbb, vcb = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
    zt = float(st.t.ppf(confidence, df))
    if hib:
        lower, p, reason = fieller_ratio(vc, vb, vcc, vbb, vcb, zt, margin, df=df)
    else:  # (b - c) / b: the ratio of -c and b, shifted by 2 (as the plain bounds do)
        lower, p, reason = fieller_ratio(-vc, vb, vcc, vbb, -vcb, zt, margin - 2.0, df=df)
        lower += 2.0
    if reason:
        return undefined_difference(
            label, confidence, n, reason, estimate=estimate, candidate=vc, baseline=vb, inconclusive=True
        )
    return DifferenceBound(estimate, lower, p, "normal (Fieller ratio)", confidence, n, vc, vb)


def clustered_loss_difference(
    loss_candidate: ArrayLike,
    loss_baseline: ArrayLike,
    groups: ArrayLike,
    *,
    margin: float = 0.0,
    confidence: float = 0.95,
) -> DifferenceBound:
    """:func:`~modelgate.stats.losses.paired_loss_difference` (``baseline - candidate`` of
    two mean per-row losses) when the rows come in ``groups``: each model's group
    pseudo-values, Student's t on G - 1; inconclusive with fewer than :data:`MIN_GROUPS`."""
    from .losses import paired_loss_difference

    lc, lb = np.asarray(loss_candidate, dtype=np.float64), np.asarray(loss_baseline, dtype=np.float64)
    codes, g = group_codes(groups)
    n = lc.size
    c, b = float(lc.mean()) if n else math.nan, float(lb.mean()) if n else math.nan
    few, df = _too_few(codes, g)
    if few:
        return undefined_difference(
            _label("normal", g), confidence, n, few, estimate=b - c, candidate=c, baseline=b, inconclusive=True
        )
    zc, zb = pseudo_values(c, lc - c, codes, g), pseudo_values(b, lb - b, codes, g)
    bound = paired_loss_difference(zc, zb, margin=margin, confidence=confidence, df=df)
    return replace(bound, method=_label(_kind(bound.method), g), n=n, reason=_in_groups(bound.reason))


def clustered_bound(
    method: str,
    metric: MetricLike,
    task: str,
    y_true: ArrayLike,
    scores: ArrayLike,
    groups: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> MetricBound:
    """The one-sided bound of one model's metric when the rows come in ``groups``."""
    from .losses import mean_loss_bound

    z = one_sample_options(side, floor, confidence)
    check_resamples(n_resamples)
    y = np.asarray(y_true)
    n = len(y)
    codes, g = group_codes(groups)
    if codes.size != n:
        raise ValueError(f"groups has {codes.size} values for {n} rows")
    value = float(metric.function(y, scores))
    label = _label("bootstrap" if method == "bootstrap" else "normal", g)
    if z is None:
        return MetricBound(value, value, side, math.nan, "point estimate", None, n)
    assert confidence is not None  # one_sample_options gives z only for a confidence
    if not _finite(scores):  # a defect fails, however few the groups
        return undefined_metric(label, side, confidence, n, NOT_FINITE, value)
    few, df = _too_few(codes, g)
    try:
        form = None if method == "bootstrap" else row_form(metric, task, y, scores)
    except Undefined as exc:
        return undefined_metric(label, side, confidence, n, str(exc), value, inconclusive=exc.inconclusive)
    few = few or _thin_classes(metric, task, y, scores, form is None)
    if few:
        return undefined_metric(label, side, confidence, n, few, value, inconclusive=True)
    if form is None:
        return _bootstrap_bound(metric, y, scores, codes, g, df + 1, side, floor, confidence, n_resamples, seed)
    v, influence = form
    bound = mean_loss_bound(pseudo_values(v, influence, codes, g), side=side, floor=floor, confidence=confidence, df=df)
    return replace(
        bound,
        method=_label(_kind(bound.method), g),
        n=n,
        value=v,
        reason=_in_groups(bound.reason),
    )


# ------------------------------------------------------------ the cluster bootstrap


def _expanded(confidence: float, g: int) -> float:
    """The level the percentile is taken at: Hesterberg's expanded percentile interval, with
    the G groups as the sample (the percentile bootstrap is too narrow in small samples by
    about sqrt((G - 1) / G) and the normal-for-t quantile). Without it the cluster
    bootstrap passed 6-7.5% at the boundary with 10-30 groups (benchmarks/group_rates.py)."""
    from scipy import stats as st

    return float(st.norm.cdf(math.sqrt(g / (g - 1)) * st.t.ppf(confidence, g - 1)))


def _nominal_p(p: float, g: int) -> float:
    """The bootstrap p-value on the nominal scale, dual to the expanded bound: p < 1 - confidence
    exactly when the raw p is below 1 - :func:`_expanded` (confidence)."""
    from scipy import stats as st

    if not math.isfinite(p):
        return p
    return float(st.t.sf(st.norm.isf(p) / math.sqrt(g / (g - 1)), g - 1))


def _group_resamples(codes: NDArray[np.int64], g: int, n_resamples: int, seed: int | None) -> Any:
    """Row indices of each resample: G groups drawn with replacement, all of each group's rows."""
    rng = np.random.default_rng(seed)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(g + 1))
    members = [order[starts[k] : starts[k + 1]] for k in range(g)]
    for _ in range(n_resamples):
        yield np.concatenate([members[k] for k in rng.integers(0, g, size=g)])


def _metric_or_nan(metric: MetricLike, y: Any, s: Any) -> float:
    try:
        return float(metric.function(y, s))
    except ValueError:  # a resample the metric is undefined on (one class): not finite
        return math.nan


def _bootstrap_difference(
    metric: MetricLike,
    y: NDArray[Any],
    candidate: ArrayLike,
    baseline: ArrayLike,
    codes: NDArray[np.int64],
    g: int,
    worth: int,  # the groups' effective number, whole: the expansion's sample size
    margin: float,
    confidence: float,
    relative: bool,
    n_resamples: int,
    seed: int | None,
) -> DifferenceBound:
    c, b = np.asarray(candidate, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    hib = metric.higher_is_better
    vc, vb = _metric_or_nan(metric, y, c), _metric_or_nan(metric, y, b)
    method = _label("bootstrap", g)
    if not (math.isfinite(vc) and math.isfinite(vb)):
        return undefined_difference(
            method, confidence, y.size, "metric is not finite on the full data", candidate=vc, baseline=vb
        )
    if relative and vb <= 0:
        return undefined_difference(method, confidence, y.size, ZERO_BASELINE.format(vb), candidate=vc, baseline=vb)
    estimate = quantity(vc, vb, relative=relative, higher_is_better=hib)
    draws = np.empty(n_resamples)
    for r, rows in enumerate(_group_resamples(codes, g, n_resamples, seed)):
        rc, rb = _metric_or_nan(metric, y[rows], c[rows]), _metric_or_nan(metric, y[rows], b[rows])
        d = rc - rb if hib else rb - rc
        draws[r] = (d / rb if rb > 0 else math.nan) if relative else d
    bound = percentile_bound(draws, estimate, margin, method, _expanded(confidence, worth), y.size, vc, vb)
    return replace(bound, confidence=confidence, p_value=_nominal_p(bound.p_value, worth))


def _bootstrap_bound(
    metric: MetricLike,
    y: NDArray[Any],
    scores: ArrayLike,
    codes: NDArray[np.int64],
    g: int,
    worth: int,  # the groups' effective number, whole: the expansion's sample size
    side: Side,
    floor: float | None,
    confidence: float,
    n_resamples: int,
    seed: int | None,
) -> MetricBound:
    s = np.asarray(scores, dtype=np.float64)
    value = _metric_or_nan(metric, y, s)
    method = _label("bootstrap", g)
    if not math.isfinite(value):
        return undefined_metric(method, side, confidence, y.size, "metric is not finite on the full data", value)
    draws = np.array(
        [_metric_or_nan(metric, y[rows], s[rows]) for rows in _group_resamples(codes, g, n_resamples, seed)]
    )
    bound = one_sample_percentile_bound(draws, value, side, floor, method, _expanded(confidence, worth), y.size)
    return replace(bound, confidence=confidence, p_value=_nominal_p(bound.p_value, worth))
