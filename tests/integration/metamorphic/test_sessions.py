"""Every example gate as real pytest sessions on real Metaflow runs, under the
transformations of how a session is started, and under the flips.

Per example, a reference session (``pytest <suite> --model-run <good run>``,
from elsewhere, its config found beside the suite) and one session per
:data:`SESSION_INVARIANTS` entry (the config by ``--gate-config``, under xdist,
from the repository root, from the suite folder, ``-q``, ``-v``), plus the same
config in flow (``Gate.from_config(...).evaluate``): the JSON reports must agree
on the verdict, every check and the bounds (``transformations.differences``),
the exit code on the verdict, and the run must carry the tag after each
session exactly when it passed. Then every flip of ``transformations.FLIPS``
(models stored in one ArtifactsFlow run) must fail the session, exit 1, and
leave no tag (a no-skill model: fail every baseline comparison that has a
baseline); and a permissive config planted above a checkout must not be used.

The runs are made once per session (``good_runs``, ``twisted_run``): slow.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from helpers import PROJECT, reset_tags, untag_flow, user_tags
from modelgate import Gate
from modelgate.metaflow_io.runs import load_artifact
from modelgate.names import DEFAULT_TAG, TEST

from .examples import EXAMPLES, Example, twisted_artifact, valid_artifact
from .transformations import FLIPS, SHUFFLE, baseline_comparisons_passed, differences

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Session:
    """Where pytest starts and with which arguments (besides ``--model-run``)."""

    cwd: Path
    args: tuple[str, ...]


@dataclass(frozen=True)
class SessionTransformation:
    """A change to how the reference session is started: ``apply(session, example, scratch folder)``."""

    name: str
    apply: Callable[[Session, Example, Path], Session]

    def __str__(self) -> str:
        return self.name


def reference(example: Example, scratch: Path) -> Session:
    """From elsewhere, with the suite's path: the config is the pyproject.toml beside the suite."""
    return Session(scratch, (str(example.suite),))


def by_gate_config(session: Session, example: Example, scratch: Path) -> Session:
    """A copy of the suite where no config can be found, and the config by --gate-config."""
    copy = scratch / f"{example.name}-suite"
    shutil.copytree(example.suite, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return Session(scratch, (str(copy), "--gate-config", str(example.config)))


def adding(*args: str) -> Callable[[Session, Example, Path], Session]:
    return lambda session, example, scratch: replace(session, args=session.args + args)


SESSION_INVARIANTS: tuple[SessionTransformation, ...] = (
    SessionTransformation("config by --gate-config", by_gate_config),
    SessionTransformation("under xdist (-n 2)", adding("-n", "2")),
    SessionTransformation(
        "from the repository root", lambda s, e, scratch: Session(PROJECT, (str(e.suite.relative_to(PROJECT)),))
    ),
    SessionTransformation("from the suite folder", lambda s, e, scratch: Session(e.suite, ())),
    SessionTransformation("-q", adding("-q")),
    SessionTransformation("-v", adding("-v")),
)


def gate_session(gate_suite, run: str, session: Session, report: Path) -> tuple[pytest.RunResult, dict | None]:
    """One pytest session gating ``run``, with no tag on any run of its flow before it
    (no champion, nothing left by an earlier session); its result and its JSON report."""
    from threadpoolctl import threadpool_limits  # comes with scikit-learn

    untag_flow(run.split("/")[0])
    reset_tags(run)
    with contextlib.chdir(session.cwd), threadpool_limits(limits=1):
        result = gate_suite.run(run, *session.args, "--gate-report", str(report))
    return result, json.loads(report.read_text()) if report.exists() else None


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_how_a_session_is_started_changes_nothing(gate_suite, good_runs, example, subtests):
    run = good_runs[example.name]
    scratch = gate_suite.path
    start = reference(example, scratch)
    first, expected = gate_session(gate_suite, run, start, scratch / "reference.json")
    assert first.ret == pytest.ExitCode.OK and expected is not None, first.stdout.str()
    assert expected["passed"] is True and DEFAULT_TAG in user_tags(run)

    for transformation in SESSION_INVARIANTS:
        with subtests.test(msg=transformation.name):
            session = transformation.apply(start, example, scratch)
            result, record = gate_session(gate_suite, run, session, scratch / f"{_slug(transformation.name)}.json")
            assert record is not None, result.stdout.str()
            found = differences(expected, record)
            assert not found, f"{example} {transformation}:\n" + "\n".join(found)
            assert result.ret == first.ret, result.stdout.str()
            assert DEFAULT_TAG in user_tags(run), f"{example} {transformation}: the passing run was not tagged"

    with subtests.test(msg="in flow: Gate.from_config(...).evaluate"):
        gate = Gate.from_config(example.config)
        model, data = load_artifact(run, gate.model_artifact), load_artifact(run, "val_df")  # every example's data
        verdict = gate.evaluate(model, data, run=run)
        # The suite's plain tests run only under pytest.
        expected_in_flow = {**expected, "results": [r for r in expected["results"] if r["group"] != TEST]}
        found = differences(expected_in_flow, verdict)
        assert not found, f"{example} in flow:\n" + "\n".join(found)


@pytest.mark.parametrize("flip", FLIPS, ids=str)
@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_flips_fail_the_session_and_leave_no_tag(gate_suite, twisted_run, example, flip):
    # No champion (a champion is read from the candidate's model artifact name, which
    # the good runs do not have): champion checks pass by default, as in memory.
    args = (
        str(example.suite),
        "--gate-model-artifact",
        twisted_artifact(example, flip.name),
        "--gate-data-artifact",
        valid_artifact(example),
    )
    result, record = gate_session(gate_suite, twisted_run, Session(gate_suite.path, args), gate_suite.path / "v.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert record is not None and record["passed"] is False
    assert DEFAULT_TAG not in user_tags(twisted_run)
    assert f"tag '{DEFAULT_TAG}' not applied to {twisted_run}" in gate_suite.tag_line(result)
    if flip is SHUFFLE:  # no skill: every baseline comparison the config declares fails
        assert baseline_comparisons_passed(record) == [], result.stdout.str()


PERMISSIVE = """
[tool.modelgate]
require_champion = false

[[tool.modelgate.checks]]
metric = "accuracy"
at_least = 0.0
confidence = "none"
"""


def test_a_config_planted_above_the_checkout_is_not_used(gate_suite, twisted_run):
    """A permissive [tool.modelgate] in a pyproject.toml above a checkout (a folder with
    .git) is someone else's: a checkout whose gate declares nothing must not pass with it."""
    breast_cancer = next(e for e in EXAMPLES if e.name == "breast_cancer")
    planted = gate_suite.path / "pyproject.toml"
    planted.write_text(PERMISSIVE)
    checkout = gate_suite.path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "gate").mkdir()
    args = (
        "gate",
        "--gate-model-artifact",
        twisted_artifact(breast_cancer, "replace the model with a constant"),
        "--gate-data-artifact",
        valid_artifact(breast_cancer),
        "--gate-label-column",
        "target",
        "--gate-feature-columns",
        "*",
    )
    result, record = gate_session(gate_suite, twisted_run, Session(checkout, args), gate_suite.path / "v.json")
    assert result.ret != pytest.ExitCode.OK, result.stdout.str()
    assert DEFAULT_TAG not in user_tags(twisted_run)
    assert record is None or record["passed"] is not True
    header = next(line for line in result.outlines if line.startswith("gate config: "))
    assert str(planted) not in header, header
