"""A GateConfig: the settings and every declared check, read from a ``[tool.modelgate]``
table (each check kind's array by the kind's own parser) or a ``--gate-check`` option."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import tables
from ..errors import GateUsageError
from ..names import CHAMPION, INCONCLUSIVE_FAILS
from .settings import (
    GateSettings,
    class_value,
    feature_list,
    setting_names,
    validate_on_inconclusive,
    validate_power_effect,
    validate_scope,
    validate_tag,
    validate_task,
)

if TYPE_CHECKING:
    from ..checks import Check, MarginCheck
    from ..checks.floors import FloorCheck
    from ..checks.properties import PropertyCheck
    from ..checks.slices import SliceSpec


@dataclass(frozen=True)
class GateConfig:
    """Everything a gate needs to know besides the run itself."""

    settings: GateSettings = field(default_factory=GateSettings)
    declared: Mapping[str, tuple[Check, ...]] = field(default_factory=dict)  # check kind -> its checks
    smoke_cases: Path | None = None
    require_champion: bool = False
    # A check whose data cannot decide: "fail" (the default) or "pass" (with a warning).
    on_inconclusive: str = INCONCLUSIVE_FAILS
    source: Path | None = None  # the pyproject.toml it came from
    # [[tool.modelgate.slices]]: subsets of the rows that margin checks and floors are judged on again
    slices: tuple[SliceSpec, ...] = ()
    # A true effect beyond each margin or floor the gate should detect: the header warns when
    # a check would pass a candidate that good less than 80% of the time. None: no warning.
    power_effect: float | None = None
    # How many candidates may be gated on one validation set before the gate warns that the
    # holdout is being overfitted by reuse (the records count them).
    max_holdout_reuse: int = 20

    @property
    def checks(self) -> tuple[MarginCheck, ...]:
        """The margin checks (``[[tool.modelgate.checks]]`` and ``--gate-check``)."""
        return self.declared.get("margin", ())  # type: ignore[return-value]

    @property
    def floors(self) -> tuple[FloorCheck, ...]:
        """The floors (``at_least``/``at_most`` entries of ``[[tool.modelgate.checks]]``, ``--gate-check``)."""
        return self.declared.get("floor", ())  # type: ignore[return-value]

    @property
    def properties(self) -> tuple[PropertyCheck, ...]:
        """The behavioural properties (``[[tool.modelgate.properties]]``)."""
        return self.declared.get("property", ())  # type: ignore[return-value]

    @property
    def baseline_names(self) -> list[str]:
        """The baselines the checks compare with: margin checks' and weak-slice searches'."""
        searches = self.declared.get("search", ())
        return sorted({c.baseline for c in self.checks} | {getattr(s, "against", CHAMPION) for s in searches})

    def all_checks(self) -> tuple[Check, ...]:
        """Every check the config declares in a table, in the order of CHECK_KINDS."""
        from ..checks import CHECK_KINDS

        unknown = sorted(set(self.declared) - set(CHECK_KINDS))
        if unknown:  # never drop a check: an unregistered kind would pass by not running
            raise GateUsageError(f"check kind {unknown[0]!r} is not registered (known: {', '.join(CHECK_KINDS)})")
        return tuple(check for kind in CHECK_KINDS for check in self.declared.get(kind, ()))


OTHER_KEYS = ("smoke_cases", "require_champion", "on_inconclusive", "slices", "power_effect", "max_holdout_reuse")


def by_kind(checks: Sequence[Check]) -> dict[str, tuple[Check, ...]]:
    """Checks grouped by their kind (``GateConfig.declared``), each kind's in the given order."""
    grouped: dict[str, tuple[Check, ...]] = {}
    for check in checks:
        grouped[check.check_kind] = grouped.get(check.check_kind, ()) + (check,)
    return grouped


def top_keys() -> set[str]:
    """The keys ``[tool.modelgate]`` allows: settings, one table per check kind, the rest."""
    from ..checks import CHECK_KINDS

    tables_of_kinds = {k.table for k in CHECK_KINDS.values() if k.table}
    return set(setting_names()) | tables_of_kinds | set(OTHER_KEYS)


def parse_check_option(text: str, index: int) -> Check:
    """``--gate-check metric=roc_auc,baseline=champion,margin=-0.01`` (a margin check) or
    ``--gate-check metric=roc_auc,at_least=0.85`` (a floor): routed as a ``checks`` table is."""
    raw: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise GateUsageError(f"--gate-check {text!r}: {part!r} is not key=value")
        raw[key.strip()] = value.strip()
    from ..checks import kind_for_entry

    kind = kind_for_entry("checks", raw)
    assert kind.parse is not None  # kind_for_entry returns kinds with a parser
    return kind.parse(raw, f"--gate-check #{index + 1}", False)


