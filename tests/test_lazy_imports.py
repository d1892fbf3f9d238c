"""Loading the plugin is cheap: suites that never gate pay nothing for it."""

import subprocess
import sys

HEAVY = ("tensorflow", "keras", "metaflow", "pandas", "scipy", "sklearn")


def test_importing_modelgate_and_its_plugin_imports_nothing_heavy():
    code = (
        "import sys, modelgate, modelgate.plugin, modelgate.checks, modelgate.session, modelgate.gate\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_pytest_help_lists_the_options_without_heavy_imports():
    code = (
        "import sys, pytest\n"
        "pytest.main(['--help'])\n"
        f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--model-run=SPEC" in out.stdout and "--gate-dry-run" in out.stdout
    assert "HEAVY []" in out.stdout
