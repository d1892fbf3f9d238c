"""The plugin's options: one ``pytest --help`` group, every name but the run's under ``--gate-``."""

import re
import subprocess
import sys

# The names before the --gate- prefix: each must now be pytest's usage error, never ignored.
OLD_NAMES = (
    "--namespace",
    "--baseline-run",
    "--require-champion",
    "--smoke-cases",
    "--task",
    "--feature-columns",
    "--positive-class",
    "--label-column",
    "--text-column",
    "--model-artifact",
    "--data-artifact",
    "--champion-scope",
    "--champion-tag",
)


def _pytest(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_modelgate_option_is_named_gate_but_the_runs_own(tmp_path):
    done = _pytest(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    group = done.stdout.split("model quality gate (modelgate):\n", 1)[1]
    group = re.split(r"\n(?=\S)", group, maxsplit=1)[0]  # up to the next group's heading
    options = re.findall(r"^ {2}(--[\w-]+)", group, flags=re.MULTILINE)
    assert {
        "--model-run",
        "--model-flow",
        "--gate-dry-run",
        "--gate-namespace",
        "--gate-tag",
        "--gate-positive-class",
        "--gate-smoke-cases",
        "--gate-on-inconclusive",
    } <= set(options)
    assert [o for o in options if not o.startswith("--gate-") and o not in ("--model-run", "--model-flow")] == []
    assert len(options) == len(set(options)) == 26, options  # 14 options and 12 settings


def test_an_old_or_misspelt_option_is_a_usage_error(tmp_path):
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    given = [f"{name}=x" for name in OLD_NAMES] + ["--gate-dryrun"]
    done = _pytest(tmp_path, *given)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "unrecognized arguments" in done.stderr
    for arg in given:
        assert arg in done.stderr
