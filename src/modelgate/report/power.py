"""What the gate can detect, said before it decides: one line per bound-based check.

Read off each check's bound (:mod:`modelgate.stats.power`): the minimum detectable
effect (the true effect beyond the margin or floor that passes 80% of the time at
this n) and, with ``power_effect``, a warning for every check that would pass a
candidate that much better less than 80% of the time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..names import FLOOR

if TYPE_CHECKING:  # the verdict imports the report's renderers
    from ..verdict import CheckResult

UNDERPOWERED = "underpowered"


def _beyond(result: CheckResult) -> str:
    return "floor" if result.group == FLOOR else "margin"


def power_at_effect(result: CheckResult, effect: float) -> float | None:
    """The chance that a candidate truly ``effect`` beyond this check's margin or floor passes."""
    estimate = result.candidate_value if result.group == FLOOR else result.estimate
    if result.mde is None or estimate is None or result.lower is None or result.confidence is None:
        return None
    from ..stats.power import power_at

    return power_at(effect, estimate, result.lower, result.confidence)


def power_lines(results: Sequence[CheckResult], effect: float | None = None) -> list[str]:
    """``power: NAME: detects 0.0123 beyond its margin (80% power, n = 2,264)`` for each check
    with a bound; then, with ``effect``, one warning a check that is underpowered for it."""
    lines, warnings = [], []
    for r in results:
        if r.mde is None:
            continue
        lines.append(f"power: {r.name}: detects {r.mde:.4f} beyond its {_beyond(r)} (80% power, n = {r.n:,})")
        chance = power_at_effect(r, effect) if effect is not None else None
        if chance is not None and math.isfinite(chance) and chance < 0.8:
            warnings.append(
                f"{UNDERPOWERED}: a candidate truly {effect:g} beyond the {_beyond(r)} of {r.name} passes "
                f"only {chance:.0%} of the time at n = {r.n:,}"
            )
    whole = gate_power(results, effect) if effect is not None else None
    if whole is not None:
        count, chance = whole
        lines.append(
            f"power: the gate: a candidate truly {effect:g} beyond every margin and floor passes all {count} "
            f"checks about {chance:.0%} of the time, and fails one about {1 - chance:.0%} of the time "
            "(the checks taken as independent)"
        )
    return lines + [f"modelgate warning: {w}" for w in warnings]


def gate_power(results: Sequence[CheckResult], effect: float) -> tuple[int, float] | None:
    """(how many bound-based checks, the chance that a candidate truly ``effect`` beyond each
    of them passes them all), the checks taken as independent; None without such checks.

    Every check must pass, so the gate is an intersection-union test: a candidate truly
    on the wrong side of any one margin passes at most that check's level (5%), with no
    correction. The price is here: a good candidate must clear every check, and its
    chance to fail one grows with the number of checks and slices."""
    chances = [c for r in results if (c := power_at_effect(r, effect)) is not None and math.isfinite(c)]
    if not chances:
        return None
    product = 1.0
    for chance in chances:
        product *= chance
    return len(chances), product
