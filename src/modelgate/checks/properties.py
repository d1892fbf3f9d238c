"""Behavioural properties as checks, and the registry of property kinds.

A :class:`PropertyCheck` is CheckList-style (Ribeiro et al., 2020): a
perturbation of the validation inputs must not change the prediction, or must
move it one way, on all but ``max_failure_rate`` of ``n_examples`` examples.
Each kind is registered once in :data:`PROPERTY_KINDS` with the config keys it
takes, its default name, what it needs of the evidence (``prepare``: a text
model or a feature column, checked before the verdict) and its evaluator.
This module is light: the evaluators import :mod:`modelgate.behaviour` (and
so Hypothesis) only when a property runs, so parsing a config never does.

The kinds, as ``[[tool.modelgate.properties]]`` tables:

* text models: ``kind = "invariance"`` (typos, case, punctuation, whitespace,
  filler sentences; ``perturbations``, ``tolerance``) and ``kind =
  "directional"`` (``direction``, ``sentences``, ``tolerance``);
* models over feature columns: ``kind = "invariance"`` with ``column =
  "batch_id"``: setting the column to another of its observed values (or one of
  ``values = [...]``) leaves the prediction unchanged (binary: the label at
  0.5, or the probability within ``tolerance``; multiclass: the predicted
  class, or every class probability within ``tolerance``; regression: the
  value within ``tolerance``, else unchanged up to 1e-6 relative); and
  ``kind = "monotonic"`` with ``column = "bmi"``, ``direction = "increasing"``
  (default) or ``"decreasing"``: raising the column (to a larger observed value,
  or by ``step``) must not lower (raise) the positive-class probability, the
  probability of ``class = ...`` (multiclass, required there) or the predicted
  value by more than ``tolerance`` (default 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .. import tables
from ..errors import GateUsageError
from ..names import PERTURBATION_KINDS, PROPERTY
from ..registry import Registry
from ..verdict import CheckResult

if TYPE_CHECKING:
    from ..behaviour import RateReport
    from ..evidence.evaluation import Evaluation

DIRECTIONS = ("negative", "positive")
MONOTONIC_DIRECTIONS = ("increasing", "decreasing")
COLUMN_KINDS = ("monotonic",)  # kinds that always name a feature column (invariance does when given one)
COMMON_KEYS = frozenset({"kind", "n_examples", "max_failure_rate", "confidence", "seed", "name"})


@dataclass(frozen=True)
class PropertyKind:
    """One kind of behavioural property."""

    name: str
    keys: frozenset[str]  # config keys it takes besides COMMON_KEYS
    default_name: Callable[[PropertyCheck], str]
    evaluate: Callable[[PropertyCheck, Evaluation], RateReport]
    # What it needs of the evidence (a text model, a feature column): a one-line GateUsageError, before the verdict.
    prepare: Callable[[PropertyCheck, Evaluation], None] | None = None


PROPERTY_KINDS: Registry[PropertyKind] = Registry("property kind")
register_property_kind = PROPERTY_KINDS.register


@dataclass(frozen=True)
class PropertyCheck:
    """A behavioural property with a failure budget (see :data:`PROPERTY_KINDS`).

    ``kind="invariance"``: the predicted label survives typos, case,
    punctuation, whitespace and filler sentences (``perturbations`` picks
    which; ``tolerance`` bounds the score change instead). ``kind="directional"``:
    appending a ``direction`` sentence ("negative": must not raise the score;
    "positive": must not lower it) from ``sentences``. The property may fail on
    at most ``max_failure_rate`` of ``n_examples`` examples drawn from the
    validation texts; the report names a counterexample Hypothesis shrank.

    For a model over feature columns: ``kind="invariance", column="batch_id"``
    (new values from the column's other observed values, or from ``values``)
    and ``kind="monotonic", column="bmi"`` with ``direction`` "increasing"
    (default) or "decreasing", ``step`` (raise by it instead of to a larger
    observed value), ``tolerance`` and, for multiclass, ``class_value`` (the
    config's ``class``): see the module's docstring. Their counterexample is
    shrunk in one batch (the smallest change that still fails), not probed one
    model call at a time.
    """

    check_kind: ClassVar[str] = "property"

    kind: str  # the property kind: a key of PROPERTY_KINDS
    n_examples: int = 200
    max_failure_rate: float = 0.05
    direction: str | None = None  # None: "increasing" for monotonic, "negative" otherwise
    sentences: tuple[str, ...] | None = None  # None: behaviour's default sentences
    perturbations: tuple[str, ...] | None = None  # None: every perturbation kind
    tolerance: float | None = None
    seed: int = 0
    name: str = ""
    column: str | None = None  # a feature column (column invariance, monotonic)
    values: tuple[Any, ...] | None = None  # column invariance: the values to try (None: the column's observed ones)
    step: float | None = None  # monotonic: raise the column by this (None: to a larger observed value)
    class_value: Any = None  # monotonic: the class whose probability is watched (config key "class")
    # A positive budget is decided on this one-sided upper bound of the rate (None: on the rate itself).
    confidence: float | None = 0.95

    def __post_init__(self) -> None:
        kind = PROPERTY_KINDS.get(self.kind)
        if kind is None:
            known = ", ".join(repr(k) for k in PROPERTY_KINDS)
            raise ValueError(f"unknown property kind {self.kind!r}; use one of {known}")
        monotonic = self.kind == "monotonic"
        if self.direction is None:
            object.__setattr__(self, "direction", "increasing" if monotonic else "negative")
        if monotonic and self.direction not in MONOTONIC_DIRECTIONS:
            raise ValueError(f"direction must be 'increasing' or 'decreasing', not {self.direction!r}")
        if not monotonic and self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'negative' or 'positive', not {self.direction!r}")
        self._check_column_settings()
        if not 0 <= self.max_failure_rate < 1:
            raise ValueError(f"max_failure_rate must be in [0, 1), not {self.max_failure_rate!r}")
        if self.n_examples < 1:
            raise ValueError(f"n_examples must be at least 1, not {self.n_examples!r}")
        if self.confidence is not None and not 0.5 <= self.confidence < 1:
            raise ValueError(f"confidence must be in [0.5, 1) or None, not {self.confidence!r}")
        needed = examples_to_pass(self.max_failure_rate, self.confidence)
        if self.n_examples < needed:
            raise ValueError(
                f"n_examples must be at least {needed} for a budget of {self.max_failure_rate:g}: below that, "
                f"even no failure leaves the {self.confidence:.0%} upper bound of the rate above the budget "
                '(or decide on the observed rate with confidence = "none")'
            )
        if self.tolerance is not None and (
            isinstance(self.tolerance, bool)
            or not isinstance(self.tolerance, (int, float))
            or not math.isfinite(self.tolerance)
            or self.tolerance < 0
        ):
            raise ValueError(f"tolerance must be a finite number >= 0, not {self.tolerance!r}")
        # Given means given: an empty list is a mistake, not "use the defaults" (that is None).
        for key in ("sentences", "perturbations"):
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(value, str):
                raise ValueError(f"{key} must be a list of strings, not the string {value!r}")
            value = tuple(value)
            if not value:
                raise ValueError(f"{key} must not be empty (leave it out for the defaults)")
            if not all(isinstance(v, str) and v.strip() for v in value):
                raise ValueError(f"{key} must be non-empty strings, not {list(value)!r}")
            object.__setattr__(self, key, value)
        unknown = sorted(set(self.perturbations or ()) - set(PERTURBATION_KINDS))
        if unknown:
            raise ValueError(f"unknown perturbation {unknown[0]!r}; choose from {', '.join(PERTURBATION_KINDS)}")
        if not self.name:
            object.__setattr__(self, "name", kind.default_name(self))

    def _check_column_settings(self) -> None:
        """The settings of column properties, as far as they can be checked without the model."""
        if self.column is not None and (not isinstance(self.column, str) or not self.column.strip()):
            raise ValueError(f"column must be a column name, not {self.column!r}")
        if self.kind in COLUMN_KINDS and self.column is None:
            raise ValueError(f"column must name the feature column a {self.kind} property changes")
        if self.column is not None and self.perturbations is not None:
            raise ValueError(
                "perturbations do not apply with a column: a column invariance changes the column's values"
            )
        if self.values is not None:
            if self.column is None or self.kind != "invariance":
                raise ValueError("values need a column: they are what a column invariance sets it to")
            if isinstance(self.values, (str, bytes)) or not isinstance(self.values, (list, tuple)):
                raise ValueError(f"values must be a list, not {self.values!r}")
            values = tuple(self.values)
            if not values:
                raise ValueError("values must not be empty (leave it out for the column's observed values)")
            if not all(_is_scalar(v) for v in values):
                raise ValueError(f"values must be strings, numbers or booleans, not {list(values)!r}")
            object.__setattr__(self, "values", values)
        if self.step is not None:
            if self.kind != "monotonic":
                raise ValueError("step is for monotonic properties")
            if (
                isinstance(self.step, bool)
                or not isinstance(self.step, (int, float))
                or not math.isfinite(self.step)
                or self.step <= 0
            ):
                raise ValueError(f"step must be a finite number > 0, not {self.step!r}")
        if self.class_value is not None:
            if self.kind != "monotonic":
                raise ValueError("class is for monotonic properties")
            if not _is_scalar(self.class_value):
                raise ValueError(f"class must be a class value (a string, number or boolean), not {self.class_value!r}")

    @classmethod
    def keys(cls) -> frozenset[str]:
        """Every key a ``[[tool.modelgate.properties]]`` table may have, for any kind."""
        return COMMON_KEYS.union(*(k.keys for k in PROPERTY_KINDS.values()))

    def __str__(self) -> str:
        return self.name

    def prepare(self, evidence: Evaluation) -> None:
        """Check that the property fits the model (a text model for text perturbations,
        a known feature column for a column property); a one-line GateUsageError if not."""
        check = PROPERTY_KINDS[self.kind].prepare
        if check is not None:
            check(self, evidence)

    def evaluate(self, evidence: Evaluation) -> CheckResult:
        self.prepare(evidence)  # also when no front end prepared it: a misfit is never a verdict
        return property_result(PROPERTY_KINDS[self.kind].evaluate(self, evidence), self.name)


def examples_to_pass(max_failure_rate: float, confidence: float | None) -> int:
    """The fewest examples with which a property with no failure passes a positive budget:
    the exact upper bound with 0 failures in n, 1 - (1 - confidence) ** (1 / n), must be
    below the budget (59 for 5% at 95%). 1 for a zero budget or no bound."""
    if confidence is None or max_failure_rate <= 0:
        return 1
    from ..behaviour.reports import within_budget  # with no failure: closed form, no scipy

    n = max(1, math.floor(math.log(1 - confidence) / math.log(1 - max_failure_rate)))
    while not within_budget(0, n, max_failure_rate, confidence):  # the rounding of the logs decides nothing
        n += 1
    return n


def property_result(report: RateReport, name: str | None = None) -> CheckResult:
    """A behavioural property's :class:`~modelgate.behaviour.RateReport` as a CheckResult."""
    return CheckResult(
        name=name or report.property,
        group=PROPERTY,
        passed=report.passed,
        message=report.message,
        candidate_value=report.failure_rate,
        lower=report.upper_bound if report.bounded else None,  # the decisive bound: the rate's upper one
        margin=report.max_failure_rate,
        confidence=report.confidence if report.bounded else None,
        n=report.n_examples,
        method="Clopper-Pearson upper bound" if report.bounded else "failure rate",
    )


def parse_property(raw: Mapping[str, Any], where: str, strict: bool = True) -> PropertyCheck:
    """One ``[[tool.modelgate.properties]]`` table as a PropertyCheck; GateUsageError naming the key."""
    tables.check_table(raw, where, PropertyCheck.keys(), "kind", "property")
    name = tables.string(f"{where}.kind", raw["kind"])
    kind = PROPERTY_KINDS.get(name)
    if kind is not None:
        extra = sorted(set(raw) - COMMON_KEYS - kind.keys)
        if extra:
            allowed = ", ".join(sorted(COMMON_KEYS | kind.keys))
            raise GateUsageError(f"{where}.{extra[0]}: a {name} property takes no {extra[0]!r} (it takes: {allowed})")
    kwargs: dict[str, Any] = {"kind": name}
    for key in ("direction", "name", "column"):
        if key in raw:
            kwargs[key] = tables.string(f"{where}.{key}", raw[key])
    if "values" in raw:
        values = raw["values"]
        if not isinstance(values, (list, tuple)) or not values or not all(_is_scalar(v) for v in values):
            raise tables.type_error(f"{where}.values", "a non-empty list of strings, numbers or booleans", values)
        kwargs["values"] = tuple(values)
    if "step" in raw:
        kwargs["step"] = tables.number(f"{where}.step", raw["step"], strict)
    if "class" in raw:
        value = raw["class"]
        if not _is_scalar(value) or (isinstance(value, str) and not value.strip()):  # a bool: False/True classes
            raise tables.type_error(f"{where}.class", "a class value (a string, number or boolean)", value)
        kwargs["class_value"] = value.strip() if isinstance(value, str) else value
    for key in ("sentences", "perturbations"):
        if key in raw:
            kwargs[key] = tables.strings(f"{where}.{key}", raw[key])
    for key, minimum in (("n_examples", 1), ("seed", 0)):
        if key in raw:
            kwargs[key] = tables.whole(f"{where}.{key}", raw[key], minimum, strict)
    for key in ("max_failure_rate", "tolerance"):
        if key in raw:
            kwargs[key] = tables.number(f"{where}.{key}", raw[key], strict)
    if "confidence" in raw:
        kwargs["confidence"] = tables.confidence(f"{where}.confidence", raw["confidence"], strict)
    try:
        return PropertyCheck(**kwargs)
    except ValueError as exc:
        # PropertyCheck names the setting first ("tolerance must be ..."): name the key.
        key, _, rest = str(exc).partition(" ")
        if key in raw:
            raise GateUsageError(f"{where}.{key}: {rest}") from None
        raise GateUsageError(f"{where}: {exc}") from None


def _is_scalar(value: Any) -> bool:
    """A value a config or a column can hold: a string, a finite number or a boolean."""
    if isinstance(value, (str, bool)):
        return True
    return isinstance(value, (int, float)) and math.isfinite(value)


# -- what each kind needs of the evidence -------------------------------------------
def _needs_texts(prop: PropertyCheck, evidence: Evaluation) -> None:
    if evidence.features is not None:
        columns = _columns_shown(evidence)
        raise GateUsageError(
            f"property {prop.name}: a {prop.kind} property perturbs texts, but the model takes feature columns "
            f"({columns}); for a column property give column = ..."
        )


def _needs_column(prop: PropertyCheck, evidence: Evaluation) -> Any:
    """The feature column ``prop.column`` of the validation frame (a pandas Series)."""
    if evidence.features is None:
        raise GateUsageError(
            f"property {prop.name}: column {prop.column!r} names a feature column, but the model takes texts"
        )
    return evidence.features[_column_key(prop, evidence)]


def _column_key(prop: PropertyCheck, evidence: Evaluation) -> Any:
    """The frame's own label of ``prop.column``: the name itself, or the one column whose
    label reads as it (a frame built from an array has columns 0, 1, 2: ``column = "2"``)."""
    frame = evidence.features
    if prop.column in frame.columns:
        return prop.column
    same = [c for c in frame.columns if str(c) == prop.column]
    if len(same) != 1:
        raise GateUsageError(
            f"property {prop.name}: no feature column {prop.column!r}; the model's columns are {_columns_shown(evidence)}"
        )
    return same[0]


def _columns_shown(evidence: Evaluation, limit: int = 8) -> str:
    names = [str(c) for c in evidence.features.columns]
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} columns)" if len(names) > limit else "")


