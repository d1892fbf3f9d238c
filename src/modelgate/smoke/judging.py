"""Judging a model's output for one smoke case against what the case expects."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..evidence.classes import plain
from ..names import BINARY, MULTICLASS
from .cases import AnyCase
from .fitting import expectation_of
from .messages import binary_failure, one_line, score_shown

if TYPE_CHECKING:
    from ..evidence.evaluation import Evaluation


@dataclass(frozen=True)
class Judgement:
    """What one smoke case's output came to: passed, a message, the value compared and its threshold."""

    passed: bool
    message: str
    value: float
    threshold: float | None


def _case_suffix(case: AnyCase, evidence: Evaluation | None) -> str:
    """The text of a text model's case, else where the case is in its file."""
    if case.text is not None and (evidence is None or evidence.features is None):
        return f"; text: {one_line(case.text)!r}"
    return f"; case at {case.source}" if case.source else ""


def judge(case: AnyCase, output: Any, evidence: Evaluation | None = None) -> Judgement:
    """Judge the model's output for one case (a score, a row of class probabilities, a
    value) against what the case expects; ``evidence`` gives the task and classes
    (None: a binary model)."""
    import numpy as np

    expect = expectation_of(case, evidence)
    name = case.name
    if expect.kind == BINARY:
        score = float(np.asarray(output, dtype=float).reshape(-1)[0])
        threshold = 0.5 if expect.threshold is None else expect.threshold
        passed = score > threshold if expect.index == 1 else score < threshold
        if passed:
            return Judgement(
                True, f"smoke {name}: score {score:.3f} is on the expected side of {threshold}", score, threshold
            )
        classes = tuple(plain(c) for c in evidence.classes) if evidence is not None else ()
        label = f"{classes[expect.index]!r} ({expect.index})" if len(classes) == 2 and set(classes) != {0, 1} else ""
        message = binary_failure(name, expect.index, label, score, threshold) + _case_suffix(case, evidence)
        return Judgement(False, message, score, threshold)
    if expect.kind == MULTICLASS:
        assert evidence is not None
        classes = tuple(plain(c) for c in evidence.classes)
        probs = np.asarray(output, dtype=float).reshape(-1)
        p = float(probs[expect.index])
        others = np.delete(probs, expect.index)
        rival = int(np.argmax(others)) if len(others) else -1
        rival_index = rival + (rival >= expect.index)
        rival_p = float(others[rival]) if len(others) else -math.inf
        wanted = classes[expect.index]
        if not p > rival_p:
            message = (
                f"smoke {name}: expected class {wanted!r}, got class {classes[rival_index]!r} "
                f"(p={rival_p:.4f}); {wanted!r} has p={p:.4f}"
            )
            return Judgement(False, message + _case_suffix(case, evidence), p, expect.threshold)
        if expect.threshold is not None and not p > expect.threshold:
            message = (
                f"smoke {name}: expected class {wanted!r} with p > {expect.threshold:g}, got p="
                f"{score_shown(p, expect.threshold)} (it is the predicted class)"
            )
            return Judgement(False, message + _case_suffix(case, evidence), p, expect.threshold)
        return Judgement(True, f"smoke {name}: predicted class {wanted!r} with p={p:.3f}", p, expect.threshold)
    value = float(np.asarray(output, dtype=float).reshape(-1)[0])
    low, high = expect.low, expect.high
    if expect.expected is not None:
        wanted_range = f"within {expect.expected:.6g} ± {expect.tolerance:.6g} ([{low:.6g}, {high:.6g}])"
    elif math.isinf(high):
        wanted_range = f">= {low:.6g}"
    elif math.isinf(low):
        wanted_range = f"<= {high:.6g}"
    else:
        wanted_range = f"in [{low:.6g}, {high:.6g}]"
    if low <= value <= high:
        return Judgement(True, f"smoke {name}: value {value:.6g} is {wanted_range}", value, None)
    off = f"{value - high:.4g} above" if value > high else f"{low - value:.4g} below" if value < low else "not a number"
    message = f"smoke {name}: expected a value {wanted_range}, got {value:.6g} ({off})"
    return Judgement(False, message + _case_suffix(case, evidence), value, None)
