"""The gate's fixtures, and the ``smoke_cases`` decorator of gate suites.

Without ``--model-run`` a test that asks for one is skipped (and the session
then exits 4: nothing was gated).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..names import MAJORITY

if TYPE_CHECKING:
    import numpy as np

    from ..evidence.evaluation import Evaluation, Scorer
    from .recorder import GateRecorder
    from .session import GateSession

GATE = pytest.StashKey["GateSession"]()
# The skip reason of a test that asked for a gate fixture in a session without --model-run.
NEEDS_MODEL_RUN = "modelgate: this quality test needs --model-run"


def smoke_cases(path: str | os.PathLike[str]) -> pytest.MarkDecorator:
    """Decorator: one test item per smoke case in a CSV/JSONL/parquet file.

    A relative path is taken from the test module's folder. The test receives
    each case as the ``smoke_case`` argument, with the case's name as its id::

        @modelgate.smoke_cases("smoke_cases.csv")
        def test_smoke(gate, smoke_case):
            gate.smoke(smoke_case)
    """
    from ..smoke import load_smoke_cases

    path = Path(path)
    if not path.is_absolute():
        caller = sys._getframe(1).f_globals.get("__file__")
        if caller:
            path = Path(caller).resolve().parent / path
    cases = load_smoke_cases(path)
    return pytest.mark.parametrize("smoke_case", cases, ids=[case.name for case in cases])


def _require(request: pytest.FixtureRequest) -> GateSession:
    gate = request.config.stash.get(GATE, None)
    if gate is None:
        pytest.skip(NEEDS_MODEL_RUN)
    return gate


@pytest.fixture(scope="session")
def model_run(request: pytest.FixtureRequest) -> Any:
    """The Metaflow Run being gated."""
    return _require(request).run


@pytest.fixture(scope="session")
def validation_data(request: pytest.FixtureRequest) -> Any:
    """The run's validation frame (the data artifact): a copy, so that a test that changes
    it in place never changes the evidence (an xdist worker builds it on first use)."""
    data = _require(request).data
    copy = getattr(data, "copy", None)
    return copy() if callable(copy) else data


@pytest.fixture(scope="session")
def model_scorer(request: pytest.FixtureRequest) -> Scorer:
    """The run's model as a scorer: texts -> 1-D array of positive-class probabilities."""
    return _require(request).scorer


@pytest.fixture(scope="session")
def majority_baseline(request: pytest.FixtureRequest) -> np.ndarray:
    """Scores of the majority-class baseline on the validation rows."""
    return _require(request).evaluation.scores(MAJORITY)


@pytest.fixture(scope="session")
def evaluation(request: pytest.FixtureRequest) -> Evaluation:
    """Labels plus candidate and baseline scores, computed once per session."""
    return _require(request).evaluation


@pytest.fixture(scope="session")
def champion_run(request: pytest.FixtureRequest) -> str | None:
    """Pathspec of the champion (the newest other tagged run, or --gate-baseline-run), or None."""
    return _require(request).champion


@pytest.fixture
def gate(request: pytest.FixtureRequest, evaluation: Evaluation) -> GateRecorder:
    """Run checks as assertions and record their results for the report and JUnit XML.

    It asks for ``evaluation`` so that loading the model and scoring happen in
    setup: a failure there is an error (no tag change), not a failed check.
    """
    from .recorder import GateRecorder

    return GateRecorder(_require(request), request.node.user_properties)