def _prepare_invariance(prop: PropertyCheck, evidence: Evaluation) -> None:
    if prop.column is None:
        _needs_texts(prop, evidence)
    else:
        _invariance_values(prop, evidence)


def _invariance_values(prop: PropertyCheck, evidence: Evaluation) -> list[Any]:
    """The values a column invariance sets: ``values`` in the column's type, else its observed ones."""
    from ..smoke import conform_values

    column = _needs_column(prop, evidence)
    observed = column.dropna().unique().tolist()
    if prop.values is None:
        values = observed
        if len(values) < 2:
            raise GateUsageError(
                f"property {prop.name}: column {prop.column!r} has {len(values)} distinct value(s) in the validation "
                "data, so there is nothing to change it to; give values = [...]"
            )
        return values
    converted = conform_values(
        list(prop.values), column.dtype, lambda i: f"property {prop.name}: values[{i}] for column {prop.column!r}"
    )
    values = list(dict.fromkeys(converted.tolist() if hasattr(converted, "tolist") else list(converted)))
    if len(values) == 1 and all(v == values[0] for v in observed):
        raise GateUsageError(
            f"property {prop.name}: every validation row already has {prop.column!r} = {values[0]!r}, the only "
            "value given: nothing changes"
        )
    return values


def _prepare_monotonic(prop: PropertyCheck, evidence: Evaluation) -> None:
    _monotonic_setup(prop, evidence)


