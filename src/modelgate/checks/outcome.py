"""The third outcome of a check decided on a bound: *inconclusive*.

A bound says ``inconclusive`` when the data are too thin to decide (too few rows
or rows of a class, a degenerate resample...): no bound is trusted, so the check
neither passes nor fails on it. What happens then is the gate's
``on_inconclusive``: ``"fail"`` (the default: nothing untrustworthy passes) or
``"pass"`` (it passes, and the reports warn). A defect (a NaN score) is not
inconclusive: it fails under both.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from ..names import INCONCLUSIVE_PASSES

if TYPE_CHECKING:  # the bounds module imports scipy: not when the plugin loads
    from ..stats.bounds import DifferenceBound, MetricBound

__all__ = ["decided_by_estimate", "detectable", "inconclusive_message", "inconclusive_passes"]

B = TypeVar("B", "MetricBound", "DifferenceBound")


def inconclusive_passes(on_inconclusive: str) -> bool:
    """Whether an inconclusive check passes under this ``on_inconclusive``."""
    return on_inconclusive == INCONCLUSIVE_PASSES


def inconclusive_message(reason: str, head: str, passes: bool) -> str:
    """``INCONCLUSIVE: <why>; <what was measured>: <what the check does about it>``."""
    why = reason or "the data are too thin to decide"
    if passes:
        then = 'the check passed because on_inconclusive = "pass"'
    else:
        then = 'the check fails (on_inconclusive = "fail"; "pass" lets it pass with a warning)'
    return f"INCONCLUSIVE: {why}; {head}: no bound can be trusted on these data, so {then}"


def detectable(estimate: float, bound: float, confidence: float | None, inconclusive: bool) -> float | None:
    """The minimum detectable effect beyond the margin or floor (80% power) that this bound
    implies at this n; None without a confidence bound, or when the bound cannot be trusted."""
    if confidence is None or inconclusive or not (math.isfinite(estimate) and math.isfinite(bound)):
        return None
    if estimate == bound:  # no spread (the same model twice, one loss on every row): no power to state
        return None
    from ..stats.power import minimum_detectable_effect

    mde = minimum_detectable_effect(estimate, bound, confidence)
    return mde if math.isfinite(mde) else None  # a 50% "bound" is the estimate: no spread to read


def decided_by_estimate(bound: B, estimate: float, estimate_clears: bool) -> B:
    """An inconclusive bound whose estimate itself does not clear is no longer
    inconclusive: a bound is never beyond its estimate, so none could clear on these
    rows and the check fails whatever ``on_inconclusive`` says (as a model equal to
    its baseline on every resample does). An undefined estimate leaves it inconclusive."""
    if not bound.inconclusive or not math.isfinite(estimate) or estimate_clears:
        return bound
    why = f"{bound.reason}, and the estimate itself does not clear" if bound.reason else ""
    return replace(bound, inconclusive=False, reason=why)
