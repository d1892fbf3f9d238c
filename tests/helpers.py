"""Helpers shared by the tests: paths, Metaflow runs, tags, and the gate suite
that pytester sessions gate a run with. Fixtures live in the conftest files;
test modules import these with ``from helpers import ...`` (tests/conftest.py's
folder is on ``sys.path``: pytest's default ``prepend`` import mode puts it there)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT / "examples"
FLOWS = Path(__file__).resolve().parent / "flows"
# ../shared beside the project (real data, the metadata service), or where MODELGATE_SHARED points.
SHARED = Path(os.environ.get("MODELGATE_SHARED") or PROJECT.parent / "shared")
SHARED_DATA = SHARED / "data"
REAL_TRAIN = SHARED_DATA / "reviews_train.parquet"
REAL_VALID = SHARED_DATA / "reviews_valid.parquet"


def example_module(name: str):
    """Import a module of examples/ (``model``, ``demo_data``) as the flow does."""
    import importlib
    import sys

    sys.path.insert(0, str(EXAMPLES))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(EXAMPLES))


def run_flow(flow_file: Path, **params) -> str:
    """Run a flow to the end with Metaflow's Runner; its pathspec, or the failure.

    The flow runs in the datastore root: Metaflow writes cards under the
    .metaflow folder it finds from the working directory up, but reads them
    from the datastore root, so the two must agree.
    """
    from metaflow import Runner

    cwd = os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"]
    with Runner(str(flow_file), show_output=False, cwd=cwd).run(**params) as running:
        if running.status != "successful" and not params.get("fail_at"):
            raise RuntimeError(f"{flow_file.name} failed:\n{running.stdout}\n{running.stderr}")
        return running.run.pathspec


# The tabular examples (examples/<name>/<flow file>, flow class): each runs twice, as
# written and with --shuffle-labels True (a model with no skill), once per session.
TABULAR_EXAMPLES = {
    "wine": ("wine/wineflow.py", "WineFlow"),
    "diabetes": ("diabetes/diabetesflow.py", "DiabetesFlow"),
    "breast_cancer": ("breast_cancer/breastcancerflow.py", "BreastCancerFlow"),
}
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_flows_side_by_side(flows: dict[str, tuple[Path, str, list[str]]]) -> dict[str, str]:
    """Run each ``name: (flow file, flow name, extra args)`` to the end, all at once, each in its own
    ``python <flow> run`` process in the datastore root (as run_flow does); name -> pathspec."""
    import subprocess
    import sys
    import time

    root = os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"]
    folder = Path(tempfile.mkdtemp(prefix="side-by-side-", dir=root))
    # One thread each: runs side by side on a small machine, with OpenMP or BLAS
    # threads in each, spend more time waiting for each other than computing.
    env = {**os.environ, **ONE_THREAD}
    started = {}
    try:
        for name, (flow_file, _, args) in flows.items():
            # Local metadata names a run by the microsecond it starts at: two runs of one
            # flow launched at the same instant once got the same id. Start them apart.
            time.sleep(1.0 if started else 0.0)
            stem = name.replace("/", "-")  # a file name
            log = (folder / f"{stem}.log").open("wb")
            command = [sys.executable, str(flow_file), "run", "--run-id-file", str(folder / f"{stem}.id"), *args]
            started[name] = (subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT), log)
        runs = {}
        for name, (process, _) in started.items():
            stem = name.replace("/", "-")
            if process.wait(timeout=900) != 0:
                raise RuntimeError(f"{name} failed:\n{(folder / f'{stem}.log').read_text(errors='replace')}")
            runs[name] = f"{flows[name][1]}/{(folder / f'{stem}.id').read_text().strip()}"
    finally:
        for process, log in started.values():
            if process.poll() is None:  # the others, when one failed or timed out
                process.kill()
                process.wait()
            log.close()
    assert len(set(runs.values())) == len(runs), f"Metaflow gave two runs one id: {runs}"
    return runs


# One way to gate a run in a test: write a gate suite with pytester, run pytest
# on it with --model-run, read the run's tags back from Metaflow.

MODEL_INI = "[pytest]\nmodelgate_model_artifact = model\n"  # TinyFlow's model artifact is `model`

PASSING = """
def test_auc_beats_majority(gate):
    gate.beats("roc_auc", margin=0.1)

