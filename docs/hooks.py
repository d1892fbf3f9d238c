"""MkDocs hook: the reference tables, built from the code at build time.

`docs/reference.md` holds markers such as ``<!-- modelgate:options -->``; each is
replaced by a Markdown table made from the plugin's own ``pytest_addoption``
(called by pytest's machinery, no session), the settings (``GateSettings`` and
``HELP``), the check kinds, the metrics registry and the property kinds
registry. So a new option, setting, key, metric or property kind is in the
reference the next time the site is built, and cannot be forgotten there.

Keys of check and property tables are named by the registries; what each one
means is written by hand below (``KEY_HELP``). A key without a description is
a warning, which fails ``mkdocs build --strict``.

``tests/test_docs.py`` imports this file and checks the rendered page.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE = "reference.md"
log = logging.getLogger("mkdocs.plugins.modelgate")

# What each key of a check or property table means (the registries name the keys).
KEY_HELP = {
    # margin checks and floors: [[tool.modelgate.checks]]
    "metric": "the metric, a name of the metrics registry (below); search: the per-row loss compared "
    "(default `brier` binary, `accuracy` as the 0/1 error multiclass, `mae` regression)",
    "baseline": "`majority`, `mean`, `median` (label-only baselines of the task), `champion`, or a run `Flow/run_id`",
    "margin": "the compared difference's bound must be above this (absolute; a share of the baseline with `relative`)",
    "relative": "`true`: the margin is a share of the baseline's value",
    "confidence": 'one-sided confidence of the bound (default 0.95); `"none"` or `"point"`: the point estimate '
    "decides (for a property: the observed failure rate); search: the family-wise level of Holm's correction",
    "method": "the bound's method: `auto` (the metric's own, below) or a method name, `bootstrap` fits any metric",
    "n_resamples": "bootstrap resamples (default 2000; at least 1 / (1 - confidence): 20 at 95%)",
    "seed": "random seed of the bootstrap or of the drawn examples (a whole number >= 0); search: of the "
    "split into search and confirmation halves (default 0)",
    "name": "the check's name, and so its pytest item's (default: made from its settings)",
    "at_least": "floor of a higher-is-better metric: the lower bound must be above it",
    "at_most": "ceiling of a lower-is-better metric: the upper bound must be below it",
    # properties: [[tool.modelgate.properties]]
    "kind": "the property kind, a name of the property kinds registry (below)",
    "n_examples": "how many validation rows or texts are perturbed (default 200)",
    "max_failure_rate": "the share of examples that may fail (default 0.05); a positive budget is decided on "
    "the exact one-sided upper bound of the rate (below)",
    "perturbations": "text invariance: which of `typo`, `case`, `punctuation`, `whitespace`, `filler` (default: all)",
    "tolerance": "allowed move of the score (binary: probability; multiclass: every class probability; regression: value)",
    "column": "properties: a feature column, the one changed (feature models); gaps: the column whose slices "
    "are compared",
    "values": "column invariance: the new values to try (default: the column's other observed values); "
    "gaps: the values of `column` compared",
    "direction": "directional: `positive` or `negative`; monotonic: `increasing` or `decreasing`",
    "sentences": "directional: the sentences appended to each text (default: built-in ones)",
    "step": "monotonic: raise the column by this much (default: to a larger observed value)",
    "class": "monotonic, multiclass (required there) or binary: the class whose probability is watched",
    # group gaps: [[tool.modelgate.gaps]] (the slice keys, below, say which slices)
    "max_gap": "gaps: the upper bound of (best slice - worst slice) of the metric must be below this",
    "bins": "gaps: increasing bin edges of a numeric `column` (as for slices, below); search: how many "
    "quantile bins a numeric column is cut into (default 4)",
    "text_length": "gaps, search: `true` for the built-in text length buckets (as for slices, below)",
    "min_rows": "gaps: a slice with fewer rows (groups, with group_column) makes the gap inconclusive "
    "(default 30); search: a slice needs this many rows in each half to be searched (default 30)",
    "min_per_class": "gaps: a slice with fewer rows (groups) of a class makes the gap inconclusive (default 5)",
    "max_values": "gaps: a `column` without `values` or `bins` may have at most this many values (default 20); "
    "search: the most frequent values of each column kept (without it, a non-numeric column may have at most 50)",
    # the weak-slice search: [[tool.modelgate.search]]
    "max_regression": "search: fail when a slice's candidate loss is confirmed to exceed the champion's by more "
    "than this (> 0, in the metric's units)",
    "columns": "search: columns of the validation frame whose values (numeric: quantile bins) are searched",
    "tokens": "search: the rows containing each of this many most frequent tokens of the text column (default 0)",
    "against": "search: the baseline compared with (default `champion`; `majority`, `mean`, `median` or a run)",
}

# What each key of a [[tool.modelgate.slices]] table means (checks.slices.SLICE_KEYS names them).
SLICE_KEY_HELP = {
    "column": "a column of the validation frame: one slice per value (every value present, or `values`), "
    "or per bin with `bins`",
    "values": "the values of `column` to slice by; a listed value absent from the data fails",
    "bins": "increasing bin edges of a numeric `column`: `[0, 20, 50]` makes `[0, 20)` and `[20, 50]`; "
    "a bin no row falls in fails",
    "text_length": "`true`: the built-in length buckets of the text column, in words: short (< 20), "
    "medium (20-59), long (>= 60); a bucket no text falls in is left out",
    "checks": "names of the margin checks and floors judged on each slice (default: all of them)",
    "min_rows": "a slice with fewer rows (groups, with group_column) is inconclusive (default 30; at least 1)",
    "min_per_class": "classification: a slice with fewer rows (groups) of a class is inconclusive "
    "(default 5; 0 turns it off)",
    "max_values": "a `column` without `values` or `bins` may have at most this many values (default 20)",
}

# Top-level keys of [tool.modelgate] that are not settings (settings come with HELP).
TOP_KEY_HELP = {
    "checks": "array of tables: margin checks and floors (keys below)",
    "gaps": "array of tables: the gap of a metric between the best and the worst slice of a column (keys below)",
    "properties": "array of tables: behavioural properties (keys below)",
    "search": "array of tables: a search for slices where the candidate is worse than the champion (keys below)",
    "slices": "array of tables: subsets of the rows on which margin checks and floors are judged again (keys below)",
    "smoke_cases": "a smoke-case file (CSV, JSONL or parquet), relative to the config's folder",
    "power_effect": "a true effect beyond each margin or floor the gate should detect (e.g. `0.01`): the "
    "header warns when a check would pass a candidate that good less than 80% of the time "
    "(also `--gate-power-effect`, `Gate(power_effect=...)`)",
    "require_champion": "`true`: with no champion yet, champion checks fail instead of passing",
    "max_holdout_reuse": "warn when the validation data has gated more candidates than this (default 20): "
    "repeated gating on one holdout slowly overfits it (the verdict records count them)",
    "on_inconclusive": '`"fail"` (default) or `"pass"`: what a check whose data are too thin to decide does; '
    '`"pass"` passes it with a warning (also `--gate-on-inconclusive`, `Gate(on_inconclusive=...)`)',
}


def find(name: str) -> Any:
    """The object called ``name`` in modelgate, wherever its module is now."""
    package = importlib.import_module("modelgate")
    if hasattr(package, name):
        return getattr(package, name)
    for module in sorted(pkgutil.walk_packages(package.__path__, "modelgate."), key=lambda m: m.name):
        if module.name.endswith("__main__"):
            continue
        loaded = importlib.import_module(module.name)
        if hasattr(loaded, name):
            return getattr(loaded, name)
    raise LookupError(f"modelgate defines no {name}")


def plugin_options() -> list[dict[str, Any]]:
    """The plugin's options as its ``pytest_addoption`` declares them, on pytest's own parser.

    The plugin module is the one pyproject's ``pytest11`` entry point names; pytest's
    config (no session) calls its hook, and a second plugin registered first keeps the
    parser the hook was given.
    """
    from _pytest.config import get_config

    entry_points = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["pytest11"]
    config = get_config()
    seen: list[Any] = []

    class KeepParser:
        def pytest_addoption(self, parser: Any) -> None:
            seen.append(parser)

    config.pluginmanager.register(KeepParser(), "modelgate-docs-keep-parser")
    for name, module in entry_points.items():
        config.pluginmanager.register(importlib.import_module(module), name)
    group = seen[0].getgroup("modelgate")
    rows = []
    for argument in group.options:
        attrs = argument.attrs()
        rows.append(
            {
                "names": argument.names(),
                "metavar": attrs.get("metavar"),
                "flag": attrs.get("action") in ("store_true", "store_false"),
                "help": attrs.get("help", ""),
                "dest": attrs.get("dest", ""),
            }
        )
    return rows


def settings() -> list[tuple[str, Any, str]]:
    """(name, default, help) of every setting of ``[tool.modelgate]``."""
    settings_type, help_text = find("GateSettings"), find("HELP")
    defaults = settings_type()
    return [(f.name, getattr(defaults, f.name), help_text.get(f.name, "")) for f in fields(settings_type)]


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def code(text: Any) -> str:
    return f"`{text}`" if str(text) != "" else ""


def options_table() -> str:
    setting_of = {f"modelgate_{name}": name for name, _, _ in settings()}
    lines = ["| option | ini key | meaning |", "| --- | --- | --- |"]
    for option in plugin_options():
        shown = ", ".join(option["names"]) + (
            "" if option["flag"] or not option["metavar"] else f" {option['metavar']}"
        )
        ini = setting_of.get(option["dest"])
        lines.append(f"| `{shown}` | {code(f'modelgate_{ini}') if ini else ''} | {cell(option['help'])} |")
    return "\n".join(lines)


def settings_table() -> str:
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    for name, default, text in settings():
        shown = (
            code(",".join(default) if isinstance(default, tuple) else default) if default not in ("", (), None) else "—"
        )
        lines.append(f"| `{name}` | {shown} | {cell(text)} |")
    return "\n".join(lines)


def top_keys_table() -> str:
    setting_names = {name for name, _, _ in settings()}
    other = sorted(set(find("top_keys")()) - setting_names)
    lines = ["| key | meaning |", "| --- | --- |"]
    for key in other:
        if key not in TOP_KEY_HELP:
            log.warning("docs/hooks.py: [tool.modelgate] key %r has no description in TOP_KEY_HELP", key)
        lines.append(f"| `{key}` | {cell(TOP_KEY_HELP.get(key, ''))} |")
    return "\n".join(lines)


def described(keys: Any) -> str:
    for key in sorted(keys):
        if key not in KEY_HELP:
            log.warning("docs/hooks.py: config key %r has no description in KEY_HELP", key)
    return ", ".join(f"`{k}`" for k in sorted(keys))


def check_kinds_table() -> str:
    lines = ["| check kind | declared in | pytest items | keys |", "| --- | --- | --- | --- |"]
    made_from = {"slice": "`[[tool.modelgate.slices]]`, one per slice and check", "smoke": "a smoke-case file"}
    for kind in find("CHECK_KINDS").values():
        table = f"`[[tool.modelgate.{kind.table}]]`" if kind.table else made_from.get(kind.name, "")
        keys = described(kind.keys) if kind.keys else "—"
        lines.append(f"| `{kind.name}` | {table} | `{kind.item_prefix}NAME` | {keys} |")
    return "\n".join(lines)


def keys_table() -> str:
    keys = set().union(*(kind.keys for kind in find("CHECK_KINDS").values()))
    lines = ["| key | meaning |", "| --- | --- |"]
    lines += [f"| `{key}` | {cell(KEY_HELP.get(key, ''))} |" for key in sorted(keys)]
    return "\n".join(lines)


def slice_keys_table() -> str:
    lines = ["| key | meaning |", "| --- | --- |"]
    for key in sorted(find("SLICE_KEYS")):
        if key not in SLICE_KEY_HELP:
            log.warning("docs/hooks.py: slice key %r has no description in SLICE_KEY_HELP", key)
        lines.append(f"| `{key}` | {cell(SLICE_KEY_HELP.get(key, ''))} |")
    return "\n".join(lines)


def metrics_table() -> str:
    lines = [
        "| metric | better | tasks | margin bound | floor bound | range |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for metric in find("METRICS").values():
        low, high = getattr(metric, "value_range", (float("-inf"), float("inf")))
        lines.append(
            f"| `{metric.name}` | {'higher' if metric.higher_is_better else 'lower'} | {', '.join(metric.tasks)} "
            f"| {getattr(metric, 'method', '')} | {getattr(metric, 'floor_method', '')} | [{low:g}, {high:g}] |"
        )
    return "\n".join(lines)


def property_kinds_table() -> str:
    common = find("COMMON_KEYS")
    lines = [
        f"Every property takes {described(common)}; each kind adds its own keys.",
        "",
        "| property kind | its keys |",
        "| --- | --- |",
    ]
    for kind in find("PROPERTY_KINDS").values():
        lines.append(f"| `{kind.name}` | {described(kind.keys)} |")
    return "\n".join(lines)


def model_sources_table() -> str:
    """The model sources registry (``modelgate.metaflow_io.models.MODEL_SOURCES``): ``model_source``'s values."""
    lines = [
        "| `model_source` | the model artifact holds |",
        "| --- | --- |",
        "| `auto` (default) | any of these, told apart by its value; anything else is the model itself |",
    ]
    lines += [f"| `{source.name}` | {cell(source.holds)} |" for source in find("MODEL_SOURCES").values()]
    return "\n".join(lines)


TABLES = {
    "options": options_table,
    "model-sources": model_sources_table,
    "settings": settings_table,
    "top-keys": top_keys_table,
    "check-kinds": check_kinds_table,
    "check-keys": keys_table,
    "slice-keys": slice_keys_table,
    "metrics": metrics_table,
    "property-kinds": property_kinds_table,
}


def render(markdown: str) -> str:
    """``markdown`` with every ``<!-- modelgate:NAME -->`` marker replaced by its table."""
    for name, build in TABLES.items():
        marker = f"<!-- modelgate:{name} -->"
        if marker in markdown:
            markdown = markdown.replace(marker, build())
    return markdown


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri == PAGE:
        return render(markdown)
    return markdown