def parse_table(table: Any, source: Path | None = None) -> GateConfig:
    """A ``[tool.modelgate]`` table as a GateConfig; GateUsageError naming the key.

    Each check kind's array of tables is read by the kind's own parser
    (:data:`modelgate.checks.CHECK_KINDS`).
    """
    from ..checks import CHECK_KINDS, kind_for_entry

    where = "[tool.modelgate]"
    if not isinstance(table, dict):
        raise tables.type_error(where, "a table", table)
    known = top_keys()
    unknown = sorted(set(table) - known)
    if unknown:
        raise GateUsageError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    special = ("tag", "feature_columns", "task", "champion_scope", "champion_tag", "positive_class")
    chosen: dict[str, Any] = {
        k: tables.string(f"{where}.{k}", table[k]) for k in setting_names() if k in table and k not in special
    }
    if "task" in table:
        chosen["task"] = validate_task(tables.string(f"{where}.task", table["task"]), f"{where}.task")
    if "champion_scope" in table:
        where_scope = f"{where}.champion_scope"
        chosen["champion_scope"] = validate_scope(tables.string(where_scope, table["champion_scope"]), where_scope)
    if "champion_tag" in table:
        if not isinstance(table["champion_tag"], str):
            raise tables.type_error(f"{where}.champion_tag", "a non-empty string", table["champion_tag"])
        chosen["champion_tag"] = validate_tag(table["champion_tag"], f"{where}.champion_tag")
    if "positive_class" in table:
        chosen["positive_class"] = class_value(f"{where}.positive_class", table["positive_class"])
    if "feature_columns" in table:
        chosen["feature_columns"] = feature_list(f"{where}.feature_columns", table["feature_columns"])
    if "tag" in table:
        if not isinstance(table["tag"], str):
            raise tables.type_error(f"{where}.tag", "a non-empty string", table["tag"])
        chosen["tag"] = validate_tag(table["tag"], f"{where}.tag")
    declared: dict[str, tuple[Check, ...]] = {}
    for kind in CHECK_KINDS.values():
        if kind.table is None or kind.parse is None:
            continue
        raw = table.get(kind.table, [])
        if not isinstance(raw, list):
            raise tables.type_error(
                f"{where}.{kind.table}", f"an array of tables ([[tool.modelgate.{kind.table}]])", raw
            )
        parse = kind.parse
        # Kinds may share a table (margin checks and floors in "checks"): each entry is
        # read by the kind that claims it, and keeps its index in the shared array.
        declared[kind.name] = tuple(
            parse(t, f"{where}.{kind.table}[{i}]", True)
            for i, t in enumerate(raw)
            if kind_for_entry(kind.table, t) is kind
        )
    smoke = None
    if "smoke_cases" in table:
        smoke = Path(tables.string(f"{where}.smoke_cases", table["smoke_cases"]))
        if source is not None and not smoke.is_absolute():
            smoke = source.parent / smoke
    require = tables.boolean(f"{where}.require_champion", table.get("require_champion", False))
    on_inconclusive = validate_on_inconclusive(
        table.get("on_inconclusive", INCONCLUSIVE_FAILS), f"{where}.on_inconclusive"
    )
    config = GateConfig(
        GateSettings(**chosen),
        declared,
        smoke_cases=smoke,
        require_champion=require,
        on_inconclusive=on_inconclusive,
        source=source,
        slices=parse_slices(table.get("slices", []), f"{where}.slices"),
        power_effect=(
            validate_power_effect(table["power_effect"], f"{where}.power_effect") if "power_effect" in table else None
        ),
        max_holdout_reuse=tables.whole(f"{where}.max_holdout_reuse", table.get("max_holdout_reuse", 20), 1),
    )
    return check_unique_names(config)


def parse_slices(raw: Any, where: str) -> tuple[SliceSpec, ...]:
    """``[[tool.modelgate.slices]]`` as slice specs; GateUsageError naming the key."""
    from ..checks.slices import parse_slice

    if not isinstance(raw, list):
        raise tables.type_error(where, "an array of tables ([[tool.modelgate.slices]])", raw)
    return tuple(parse_slice(t, f"{where}[{i}]") for i, t in enumerate(raw))


def check_unique_names(config: GateConfig) -> GateConfig:
    """Each configured check becomes a test item named after it: names must differ."""
    names = [c.name for c in config.all_checks()]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise GateUsageError(f"two configured checks are named {duplicate!r}; give one a name")
    return config
