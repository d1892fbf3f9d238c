"""modelgate's pytest options and ini keys, and the gate config they make.

One ``pytest --help`` group, "modelgate": ``--model-run`` and ``--model-flow``
name the run to gate; every other option starts with ``--gate-`` (a setting
``name`` is ``--gate-name``, with dashes). Reading the options imports no
Metaflow, pandas or scipy: ``pytest --help`` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..errors import GateUsageError

if TYPE_CHECKING:
    from ..config import ConfigChoice, GateConfig
    from ..report.files import ReportFiles

# Options that may drop quality tests without pytest reporting them as deselected.
PARTIAL_RUN_OPTIONS = (("lf", "--lf"), ("stepwise", "--sw"), ("stepwise_skip", "--sw-skip"))
# Options that show something and exit 0 without running a test: with --model-run, a
# green step that gated nothing.
NO_TEST_OPTIONS = (
    ("showfixtures", "--fixtures"),
    ("show_fixtures_per_test", "--fixtures-per-test"),
    ("markers", "--markers"),
)


def add_options(parser: pytest.Parser) -> None:
    from ..config import HELP, GateSettings, setting_flag, setting_ini_key

    group = parser.getgroup("modelgate", "model quality gate (modelgate)")
    group.addoption(
        "--model-run",
        metavar="SPEC",
        help="gate this Metaflow run: Flow/run_id, or a run id, 'latest' or "
        "'latest-successful' with --model-flow. Without it, tests that use the gate's "
        "fixtures are skipped and the session exits 4 (nothing was gated).",
    )
    group.addoption("--model-flow", metavar="FLOW", help="flow of a bare run id or of 'latest'")
    group.addoption(
        "--gate-namespace",
        metavar="NS",
        help="namespace 'latest' searches: 'global', 'user' (yours), or a tag such as "
        "user:alice. Default: yours, else global. Explicit run ids ignore it.",
    )
    group.addoption("--gate-dry-run", action="store_true", help="decide and report, but change no tag")
    group.addoption(
        "--gate-keep-on-fail",
        action="store_true",
        help="when a quality test fails, keep a tag left by an earlier gate",
    )
    group.addoption(
        "--gate-baseline-run",
        metavar="SPEC",
        help="compare with this run instead of the champion (the newest other tagged run)",
    )
    group.addoption(
        "--gate-require-champion",
        action="store_true",
        default=None,
        help="fail champion checks when there is no champion yet (default: they pass)",
    )
    group.addoption(
        "--gate-on-inconclusive",
        metavar="fail|pass",
        help="a check whose data are too thin to decide (too few rows or rows of a class): "
        "'fail' it (default), or 'pass' it with a warning; a NaN score fails either way",
    )
    group.addoption(
        "--gate-power-effect",
        metavar="EFFECT",
        help="a true effect beyond each margin or floor the gate should detect, e.g. 0.01: the header "
        "warns when a check would pass a candidate that good less than 80%% of the time",
    )
    group.addoption(
        "--gate-config",
        metavar="PATH",
        help="TOML file with a [tool.modelgate] table (default: the nearest pyproject.toml "
        "with one, from the test paths up to their project root)",
    )
    group.addoption(
        "--gate-check",
        action="append",
        default=[],
        metavar="KEY=VALUE,...",
        help="add a check, e.g. metric=roc_auc,baseline=champion,margin=-0.01, or a floor: "
        "metric=roc_auc,at_least=0.85 (repeatable)",
    )
    group.addoption("--gate-smoke-cases", metavar="PATH", help="CSV, JSONL or parquet file of smoke cases")
    group.addoption("--gate-report", metavar="PATH", help="write the verdict as JSON")
    group.addoption(
        "--gate-markdown",
        metavar="PATH",
        help="write the verdict as Markdown (also appended to $GITHUB_STEP_SUMMARY when set)",
    )
    defaults = GateSettings()
    for name, text in HELP.items():
        default = getattr(defaults, name)
        shown = f" (default: {default})" if default else ""
        metavar = {"task": "TASK", "feature_columns": "COLUMNS", "positive_class": "CLASS"}.get(name, "NAME")
        key = setting_ini_key(name)  # the option's dest too
        group.addoption(setting_flag(name), dest=key, metavar=metavar, help=text + shown)
        parser.addini(key, f"modelgate: {text}", default="")


def refuse_options_that_run_no_test(config: pytest.Config) -> None:
    """With --model-run, --fixtures or --markers would exit 0 having gated nothing."""
    if config.getoption("model_run") is None:
        return
    shown = [flag for dest, flag in NO_TEST_OPTIONS if config.getoption(dest, None)]
    if shown:
        raise pytest.UsageError(f"modelgate: {shown[0]} runs no test, so it would gate nothing: leave out --model-run")


def gate_config(config: pytest.Config) -> tuple[GateConfig, ConfigChoice]:
    """The session's config, and which file it came from and why."""
    from ..config import choose_config, merge, setting_ini_key, setting_names

    here = config.invocation_params.dir
    starts = [Path(here, a.split("::")[0]) for a in config.args]
    base, choice = choose_config(config.getoption("gate_config"), starts, here)
    try:
        _check_ini_keys(config, {setting_ini_key(n) for n in setting_names()})
        cli = {n: config.getoption(setting_ini_key(n)) for n in setting_names()}
        smoke = config.getoption("gate_smoke_cases")
        cli.update(
            smoke_cases=str(Path(here, smoke)) if smoke else None,
            require_champion=config.getoption("gate_require_champion"),
            on_inconclusive=config.getoption("gate_on_inconclusive"),
            power_effect=config.getoption("gate_power_effect"),
            checks=config.getoption("gate_check"),
        )
        ini = {n: config.getini(setting_ini_key(n)) for n in setting_names()}
        return merge(base, ini, cli), choice
    except GateUsageError as exc:
        raise GateUsageError(f"{exc}; gate config: {choice}") from None


def _check_ini_keys(config: pytest.Config, known: set[str]) -> None:
    """A ``modelgate_*`` ini key that is not one of ours: pytest only warns, and the
    setting it meant would silently keep its default (another tag, another artifact)."""
    unknown_keys = getattr(config, "_get_unknown_ini_keys", None)  # pytest's own list of keys it does not know
    if unknown_keys is None:
        return
    from ..config import misspelt

    ours = sorted(k for k in unknown_keys() if k.lower().startswith("modelgate") or misspelt(k.split("_")[0]))
    if ours:
        where = f" in {config.inipath}" if config.inipath else ""
        raise GateUsageError(f"unknown ini key {ours[0]!r}{where} (modelgate's: {', '.join(sorted(known))})")


def open_reports(config: pytest.Config) -> ReportFiles:
    """Open the report files before any test runs: one that cannot be written is exit 4."""
    from ..report.files import ReportFiles

    return ReportFiles.open(
        config.invocation_params.dir,
        json_path=config.getoption("gate_report"),
        markdown_path=config.getoption("gate_markdown"),
        summary_path=os.environ.get("GITHUB_STEP_SUMMARY"),
    )


def partial_run_options(config: pytest.Config) -> list[str]:
    """The options of this session that may have left quality tests out."""
    flags = [flag for option, flag in PARTIAL_RUN_OPTIONS if config.getoption(option, None)]
    if any("::" in arg for arg in config.args):
        flags.append("selecting tests by node id")
    return flags
