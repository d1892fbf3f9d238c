"""Loading the plugin is cheap: suites that never gate pay nothing for it."""

import subprocess
import sys

HEAVY = ("tensorflow", "keras", "metaflow", "pandas", "scipy", "sklearn", "hypothesis", "matplotlib")


def _heavy_after(code: str) -> list[str]:
    probe = f"\nimport sys\nprint('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))"
    # -p no:hypothesispytest: Hypothesis's own pytest plugin imports it; ours must not.
    out = subprocess.run([sys.executable, "-c", code + probe], capture_output=True, text=True, check=True)
    line = next(l for l in out.stdout.splitlines() if l.startswith("HEAVY "))
    return eval(line.removeprefix("HEAVY "))


def test_importing_modelgate_and_its_plugin_imports_nothing_heavy():
    code = "import modelgate, modelgate.plugin, modelgate.checks, modelgate.session, modelgate.gate, modelgate.runner"
    assert _heavy_after(code) == []


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
