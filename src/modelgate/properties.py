"""Behavioural properties as checks, and the registry of property kinds.

A :class:`PropertyCheck` is CheckList-style (Ribeiro et al., 2020): a
perturbation of the validation inputs must not change the prediction, or must
move it one way, on all but ``max_failure_rate`` of ``n_examples`` examples.
Each kind is registered once in :data:`PROPERTY_KINDS` with the config keys it
takes, its default name and its evaluator. This module is light: the
evaluators import :mod:`modelgate.behaviour` (and so Hypothesis) only when a
property runs, so parsing a config never does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from . import tables
from .errors import GateUsageError
from .names import PROPERTY
from .registry import Registry
from .verdict import CheckResult

if TYPE_CHECKING:
    from .behaviour import RateReport
    from .evaluation import Evaluation

# Names of behaviour's perturbations (behaviour checks that it builds these).
PERTURBATION_KINDS: tuple[str, ...] = ("whitespace", "punctuation", "case", "typo", "filler")
DIRECTIONS = ("negative", "positive")
COMMON_KEYS = frozenset({"kind", "n_examples", "max_failure_rate", "seed", "name"})


@dataclass(frozen=True)
class PropertyKind:
    """One kind of behavioural property."""

    name: str
    keys: frozenset[str]  # config keys it takes besides COMMON_KEYS
    default_name: Callable[["PropertyCheck"], str]
    evaluate: Callable[["PropertyCheck", "Evaluation"], "RateReport"]


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
    """

    check_kind: ClassVar[str] = "property"

    kind: str  # the property kind: a key of PROPERTY_KINDS
    n_examples: int = 200
    max_failure_rate: float = 0.05
    direction: str = "negative"
    sentences: tuple[str, ...] | None = None  # None: behaviour's default sentences
    perturbations: tuple[str, ...] | None = None  # None: every perturbation kind
    tolerance: float | None = None
    seed: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        kind = PROPERTY_KINDS.get(self.kind)
        if kind is None:
            known = ", ".join(repr(k) for k in PROPERTY_KINDS)
            raise ValueError(f"unknown property kind {self.kind!r}; use one of {known}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'negative' or 'positive', not {self.direction!r}")
        if not 0 <= self.max_failure_rate < 1:
            raise ValueError(f"max_failure_rate must be in [0, 1), not {self.max_failure_rate!r}")
        if self.n_examples < 1:
            raise ValueError(f"n_examples must be at least 1, not {self.n_examples!r}")
        if self.tolerance is not None and (
            isinstance(self.tolerance, bool) or not isinstance(self.tolerance, (int, float))
            or not math.isfinite(self.tolerance) or self.tolerance < 0
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

    @classmethod
    def keys(cls) -> frozenset[str]:
        """Every key a ``[[tool.modelgate.properties]]`` table may have, for any kind."""
        return COMMON_KEYS.union(*(k.keys for k in PROPERTY_KINDS.values()))

    def __str__(self) -> str:
        return self.name

    def prepare(self, evidence: Evaluation) -> None:
        pass

    def evaluate(self, evidence: Evaluation) -> CheckResult:
        return property_result(PROPERTY_KINDS[self.kind].evaluate(self, evidence), self.name)


def property_result(report: RateReport, name: str | None = None) -> CheckResult:
    """A behavioural property's :class:`~modelgate.behaviour.RateReport` as a CheckResult."""
    return CheckResult(
        name=name or report.property,
        group=PROPERTY,
        passed=report.passed,
        message=report.message,
        candidate_value=report.failure_rate,
        margin=report.max_failure_rate,
        n=report.n_examples,
        method="failure rate",
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
    for key in ("direction", "name"):
        if key in raw:
            kwargs[key] = tables.string(f"{where}.{key}", raw[key])
    for key in ("sentences", "perturbations"):
        if key in raw:
            kwargs[key] = tables.strings(f"{where}.{key}", raw[key])
    for key, minimum in (("n_examples", 1), ("seed", 0)):
        if key in raw:
            kwargs[key] = tables.whole(f"{where}.{key}", raw[key], minimum, strict)
    for key in ("max_failure_rate", "tolerance"):
        if key in raw:
            kwargs[key] = tables.number(f"{where}.{key}", raw[key], strict)
    try:
        return PropertyCheck(**kwargs)
    except ValueError as exc:
        # PropertyCheck names the setting first ("tolerance must be ..."): name the key.
        key, _, rest = str(exc).partition(" ")
        if key in raw:
            raise GateUsageError(f"{where}.{key}: {rest}") from None
        raise GateUsageError(f"{where}: {exc}") from None


# -- the kinds -------------------------------------------------------------------
def _invariance(prop: PropertyCheck, evidence: Evaluation) -> RateReport:
    from . import behaviour

    return behaviour.check_invariance_rate(
        evidence.candidate_scorer, evidence.texts, tolerance=prop.tolerance, kinds=prop.perturbations,
        n_examples=prop.n_examples, max_failure_rate=prop.max_failure_rate, seed=prop.seed,
    )


def _directional(prop: PropertyCheck, evidence: Evaluation) -> RateReport:
    from . import behaviour

    extra = {} if prop.tolerance is None else {"tolerance": prop.tolerance}
    return behaviour.check_directional_rate(
        evidence.candidate_scorer, evidence.texts, direction=prop.direction,  # type: ignore[arg-type]  # checked in __post_init__
        sentences=prop.sentences,
        n_examples=prop.n_examples, max_failure_rate=prop.max_failure_rate, seed=prop.seed, **extra,
    )


register_property_kind(
    PropertyKind("invariance", frozenset({"perturbations", "tolerance"}), lambda p: "invariance", _invariance)
)
register_property_kind(
    PropertyKind(
        "directional", frozenset({"direction", "sentences", "tolerance"}), lambda p: f"directional-{p.direction}", _directional
    )
)
