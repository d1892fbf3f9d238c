"""The results every bound returns and the one-sided bound arithmetic they share.

:class:`DifferenceBound` (a candidate against a baseline: the lower bound of the
difference, and the p-value of H0: difference <= margin) and :class:`MetricBound`
(one model's metric against a fixed floor). Normal bounds, Fieller's ratio bound
and percentile bounds are here; each method family builds on them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypedDict

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from .inputs import too_few_resamples

# Largest z used when inverting an interval into a p-value; norm.sf(40) is
# below 1e-300, so anything further out is reported as p = 0.
Z_MAX = 40.0


@dataclass(frozen=True)
class DifferenceBound:
    """One-sided comparison of a candidate against a baseline metric.

    ``lower`` is the one-sided lower bound at ``confidence`` (== ``estimate``
    when ``confidence`` is None; nan when undefined, with ``reason`` saying
    why); ``p_value`` is for H0: quantity <= margin; ``n`` counts rows used;
    ``candidate``/``baseline`` are the two metric values on all rows.
    """

    estimate: float
    lower: float
    p_value: float
    method: str
    confidence: float | None
    n: int
    candidate: float
    baseline: float
    reason: str = ""
    # The data cannot decide (too few rows or rows of a class, a degenerate resample...):
    # no bound is trusted, and the check says "inconclusive" instead of pass or fail.
    inconclusive: bool = False

    @property
    def defined(self) -> bool:
        """True when the lower bound is a finite number."""
        return bool(np.isfinite(self.lower))


Side = Literal["lower", "upper"]


class Values(TypedDict):
    """The two models' metric values, passed on to an undefined bound (``**common``)."""

    candidate: float
    baseline: float


@dataclass(frozen=True)
class MetricBound:
    """A one-sided confidence bound of one metric of one model.

    ``value`` is the metric on all rows; ``bound`` its one-sided bound on
    ``side`` ("lower" for an ``at_least`` floor, "upper" for ``at_most``) at
    ``confidence`` (== ``value`` when confidence is None; nan when undefined,
    with ``reason`` saying why); ``p_value`` is for H0: the metric is on the
    wrong side of ``floor`` (<= floor for "lower", >= floor for "upper"), nan
    without a floor or a confidence; ``n`` counts rows used.
    """

    value: float
    bound: float
    side: Side
    p_value: float
    method: str
    confidence: float | None
    n: int
    reason: str = ""
    inconclusive: bool = False  # as DifferenceBound.inconclusive

    @property
    def defined(self) -> bool:
        """True when the bound is a finite number."""
        return bool(np.isfinite(self.bound))

    def clears(self, floor: float) -> bool:
        """The floor rule: lower bound > floor, or upper bound < floor; never when undefined."""
        if not self.defined:
            return False
        return self.bound > floor if self.side == "lower" else self.bound < floor


def check_options(margin: float, confidence: float | None) -> float | None:
    """Validate margin and confidence; return the normal quantile z (or None)."""
    if not math.isfinite(margin):
        raise ValueError(f"margin must be finite, got {margin!r}")
    if confidence is None:
        return None
    if not 0.5 <= confidence < 1.0:
        raise ValueError(f"confidence must be in [0.5, 1) or None, got {confidence!r}")
    return float(stats.norm.ppf(confidence))


def undefined_difference(
    method: str,
    confidence: float | None,
    n: int,
    reason: str,
    *,
    estimate: float = math.nan,
    candidate: float = math.nan,
    baseline: float = math.nan,
    inconclusive: bool = False,
) -> DifferenceBound:
    """An undefined bound with its reason; ``inconclusive`` when the data cannot decide
    (rather than a defect such as a NaN score, which fails)."""
    return DifferenceBound(
        estimate=estimate,
        lower=math.nan,
        p_value=math.nan,
        method=method,
        confidence=confidence,
        n=n,
        candidate=candidate,
        baseline=baseline,
        reason=reason,
        inconclusive=inconclusive,
    )


def quantity(c: float, b: float, *, relative: bool, higher_is_better: bool = True) -> float:
    d = c - b if higher_is_better else b - c
    if relative:
        return d / b if b > 0 else math.nan
    return d


