"""Checks: one protocol for every kind, and the registry config parsing reads.

A check is an object with a ``name``, a ``kind`` and ``evaluate(evidence) ->
CheckResult``; the evidence is one :class:`~modelgate.evidence.evaluation.Evaluation`
(task, labels, inputs, the candidate's scorer and scores, baselines computed
lazily). Both front ends run the same checks through
:mod:`modelgate.runner`. Kinds today: margin (:mod:`.margin`), floor
(:mod:`.floors`), property (:mod:`.properties`), gap (:mod:`.gaps`), weak-slice
search (:mod:`.search`), slice (:mod:`.slices`) and smoke (one smoke case,
:mod:`.smoke`). Each kind is
registered once in :data:`CHECK_KINDS` with the config table it is declared
in, the keys that table allows, its parser, and the prefix of its test items.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from ..errors import GateUsageError
from ..evidence.evaluation import Evaluation
from ..registry import Registry
from ..verdict import CheckResult
from .floors import FLOOR_KEYS, is_floor_table, parse_floor
from .gaps import GAP_KEYS, parse_gap
from .margin import MARGIN_KEYS, parse_margin
from .properties import PropertyCheck, parse_property
from .search import SEARCH_KEYS, parse_search


class Check(Protocol):
    """What every kind of check is: a name (its test item's), its kind (a key of
    :data:`CHECK_KINDS`), and an evaluation of the evidence."""

    check_kind: ClassVar[str]

    @property
    def name(self) -> str: ...

    def prepare(self, evidence: Evaluation) -> None:
        """Compute what :meth:`evaluate` reads (a baseline's scores), so that a
        failure to get it happens before the check (an error, not a verdict)."""

    def evaluate(self, evidence: Evaluation) -> CheckResult: ...


@dataclass(frozen=True)
class CheckKind:
    """One kind of check: where a config declares it and how its tables are read."""

    name: str
    table: str | None  # the [tool.modelgate] key holding an array of its tables (None: not declared in a table)
    keys: frozenset[str]  # the keys its tables allow
    parse: Callable[[Mapping[str, Any], str, bool], Check] | None  # (table, where, strict) -> check
    item_prefix: str  # its pytest items are "<prefix><check name>"
    label: str  # what a person calls one: "check", "property", "smoke case"
    # Kinds may share a table: an entry goes to the kind whose claims(entry) is true,
    # else to the table's kind without claims (its default; margin for "checks").
    claims: Callable[[Mapping[str, Any]], bool] | None = None


CHECK_KINDS: Registry[CheckKind] = Registry("check kind")
register_check_kind = CHECK_KINDS.register


def kind_for_entry(table: str, entry: Any) -> CheckKind:
    """The kind that reads one entry of the ``[tool.modelgate]`` array ``table``: the first
    kind of that table (in registry order) that claims it, else the table's default kind."""
    kinds = [k for k in CHECK_KINDS.values() if k.table == table and k.parse is not None]
    claimed = next((k for k in kinds if k.claims is not None and isinstance(entry, Mapping) and k.claims(entry)), None)
    default = next((k for k in kinds if k.claims is None), None)
    chosen = claimed or default or (kinds[0] if kinds else None)
    if chosen is None:
        raise GateUsageError(f"no check kind is declared in [tool.modelgate].{table}")
    return chosen


# The order here is the order checks run in, in both front ends.
register_check_kind(CheckKind("margin", "checks", MARGIN_KEYS, parse_margin, "modelgate::", "check"))
register_check_kind(
    CheckKind("floor", "checks", FLOOR_KEYS, parse_floor, "modelgate::", "floor", claims=is_floor_table)
)
register_check_kind(
    CheckKind("property", "properties", PropertyCheck.keys(), parse_property, "modelgate::property::", "property")
)
register_check_kind(CheckKind("gap", "gaps", GAP_KEYS, parse_gap, "modelgate::gap::", "gap"))
register_check_kind(
    CheckKind("search", "search", SEARCH_KEYS, parse_search, "modelgate::search::", "weak-slice search")
)
# Slices come from [[tool.modelgate.slices]] and the data (one per slice and check).
register_check_kind(CheckKind("slice", None, frozenset(), None, "modelgate::slice::", "slice check"))
register_check_kind(CheckKind("smoke", None, frozenset(), None, "modelgate::smoke::", "smoke case"))  # from a file