def _monotonic_setup(prop: PropertyCheck, evidence: Evaluation) -> int | None:
    """Check a monotonic property against the evidence; the index of the watched class
    (binary: 1 or 0, multiclass: its column; regression: None)."""
    from pandas.api import types as pdt

    from ..evidence.classes import binary_index, match_class
    from ..names import BINARY, MULTICLASS, REGRESSION

    column = _needs_column(prop, evidence)
    if pdt.is_bool_dtype(column.dtype) or not pdt.is_numeric_dtype(column.dtype):
        raise GateUsageError(
            f"property {prop.name}: column {prop.column!r} is {column.dtype}, not numeric: it cannot be raised"
        )
    if prop.step is None and column.dropna().nunique() < 2:
        raise GateUsageError(
            f"property {prop.name}: column {prop.column!r} has fewer than 2 distinct values in the validation "
            "data, so no row can be raised to a larger one; give step = ..."
        )
    classes = tuple(evidence.classes)
    if evidence.task == REGRESSION:
        if prop.class_value is not None:
            raise GateUsageError(f"property {prop.name}: class is for classifiers; the model is a regression model")
        return None
    if evidence.task == MULTICLASS:
        if prop.class_value is None:
            raise GateUsageError(
                f"property {prop.name}: a multiclass model needs class = ...: the class whose probability must "
                f"move with {prop.column!r} (classes: {', '.join(repr(c) for c in classes[:10])})"
            )
        index = match_class(prop.class_value, classes)
        if index is None:
            raise GateUsageError(
                f"property {prop.name}: class {prop.class_value!r} is not a class of the model "
                f"(classes: {', '.join(repr(c) for c in classes[:10])})"
            )
        return index
    if evidence.task != BINARY:
        raise GateUsageError(f"property {prop.name}: unknown task {evidence.task!r}")
    if prop.class_value is None:
        return 1  # the positive class's probability
    index = binary_index(prop.class_value, classes)  # classes are (negative, positive)
    if index is None:
        raise GateUsageError(
            f"property {prop.name}: class {prop.class_value!r} is not a class of the binary model "
            f"(classes: {', '.join(repr(c) for c in classes)})"
        )
    return index