ZERO_BASELINE = "relative margin needs a positive baseline metric value, got {:g}"


def one_sample_options(side: str, floor: float | None, confidence: float | None) -> float | None:
    """Validate side, floor and confidence; the normal quantile z (None: point estimate)."""
    if side not in ("lower", "upper"):
        raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
    if floor is not None and not math.isfinite(floor):
        raise ValueError(f"floor must be finite, got {floor!r}")
    return check_options(0.0, confidence)


def undefined_metric(
    method: str,
    side: Side,
    confidence: float | None,
    n: int,
    reason: str,
    value: float = math.nan,
    *,
    inconclusive: bool = False,
) -> MetricBound:
    """As :func:`undefined_difference`, for one metric."""
    return MetricBound(value, math.nan, side, math.nan, method, confidence, n, reason, inconclusive)


def point_bound(value: float, side: Side, n: int) -> MetricBound:
    return MetricBound(value, value, side, math.nan, "point estimate", None, n)


def p_by_side(t: float, side: Side) -> float:
    """p of a standardised distance t = (estimate - floor) / se, one-sided by side."""
    return float(stats.norm.sf(t) if side == "lower" else stats.norm.cdf(t))


def p_outside(bound: float, side: Side, floor: float) -> float:
    """p when the floor is outside the statistic's open range: the bound settles it."""
    clears = bound > floor if side == "lower" else bound < floor
    return 0.0 if clears else 1.0


def logit(x: float) -> float:
    return math.log(x) - math.log1p(-x)


def expit(x: float) -> float:
    return float(special.expit(x))


SAME_DRAWS = (
    "every bootstrap resample gave the same value (e.g. every row right): the bootstrap cannot bound it on these rows"
)


def percentile_bound(
    draws: NDArray[np.float64],
    estimate: float,
    margin: float,
    method: str,
    confidence: float,
    n: int,
    candidate: float,
    baseline: float,
) -> DifferenceBound:
    """A one-sided percentile bound from bootstrap draws of the quantity, with
    the bootstrap p-value; undefined when any draw is not finite, and inconclusive
    when every draw is the same value and the estimate clears the margin (72 of 72
    rows right resample to 72 of 72: no spread is no certainty; two models that
    agree on every sampled row may still differ on the next ones)."""
    B = len(draws)
    few = too_few_resamples(B, confidence)
    if few:
        return undefined_difference(
            method, confidence, n, few, estimate=estimate, candidate=candidate, baseline=baseline
        )
    bad = int(np.count_nonzero(~np.isfinite(draws)))
    if bad:
        return undefined_difference(
            method,
            confidence,
            n,
            f"bootstrap distribution is degenerate: {bad} of {B} resamples gave a non-finite difference",
            estimate=estimate,
            candidate=candidate,
            baseline=baseline,
            inconclusive=True,
        )
    # (When the estimate itself does not clear the margin, nothing is claimed: it fails below.)
    if float(np.ptp(draws)) == 0.0 and estimate > margin:
        return undefined_difference(
            method,
            confidence,
            n,
            SAME_DRAWS,
            estimate=estimate,
            candidate=candidate,
            baseline=baseline,
            inconclusive=True,
        )
    # A skewed or biased resampling distribution can put its low quantile above the
    # estimate; a lower bound above the estimate claims more than the data show.
    lower = min(float(np.quantile(draws, 1.0 - confidence)), estimate)
    p = (1.0 + np.count_nonzero(draws <= margin)) / (B + 1.0)
    return DifferenceBound(estimate, lower, float(p), method, confidence, n, candidate, baseline)


def no_spread(x: NDArray[np.float64]) -> bool:
    """Every value the same, or differing only by rounding (a variance that rounds to 0):
    such rows show no spread, and zero variance is no certainty."""
    if float(np.ptp(x)) == 0.0:
        return True
    centred = x - x.mean()
    return float(np.mean(centred * centred)) == 0.0


# Sugden, Smith & Jones (2000), "Cochran's rule for simple random sampling", JRSS B 62:
# the normal approximation to a mean is adequate when n > 28 + 25 g^2, g the skewness.
SKEW_ROWS_BASE, SKEW_ROWS_PER_G2 = 28.0, 25.0