def test_accuracy_beats_majority(gate):
    gate.beats("accuracy", margin=0.0)
"""


def user_tags(pathspec: str) -> frozenset[str]:
    """The run's user tags, as Metaflow reads them now."""
    from modelgate.metaflow_io.runs import get_run

    return frozenset(get_run(pathspec).user_tags)


def reset_tags(pathspec: str) -> str:
    """Remove every user tag from the run (system tags stay); the pathspec."""
    from modelgate.metaflow_io.runs import get_run

    tags = list(user_tags(pathspec))
    if tags:
        get_run(pathspec).remove_tags(tags)
    assert user_tags(pathspec) == frozenset()
    return pathspec


def untag_flow(flow_name: str, tag: str = "deployment_candidate") -> None:
    """Remove ``tag`` from every run of the flow: no champion for the next gate."""
    from metaflow import Flow
    from metaflow.exception import MetaflowNotFound

    from modelgate.metaflow_io.runs import global_namespace

    with global_namespace():
        try:
            for run in Flow(flow_name).runs(tag):
                run.remove_tag(tag)
        except MetaflowNotFound:
            pass


def error_line(result) -> str:
    """The session's ``ERROR: modelgate: ...`` line."""
    return next(l for l in result.errlines if l.startswith("ERROR: modelgate: "))


def usage_error(result, message: str) -> None:
    """Exit code 4, exactly one ``ERROR: modelgate:`` line holding the message, and no traceback."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.outlines + result.errlines
    errors = [l for l in result.errlines if l.startswith("ERROR: modelgate: ")]
    assert len(errors) == 1, result.errlines
    assert message in errors[0], errors[0]
    assert "Traceback" not in "\n".join(result.outlines + result.errlines)


class GateSuite:
    """A gate suite in pytester's folder, and pytest sessions that gate a run with it.

    ``write()`` puts the suite in ``test_gate.py`` (and any other files) beside
    an ini naming TinyFlow's model artifact; ``run(run, *args)`` runs pytest in
    process with ``--model-run run`` (``None``: no --model-run) and
    ``-p no:cacheprovider``; ``run_subprocess`` the same in a new process.
    """

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.path = pytester.path

    def write(self, source: str | None = PASSING, *, ini: str | None = MODEL_INI, **files: str) -> GateSuite:
        """``test_gate.py`` from ``source`` (None: leave it), the ini (None: none), and ``name=source``
        Python files (a name may hold a folder: ``**{"gate/test_ok": ...}``)."""
        if ini is not None:
            self.pytester.makeini(ini)
        if source is not None:
            self.pytester.makepyfile(test_gate=source)
        if files:
            self.pytester.makepyfile(**files)
        return self

    def file(self, name: str, text: str) -> Path:
        """Any other file (``pyproject.toml``, ``cases.csv``, ``gateA/pyproject.toml``), relative
        to the suite; dedented and stripped as pytester writes files."""
        stem, ext = name.rsplit(".", 1)
        return self.pytester.makefile(f".{ext}", **{stem: text})

    def conftest(self, source: str) -> GateSuite:
        self.pytester.makeconftest(source)
        return self

    @staticmethod
    def _args(run: str | None, args: tuple[str, ...], cache: bool) -> list[str]:
        model_run = ["--model-run", run] if run is not None else []
        return [*model_run, *([] if cache else ["-p", "no:cacheprovider"]), *args]

    def run(self, run: str | None, *args: str, cache: bool = False) -> pytest.RunResult:
        """pytest in this process (``cache=True`` keeps the cache provider, for ``--lf``)."""
        return self.pytester.runpytest(*self._args(run, args, cache))

    def run_subprocess(self, run: str | None, *args: str) -> pytest.RunResult:
        """pytest in a new process: for what a process reads once (environment, signals)."""
        return self.pytester.runpytest_subprocess(*self._args(run, args, False))

    @staticmethod
    def tag_line(result: pytest.RunResult, *, warnings: bool = False) -> str:
        """The one ``modelgate: `` line about the tag. With ``warnings=True``, ``modelgate: WARNING:``
        lines may stand beside it; by default there must be none."""
        lines = [l for l in result.outlines if l.startswith("modelgate: ")]
        if warnings:
            lines = [l for l in lines if not l.startswith("modelgate: WARNING:")]
        assert len(lines) == 1, result.outlines
        return lines[0]