# -- the kinds -------------------------------------------------------------------
def _invariance(prop: PropertyCheck, evidence: Evaluation) -> RateReport:
    from .. import behaviour

    if prop.column is not None:
        return behaviour.check_column_invariance_rate(
            evidence.candidate_scorer,
            evidence.features,
            _column_key(prop, evidence),
            task=evidence.task,
            classes=evidence.classes,
            values=_invariance_values(prop, evidence),
            tolerance=prop.tolerance,
            n_examples=prop.n_examples,
            max_failure_rate=prop.max_failure_rate,
            seed=prop.seed,
            confidence=prop.confidence,
        )
    return behaviour.check_invariance_rate(
        evidence.candidate_scorer,
        evidence.texts,
        tolerance=prop.tolerance,
        kinds=prop.perturbations,
        n_examples=prop.n_examples,
        max_failure_rate=prop.max_failure_rate,
        seed=prop.seed,
        confidence=prop.confidence,
    )


def _directional(prop: PropertyCheck, evidence: Evaluation) -> RateReport:
    from .. import behaviour

    extra = {} if prop.tolerance is None else {"tolerance": prop.tolerance}
    return behaviour.check_directional_rate(
        evidence.candidate_scorer,
        evidence.texts,
        direction=prop.direction,  # type: ignore[arg-type]  # checked in __post_init__
        sentences=prop.sentences,
        n_examples=prop.n_examples,
        max_failure_rate=prop.max_failure_rate,
        seed=prop.seed,
        confidence=prop.confidence,
        **extra,
    )


