"""Configuration: what to gate and how, from ``[tool.modelgate]`` and the command line.

A gate can be declared with no Python at all::

    [tool.modelgate]
    model_artifact = "model_dict"      # 'name' (end step) or 'step/name'
    data_artifact = "val_df"
    text_column = "review"
    label_column = "labels"
    tag = "deployment_candidate"
    smoke_cases = "gate/smoke_cases.csv"   # relative to this file
    require_champion = false

    [[tool.modelgate.checks]]
    metric = "roc_auc"                 # roc_auc | accuracy | f1 | log_loss | brier
    baseline = "majority"              # majority | champion | Flow/run_id
    margin = 0.10
    relative = false
    confidence = 0.95                  # or "none" for the point estimate

    [[tool.modelgate.properties]]
    kind = "directional"               # invariance | directional
    direction = "negative"
    sentences = ["It fell apart and I returned it."]
    n_examples = 200
    max_failure_rate = 0.05

Precedence, per setting: command line, then the pytest ini file
(``modelgate_<key>``), then ``[tool.modelgate]``, then the defaults below
(the Metaflow NLP tutorial's names). Unknown keys, unknown metrics and bad
values are :class:`GateUsageError` naming the key.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import GateUsageError

DEFAULT_TAG = "deployment_candidate"


@dataclass(frozen=True)
class GateSettings:
    model_artifact: str = "model_dict"
    data_artifact: str = "val_df"
    text_column: str = "review"
    label_column: str = "labels"
    tag: str = DEFAULT_TAG


HELP = {
    "model_artifact": "artifact holding the model: 'name' (end step) or 'step/name'",
    "data_artifact": "artifact holding the validation frame: 'name' (end step) or 'step/name'",
    "text_column": "column of the validation frame holding the texts",
    "label_column": "column of the validation frame holding the 0/1 labels",
    "tag": "Metaflow tag applied when every quality test passes",
}


def setting_names() -> list[str]:
    return [f.name for f in fields(GateSettings)]


@dataclass(frozen=True)
class GateConfig:
    """Everything a gate needs to know besides the run itself."""

    settings: GateSettings = field(default_factory=GateSettings)
    checks: tuple = ()  # MarginCheck
    properties: tuple = ()  # PropertyCheck
    smoke_cases: Path | None = None
    require_champion: bool = False
    source: Path | None = None  # the pyproject.toml it came from

    @property
    def baseline_names(self) -> list[str]:
        return sorted({c.baseline for c in self.checks})


TOP_KEYS = set(setting_names()) | {"checks", "properties", "smoke_cases", "require_champion"}
CHECK_KEYS = {"metric", "baseline", "margin", "relative", "confidence", "method", "n_resamples", "seed", "name"}
PROPERTY_KEYS = {"kind", "direction", "sentences", "perturbations", "n_examples", "max_failure_rate",
                 "tolerance", "seed", "name"}


def _type_error(where: str, expected: str, value: Any) -> GateUsageError:
    return GateUsageError(f"{where}: expected {expected}, got {value!r}")


def _string(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _type_error(where, "a non-empty string", value)
    return value.strip()


def _bool(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _type_error(where, "true or false", value)


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _type_error(where, "a number", value)
    try:
        number = float(value)
    except ValueError:
        raise _type_error(where, "a number", value) from None
    if not math.isfinite(number):
        raise _type_error(where, "a finite number", value)
    return number


def _check_table(raw: Any, where: str, known: set[str], required: str, what: str) -> None:
    """A table with only known keys and its required one, or a GateUsageError naming the key."""
    if not isinstance(raw, dict):
        raise _type_error(where, f"a table of {what} settings", raw)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise GateUsageError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    if required not in raw:
        raise GateUsageError(f"{where}: missing key {required!r}")


def parse_check(raw: dict[str, Any], where: str):
    """One ``[[tool.modelgate.checks]]`` table (or ``--gate-check`` value) as a MarginCheck."""
    from .checks import MarginCheck

    _check_table(raw, where, CHECK_KEYS, "metric", "check")
    kwargs: dict[str, Any] = {"metric": _string(f"{where}.metric", raw["metric"])}
    if "baseline" in raw:
        kwargs["baseline"] = _string(f"{where}.baseline", raw["baseline"])
    if "margin" in raw:
        kwargs["margin"] = _number(f"{where}.margin", raw["margin"])
    if "relative" in raw:
        kwargs["relative"] = _bool(f"{where}.relative", raw["relative"])
    if "confidence" in raw:
        value = raw["confidence"]
        if isinstance(value, str) and value.lower() in ("none", "point"):
            kwargs["confidence"] = None
        else:
            kwargs["confidence"] = _number(f"{where}.confidence", value)
    if "method" in raw:
        kwargs["method"] = _string(f"{where}.method", raw["method"])
    for key, minimum in (("n_resamples", 1), ("seed", 0)):
        if key in raw:
            kwargs[key] = _whole(f"{where}.{key}", raw[key], minimum)
    if "name" in raw:
        kwargs["name"] = _string(f"{where}.name", raw["name"])
    try:
        return MarginCheck(**kwargs)
    except ValueError as exc:
        raise GateUsageError(f"{where}: {exc}") from None


def _whole(where: str, value: Any, minimum: int) -> int:
    number = _number(where, value)
    if number != int(number) or number < minimum:
        raise _type_error(where, f"a whole number >= {minimum}", value)
    return int(number)


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _type_error(where, "an array of non-empty strings", value)
    return tuple(value)


def parse_property(raw: dict[str, Any], where: str):
    """One ``[[tool.modelgate.properties]]`` table as a PropertyCheck."""
    from .checks import PropertyCheck

    _check_table(raw, where, PROPERTY_KEYS, "kind", "property")
    kwargs: dict[str, Any] = {"kind": _string(f"{where}.kind", raw["kind"])}
    for key in ("direction", "name"):
        if key in raw:
            kwargs[key] = _string(f"{where}.{key}", raw[key])
    for key in ("sentences", "perturbations"):
        if key in raw:
            kwargs[key] = _strings(f"{where}.{key}", raw[key])
    if "n_examples" in raw:
        kwargs["n_examples"] = _whole(f"{where}.n_examples", raw["n_examples"], 1)
    if "seed" in raw:
        kwargs["seed"] = _whole(f"{where}.seed", raw["seed"], 0)
    for key in ("max_failure_rate", "tolerance"):
        if key in raw:
            kwargs[key] = _number(f"{where}.{key}", raw[key])
    try:
        return PropertyCheck(**kwargs)
    except ValueError as exc:
        raise GateUsageError(f"{where}: {exc}") from None


def parse_check_option(text: str, index: int):
    """``--gate-check metric=roc_auc,baseline=champion,margin=-0.01``."""
    raw: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise GateUsageError(f"--gate-check {text!r}: {part!r} is not key=value")
        raw[key.strip()] = value.strip()
    return parse_check(raw, f"--gate-check #{index + 1}")


def parse_table(table: dict[str, Any], source: Path | None = None) -> GateConfig:
    """A ``[tool.modelgate]`` table as a GateConfig; GateUsageError naming the key."""
    where = "[tool.modelgate]"
    if not isinstance(table, dict):
        raise _type_error(where, "a table", table)
    unknown = sorted(set(table) - TOP_KEYS)
    if unknown:
        raise GateUsageError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(TOP_KEYS))})")
    settings = GateSettings(
        **{k: _string(f"{where}.{k}", table[k]) for k in setting_names() if k in table}
    )
    raw_checks = table.get("checks", [])
    if not isinstance(raw_checks, list):
        raise _type_error(f"{where}.checks", "an array of tables ([[tool.modelgate.checks]])", raw_checks)
    checks = tuple(parse_check(c, f"{where}.checks[{i}]") for i, c in enumerate(raw_checks))
    raw_properties = table.get("properties", [])
    if not isinstance(raw_properties, list):
        raise _type_error(f"{where}.properties", "an array of tables ([[tool.modelgate.properties]])", raw_properties)
    properties = tuple(parse_property(p, f"{where}.properties[{i}]") for i, p in enumerate(raw_properties))
    smoke = None
    if "smoke_cases" in table:
        smoke = Path(_string(f"{where}.smoke_cases", table["smoke_cases"]))
        if source is not None and not smoke.is_absolute():
            smoke = source.parent / smoke
    require = _bool(f"{where}.require_champion", table.get("require_champion", False))
    return check_unique_names(GateConfig(settings, checks, properties, smoke, require, source))


def check_unique_names(config: GateConfig) -> GateConfig:
    """Each configured check becomes a test item named after it: names must differ."""
    names = [c.name for c in (*config.checks, *config.properties)]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise GateUsageError(f"two configured checks are named {duplicate!r}; give one a name")
    return config


def load_config(path: str | Path) -> GateConfig:
    """The ``[tool.modelgate]`` table of a TOML file (empty config when it has none)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            document = tomllib.load(f)
    except FileNotFoundError:
        raise GateUsageError(f"config file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GateUsageError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise GateUsageError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise GateUsageError(f"config file {path}: 'tool' is not a table")
    table = tool.get("modelgate")
    if table is None:
        return GateConfig(source=path)
    return parse_table(table, path.resolve())


def find_config(starts: list[Path], stop: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.modelgate]`` table, walking
    up from each start (the test paths), then from ``stop`` (the rootdir)."""
    seen: set[Path] = set()
    for start in [*starts, *([stop] if stop else [])]:
        start = start.resolve()
        for folder in [start, *start.parents] if start.is_dir() else list(start.parents):
            if folder in seen:
                break
            seen.add(folder)
            candidate = folder / "pyproject.toml"
            if candidate.is_file() and b"[tool.modelgate" in candidate.read_bytes():
                return candidate
    return None


def merge(base: GateConfig, ini: dict[str, str | None], cli: dict[str, Any]) -> GateConfig:
    """Layer the ini file and the command line over a file config."""
    chosen = {}
    for name in setting_names():
        value = cli.get(name) or ini.get(name)
        if value:
            chosen[name] = value.strip()
    config = replace(base, settings=replace(base.settings, **chosen))
    if cli.get("smoke_cases"):
        config = replace(config, smoke_cases=Path(cli["smoke_cases"]))
    if cli.get("require_champion"):
        config = replace(config, require_champion=True)
    if cli.get("checks"):
        extra = tuple(parse_check_option(t, i) for i, t in enumerate(cli["checks"]))
        config = check_unique_names(replace(config, checks=config.checks + extra))
    return config
