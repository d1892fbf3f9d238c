"""Loading the plugin is cheap: suites that never gate pay nothing for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import PASSING
from modelgate import stats as S

HEAVY = ("tensorflow", "keras", "metaflow", "pandas", "scipy", "sklearn", "hypothesis", "matplotlib")


def _heavy_after(code: str) -> list[str]:
    probe = f"\nimport sys\nprint('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))"
    # -p no:hypothesispytest: Hypothesis's own pytest plugin imports it; ours must not.
    out = subprocess.run([sys.executable, "-c", code + probe], capture_output=True, text=True, check=True)
    line = next(l for l in out.stdout.splitlines() if l.startswith("HEAVY "))
    return eval(line.removeprefix("HEAVY "))


def test_importing_modelgate_and_its_plugin_imports_nothing_heavy():
    code = (
        "import modelgate, modelgate.plugin, modelgate.checks, modelgate.plugin.session, modelgate.in_flow, modelgate.runner,"
        " modelgate.plugin.recorder, modelgate.config, modelgate.verdict, modelgate.report.render, modelgate.report.files"
    )
    assert _heavy_after(code) == []


def test_metaflow_finds_the_card_type_without_importing_modelgate():
    """Metaflow loads its card extensions at every `import metaflow`: modelgate's card type
    (metaflow_extensions.modelgate) is registered then, and imports modelgate only to draw."""
    code = (
        "from metaflow.plugins import CARDS\n"
        "assert 'modelgate' in [card.type for card in CARDS], [card.type for card in CARDS]\n"
        "assert 'modelgate' not in sys.modules\n"
    )
    assert set(_heavy_after("import sys\n" + code)) <= {"metaflow"}


@pytest.mark.slow  # pytest in subprocesses
def test_pytest_help_lists_the_options_without_heavy_imports():
    code = "import pytest\npytest.main(['--help', '-p', 'no:hypothesispytest'])"
    assert _heavy_after(code) == []
    out = subprocess.run([sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True, check=True)
    assert "--model-run=SPEC" in out.stdout and "--gate-dry-run" in out.stdout


def test_parsing_a_config_with_properties_imports_no_hypothesis():
    code = (
        "from modelgate.config import parse_table\n"
        "config = parse_table({'checks': [{'metric': 'roc_auc'}], 'properties': [\n"
        "    {'kind': 'invariance', 'perturbations': ['case']}, {'kind': 'directional', 'direction': 'positive'}]})\n"
        "assert [p.name for p in config.properties] == ['invariance', 'directional-positive']"
    )
    assert _heavy_after(code) == []


def test_importing_the_modules_does_not_import_tensorflow():
    code = (
        "import sys, modelgate.evidence.scorers, modelgate.smoke, modelgate.behaviour\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'pandas') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


STATS_PY = Path(S.__file__)


def test_stats_imports_only_numpy_and_scipy():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('gate_stats', {str(STATS_PY)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['gate_stats'] = module\n"
        "spec.loader.exec_module(module)\n"
        "for name in module.__all__: getattr(module, name)\n"
        "bad = {'sklearn', 'pytest', 'metaflow', 'pandas', 'modelgate'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_public_name_is_served_from_where_it_is_defined():
    import modelgate

    assert sorted(modelgate.__all__) == sorted(modelgate._EXPORTS)
    for name in modelgate.__all__:
        value = getattr(modelgate, name)
        assert (
            getattr(value, "__module__", "modelgate." + modelgate._EXPORTS[name])
            == "modelgate." + modelgate._EXPORTS[name]
        )


def test_a_property_that_holds_imports_no_hypothesis():
    # Hypothesis only searches for and shrinks a counterexample; a gate whose properties hold never needs it.
    code = (
        "import numpy as np\n"
        "from modelgate.behaviour import check_invariance_rate\n"
        "report = check_invariance_rate(lambda texts: np.full(len(texts), 0.9), ['a fine dress', 'bad fit'], n_examples=20)\n"
        "assert report.n_failures == 0 and report.n_examples == 20, report\n"
    )
    assert "hypothesis" not in _heavy_after(code)


RECORD_HYPOTHESIS = """
import sys

def pytest_unconfigure(config):
    (config.rootpath / "hypothesis-imported.txt").write_text(str("hypothesis" in sys.modules))
"""


@pytest.mark.slow  # a pytest session in a subprocess
def test_a_gate_session_that_used_no_hypothesis_ends_without_importing_it(gate_suite, run):
    # Hypothesis's pytest plugin imports it in its terminal summary (seconds): the gate leaves that out.
    gate_suite.write().conftest(RECORD_HYPOTHESIS)
    result = gate_suite.run_subprocess(run, "--gate-dry-run")
    assert result.ret == 0, result.outlines
    assert (gate_suite.path / "hypothesis-imported.txt").read_text() == "False"
    # Asked for its statistics, the plugin stays and prints its section.
    result = gate_suite.run_subprocess(run, "--gate-dry-run", "--hypothesis-show-statistics")
    assert result.ret == 0 and "Hypothesis Statistics" in result.stdout.str()


RECORD_PLUGIN = """
def pytest_unconfigure(config):
    kept = config.pluginmanager.get_plugin("hypothesispytest") is not None
    (config.rootpath / "hypothesis-plugin-kept.txt").write_text(str(kept))
"""
HYPOTHESIS_TEST = """

from hypothesis import given, strategies as st


@given(st.integers())
def test_integers_are_integers(x):
    assert isinstance(x, int)
"""


@pytest.mark.slow  # xdist workers
@pytest.mark.parametrize("uses_hypothesis", [False, True])
def test_hypothesis_used_on_an_xdist_worker_keeps_its_plugin_for_the_summary(gate_suite, run, uses_hypothesis):
    # The controller never imports Hypothesis under xdist: the workers' reports tell whether a test used it.
    gate_suite.write(PASSING + (HYPOTHESIS_TEST if uses_hypothesis else "")).conftest(RECORD_PLUGIN)
    result = gate_suite.run_subprocess(run, "--gate-dry-run", "-n", "1")
    assert result.ret == 0, result.outlines
    assert (gate_suite.path / "hypothesis-plugin-kept.txt").read_text() == str(uses_hypothesis)