def rows_for_skew(skewness: float) -> int:
    """The fewest rows at which a normal bound of a mean is trusted for values of this
    skewness (Sugden, Smith & Jones' rule n > 28 + 25 g^2)."""
    return math.floor(SKEW_ROWS_BASE + SKEW_ROWS_PER_G2 * skewness * skewness) + 1


def too_skewed(skewness: float, n: int, *, what: str = "per-row values") -> str:
    """A reason when ``n`` rows are too few for a normal bound of the mean of values
    whose skewness toward the failing side is ``skewness``, else "". Below 29 rows the
    rule trusts no normal bound of a mean, whatever the skewness."""
    if math.isfinite(skewness) and n >= rows_for_skew(max(skewness, 0.0)):
        return ""
    if not math.isfinite(skewness):
        return f"the {what} have no finite skewness: a tail too heavy for a normal bound at n = {n}"
    if skewness <= 0.0:
        return f"{n} rows are too few for a normal bound of a mean of {what} (it needs at least 29, Sugden-Smith-Jones)"
    need = rows_for_skew(skewness)
    return (
        f"the {what} are too skewed toward failing for a normal bound at n = {n} "
        f"(skewness {skewness:.2f}: it needs at least {need} rows, Sugden-Smith-Jones)"
    )


@dataclass(frozen=True)
class TailGuarded:
    """A normal-theory lower bound after the tail diagnostic: ``lower`` and ``p`` are
    the normal ones, or Cantelli's when the skew is too heavy for n; ``cantelli``
    says which; ``reason`` is set (and the bound inconclusive) when even the normal
    bound clears but Cantelli's does not."""

    lower: float
    p: float
    cantelli: bool
    reason: str


CANTELLI_ADVICE = (
    "; even Cantelli's distribution-free bound does not clear (median_ae, p90_ae and "
    'method = "bernstein" for bounded losses need no normal approximation)'
)


def tail_guard(
    estimate: float,
    lower: float,
    p: float,
    skewness: float,
    se: float,
    confidence: float,
    margin: float,
    n: int,
    *,
    what: str,
) -> TailGuarded:
    """The tail diagnostic of the normal-theory bounds of a mean (lower side).

    A normal bound of a mean is trusted when n > 28 + 25 g^2, g the skewness of the
    values toward the failing side (Sugden, Smith & Jones 2000, "Cochran's rule for
    simple random sampling", JRSS B 62), so never below 29 rows. Below that, a bound
    that clears must also clear Cantelli's one-sided Chebyshev bound estimate - se
    sqrt(c / (1 - c))
    (p = 1 / (1 + t^2), t = (estimate - margin) / se), which holds for any
    distribution with that variance: a large effect still passes, a marginal one on
    a heavy tail is *inconclusive* instead of a pass the normal bound cannot back.
    """
    if not lower > margin:
        return TailGuarded(lower, p, False, "")
    heavy = too_skewed(skewness, n, what=what)
    if not heavy:
        return TailGuarded(lower, p, False, "")
    k = math.sqrt(confidence / (1.0 - confidence))
    c_lower = estimate - k * se
    t = (estimate - margin) / se if se > 0.0 else math.inf
    c_p = 1.0 if t <= 0.0 else 1.0 / (1.0 + t * t)
    if c_lower > margin:
        return TailGuarded(c_lower, c_p, True, "")
    return TailGuarded(c_lower, c_p, True, heavy + CANTELLI_ADVICE)


def normal_bound(estimate: float, var: float, z: float, margin: float) -> tuple[float, float]:
    """Lower bound ``estimate - z*se`` and p = P(N(0,1) > (estimate - margin)/se).

    With se == 0 the quantity is known exactly on this data: the bound is the
    estimate and the p-value is 0 or 1 by whether it clears the margin, so the
    pass rule and the p-value still agree.
    """
    se = math.sqrt(max(var, 0.0))
    if se == 0.0:
        return estimate, 0.0 if estimate > margin else 1.0
    return estimate - z * se, float(stats.norm.sf((estimate - margin) / se))