def _monotonic(prop: PropertyCheck, evidence: Evaluation) -> RateReport:
    from .. import behaviour

    return behaviour.check_monotonic_rate(
        evidence.candidate_scorer,
        evidence.features,
        _column_key(prop, evidence),
        task=evidence.task,
        classes=evidence.classes,
        class_index=_monotonic_setup(prop, evidence),
        direction=prop.direction,  # type: ignore[arg-type]
        step=prop.step,
        tolerance=prop.tolerance or 0.0,
        n_examples=prop.n_examples,
        max_failure_rate=prop.max_failure_rate,
        seed=prop.seed,
        confidence=prop.confidence,
    )


def _invariance_name(prop: PropertyCheck) -> str:
    return "invariance" if prop.column is None else f"invariance-{prop.column}"


def _monotonic_name(prop: PropertyCheck) -> str:
    of_class = "" if prop.class_value is None else f"-{prop.class_value}"
    return f"monotonic-{prop.column}-{prop.direction}{of_class}"


register_property_kind(
    PropertyKind(
        "invariance",
        frozenset({"perturbations", "tolerance", "column", "values"}),
        _invariance_name,
        _invariance,
        _prepare_invariance,
    )
)
register_property_kind(
    PropertyKind(
        "directional",
        frozenset({"direction", "sentences", "tolerance"}),
        lambda p: f"directional-{p.direction}",
        _directional,
        _needs_texts,
    )
)
register_property_kind(
    PropertyKind(
        "monotonic",
        frozenset({"column", "direction", "step", "tolerance", "class"}),
        _monotonic_name,
        _monotonic,
        _prepare_monotonic,
    )
)
