"""Power of a bound-based check, read off the bound itself.

A one-sided bound at confidence ``1 - alpha`` lies about ``z_alpha`` standard errors
from its estimate: ``se = |estimate - bound| / z_alpha``. A candidate whose true
quantity is the margin plus ``effect`` then passes with probability

    power(effect) = Phi(effect / se - z_alpha),

and the *minimum detectable effect* at power ``1 - beta`` is

    mde = (z_alpha + z_beta) * se

beyond the margin (or floor). It is a normal approximation with the standard error
estimated at this n, checked by simulation in ``benchmarks/bench_stats.py --rates``.
It says what the gate can detect before it decides; it is not a post-hoc power of
the observed difference.
"""

from __future__ import annotations

import math

from scipy import stats as sps

__all__ = ["POWER", "minimum_detectable_effect", "power_at", "standard_error"]

POWER = 0.8  # the power the minimum detectable effect is quoted at


def standard_error(estimate: float, bound: float, confidence: float) -> float:
    """The standard error a one-sided bound at ``confidence`` implies; NaN when undefined."""
    z = float(sps.norm.ppf(confidence))
    if not (math.isfinite(estimate) and math.isfinite(bound)) or z <= 0:
        return math.nan
    return abs(estimate - bound) / z


def minimum_detectable_effect(estimate: float, bound: float, confidence: float, power: float = POWER) -> float:
    """The smallest true effect beyond the margin that passes with probability ``power``."""
    se = standard_error(estimate, bound, confidence)
    return (float(sps.norm.ppf(confidence)) + float(sps.norm.ppf(power))) * se  # NaN at confidence 0.5


def power_at(effect: float, estimate: float, bound: float, confidence: float) -> float:
    """The chance that a candidate truly ``effect`` beyond the margin passes."""
    se = standard_error(estimate, bound, confidence)
    if not math.isfinite(se):
        return math.nan
    z = float(sps.norm.ppf(confidence))
    if se == 0:
        return 1.0 if effect > 0 else 0.0
    return float(sps.norm.cdf(effect / se - z))