def fieller_ratio(
    c: float, b: float, vcc: float, vbb: float, vcb: float, z: float, margin: float, *, df: int | None = None
) -> tuple[float, float, str]:
    """Fieller lower bound of c/b - 1 and the p-value of H0: c/b - 1 <= margin.

    The bound is the smaller root rho of (c - rho*b)^2 = z^2 Var(c - rho*b);
    the p-value is the one-sided normal test of c - (1 + margin)*b <= 0. The
    two are dual: lower > margin exactly when p < 1 - confidence. Fieller
    (rather than the delta method) because it keeps the baseline's own
    uncertainty in the denominator. With ``df``, ``z`` is Student's t quantile on
    df degrees of freedom and p comes from that t distribution (dual again).
    Returns (lower, p, reason).
    """
    rho0 = 1.0 + margin
    t0 = c - rho0 * b
    v0 = vcc - 2.0 * rho0 * vcb + rho0 * rho0 * vbb
    if v0 <= 0.0:
        p = 0.0 if t0 > 0 else 1.0
    else:
        p = float(stats.norm.sf(t0 / math.sqrt(v0)) if df is None else stats.t.sf(t0 / math.sqrt(v0), df))
    z2 = z * z
    a = b * b - z2 * vbb
    if a <= 0.0:
        return (
            math.nan,
            p,
            ("Fieller bound is unbounded: the baseline metric is not significantly above 0 at this confidence"),
        )
    h = c * b - z2 * vcb
    k = c * c - z2 * vcc
    # The quadratic is <= 0 at rho = c/b, so the discriminant is >= 0 up to rounding.
    disc = max(h * h - a * k, 0.0)
    return (h - math.sqrt(disc)) / a - 1.0, p, ""


def _beyond(value: float, floor: float, side: Side) -> bool:
    """The value itself clears the floor (so a bound equal to it would claim something)."""
    return value > floor if side == "lower" else value < floor


def one_sample_percentile_bound(
    res: NDArray[np.float64], value: float, side: Side, floor: float | None, method: str, confidence: float, n_rows: int
) -> MetricBound:
    """The percentile bound of one metric's bootstrap resamples ``res`` on ``side``,
    and the p-value of the floor; undefined when a resample gave a non-finite metric."""
    B = res.size
    few = too_few_resamples(B, confidence)
    if few:
        return undefined_metric(method, side, confidence, n_rows, few, value)
    bad = int(np.count_nonzero(~np.isfinite(res)))
    if bad:
        return undefined_metric(
            method,
            side,
            confidence,
            n_rows,
            f"bootstrap distribution is degenerate: {bad} of {B} resamples gave a non-finite metric",
            value,
            inconclusive=True,
        )
    if float(np.ptp(res)) == 0.0 and (floor is None or _beyond(value, floor, side)):
        return undefined_metric(method, side, confidence, n_rows, SAME_DRAWS, value, inconclusive=True)
    if side == "lower":
        bound = min(float(np.quantile(res, 1.0 - confidence)), value)  # never beyond the value
        wrong = np.count_nonzero(res <= floor) if floor is not None else -1
    else:
        bound = max(float(np.quantile(res, confidence)), value)
        wrong = np.count_nonzero(res >= floor) if floor is not None else -1
    p = math.nan if floor is None else (1.0 + wrong) / (B + 1.0)
    return MetricBound(value, bound, side, float(p), method, confidence, n_rows)


def dual_p(lower_at: Callable[[float], float], margin: float) -> float:
    """The p-value dual to a bound: the smallest alpha (= 1 - confidence) at which
    ``lower_at(alpha)`` clears the margin, for a bound that rises with alpha and may
    move in steps (order statistics); found by bisection on log alpha."""

    def clears(alpha: float) -> bool:
        value = lower_at(alpha)
        return math.isfinite(value) and value > margin

    lo, hi = -690.0, math.log1p(-1e-9)  # log alpha: exp(-690) is about 1e-300
    if not clears(math.exp(hi)):
        return 1.0
    if clears(math.exp(lo)):
        return 0.0
    for _ in range(60):
        mid = (lo + hi) / 2.0
        lo, hi = (lo, mid) if clears(math.exp(mid)) else (mid, hi)
    return math.exp(hi)
