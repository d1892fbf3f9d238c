"""Layering the ini file and the command line over a file's config."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import tables
from .gate_config import GateConfig, by_kind, check_unique_names, parse_check_option
from .settings import (
    setting_flag,
    setting_ini_key,
    setting_names,
    validate_on_inconclusive,
    validate_power_effect,
    validate_setting,
)


def merge(base: GateConfig, ini: dict[str, str | None], cli: dict[str, Any]) -> GateConfig:
    """Layer the ini file and the command line over a file config."""
    chosen: dict[str, Any] = {}
    for name in setting_names():
        # A command-line value given at all counts, even '' (refused below); an
        # empty ini value is pytest's "not set".
        if cli.get(name) is not None:
            value, where = cli[name], setting_flag(name)
        elif ini.get(name):
            value, where = ini[name], f"{setting_ini_key(name)} (ini)"
        else:
            continue
        chosen[name] = validate_setting(name, value, where)
    config = replace(base, settings=replace(base.settings, **chosen))
    if cli.get("smoke_cases") is not None:
        config = replace(config, smoke_cases=Path(tables.string("--gate-smoke-cases", cli["smoke_cases"])))
    if cli.get("require_champion"):
        config = replace(config, require_champion=True)
    if cli.get("on_inconclusive") is not None:  # given at all counts, even '' (refused)
        on_inconclusive = validate_on_inconclusive(cli["on_inconclusive"], "--gate-on-inconclusive")
        config = replace(config, on_inconclusive=on_inconclusive)
    if cli.get("power_effect") is not None:
        effect = validate_power_effect(cli["power_effect"], "--gate-power-effect", strict=False)
        config = replace(config, power_effect=effect)
    if cli.get("checks"):
        extra = tuple(parse_check_option(t, i) for i, t in enumerate(cli["checks"]))
        config = check_unique_names(replace(config, declared=by_kind(config.all_checks() + extra)))
    return config
