"""Class values: matching a value to a model's classes, and which class is positive.

A binary gate has one rule for which of its two classes is positive, and the
scorer (which ``predict_proba`` column), the labels (what counts as 1), smoke
cases, properties, the majority baseline and champion runs all follow it
through the pair :func:`binary_classes` returns, ``(negative, positive)``:

1. ``positive_class``, when configured (matched by value, so the command
   line's text ``"2"`` is the class ``2`` and ``"True"`` the class ``True``);
2. else 1 (``True``) when the two classes are 0 and 1, False and True, or -1
   and 1, in whatever order a model lists them;
3. else the model's ``classes_[1]`` when it names its classes (scikit-learn's
   convention: the greater of the two sorted classes);
4. else nothing can tell: a model that names no classes (a callable, a Keras
   model) gives one probability, and labels such as 1/2 or "neg"/"pos" do not
   say which class it is for, so ``positive_class`` is required.

The two classes are the model's when it names them, else the label values
(:func:`modelgate.tasks.labels_for_task` reads them). Only the standard
library is imported here.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from ..errors import GateUsageError

LABEL_WORDS = {"positive": 1, "negative": 0, "pos": 1, "neg": 0}  # an expected label in words
SETTING_HINT = "set positive_class ([tool.modelgate], --gate-positive-class or Gate(positive_class=...))"


def match_class(value: Any, classes: Sequence[Any]) -> int | None:
    """The index of ``value`` among ``classes``, matched by value: equal, else equal as
    numbers (``"2"`` and ``2.0`` match ``2``), else equal as text; None when none matches."""
    for i, c in enumerate(classes):
        if isinstance(value, bool) == isinstance(c, bool) and _equal(value, c):
            return i
    number = as_number(value)
    if number is not None:
        for i, c in enumerate(classes):
            if as_number(c) == number:
                return i
    text = str(value).strip()
    for i, c in enumerate(classes):
        if str(c).strip() == text:
            return i
    return None


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # an array, an odd type: not a match
        return False


def as_number(value: Any) -> float | None:
    """A number (not a bool), or text holding one, as a float; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (``np.int64(2)`` -> ``2``)."""
    return value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value


def _is_number(value: Any) -> bool:
    return isinstance(value, (bool, numbers.Real)) and not isinstance(value, str)


def standard_positive(pair: Sequence[Any]) -> Any | None:
    """The positive class of a coding that says it itself: 1 (or True) of 0/1,
    False/True and -1/1; None for any other pair."""
    if len(pair) != 2 or not all(_is_number(v) for v in pair):
        return None
    if {*pair} in ({0, 1}, {-1, 1}):  # {False, True} == {0, 1}, {0.0, 1.0} too
        return next(v for v in pair if v == 1)
    return None


def shown(pair: Sequence[Any]) -> str:
    return ", ".join(repr(plain(c)) for c in pair)


def choose(pair: Sequence[Any], setting: Any = None, *, labels_from: str = "") -> tuple[Any, Any]:
    """``(negative, positive)`` of two class values by the rule (module docstring).

    The pair is a model's ``classes_``, in its order (rule 3 applies), unless
    ``labels_from`` names the label column it was read from: then a pair that
    does not say which class is positive is a GateUsageError asking for
    ``positive_class``.
    """
    pair = tuple(plain(c) for c in pair)
    if setting is not None:
        index = match_class(setting, pair)
        if index is None:
            raise GateUsageError(f"positive_class {plain(setting)!r} is not one of the two classes ({shown(pair)})")
        return pair[1 - index], pair[index]
    if standard_positive(pair) is not None:
        index = next(i for i, v in enumerate(pair) if v == 1)
        return pair[1 - index], pair[index]
    if not labels_from:
        return pair[0], pair[1]
    raise GateUsageError(
        f"label column {labels_from!r} holds {shown(pair)} and the model names no classes, so which one is "
        f"positive cannot be told: {SETTING_HINT} to the class the model's score is the probability of"
    )


def binary_index(value: Any, classes: Sequence[Any]) -> int | None:
    """1 (positive) or 0 (negative) for a value naming a binary class (a smoke
    case's expected label, a property's class), the classes being
    ``(negative, positive)``: a class, matched by value (``"2"`` is class 2);
    else positive/negative (pos/neg); else 0/1 (or a bool), when the classes
    are 0/1, False/True or -1/1 (1 or True is the class 1 or True, 0 or False
    the other, whichever of them is positive), or unknown (1 positive, 0
    negative). None: none of these."""
    if len(classes) == 2:
        index = match_class(value, classes)
        if index is not None:
            return index
    word = str(value).strip().lower()
    if word in LABEL_WORDS:
        return LABEL_WORDS[word]
    one = int(value) if isinstance(value, bool) else match_class(value, (0, 1))
    if len(classes) != 2 or one is None:
        return one
    standard = standard_positive(classes)
    if standard is None:
        return None
    index_of_one = next(i for i, c in enumerate(classes) if c == standard)  # where 1 (True) stands
    return index_of_one if one == 1 else 1 - index_of_one


def sorted_values(values: Sequence[Any]) -> tuple[Any, ...]:
    try:
        return tuple(sorted(values))
    except TypeError:  # mixed types: as first seen
        return tuple(values)


def model_pair(model_classes: Sequence[Any]) -> tuple[Any, Any]:
    """``(negative, positive)`` of a binary model's own ``classes_`` (no setting, no labels)."""
    if len(model_classes) != 2:
        raise ValueError(f"classes_ is [{shown(model_classes)}]: not binary, so the positive-class column is unknown")
    return choose(model_classes)
