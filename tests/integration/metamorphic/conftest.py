"""Fixtures of the metamorphic suite: the examples' cases in memory (cheap), and the
Metaflow runs its pytest sessions gate, made once per session (slow: conftest's
SLOW_FIXTURES lists ``good_runs``, ``twisted_run`` and ``nlp_case``)."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import pytest

from helpers import FLOWS, run_flow

from .examples import NLP, TABULAR, tabular_case, twisted_artifact, valid_artifact
from .examples import nlp_case as make_nlp_case
from .transformations import FLIPS, Case


@pytest.fixture(scope="session")
def tabular_cases() -> dict[str, Case]:
    """Each tabular example's model, trained in memory as its flow trains it."""
    return {example.name: tabular_case(example) for example in TABULAR}


@pytest.fixture(scope="session")
def nlp_case(tutorial_model_dict, demo) -> Case:
    """The NLP example: the demo NLPFlow run's Keras model on the demo frames it was trained on."""
    return make_nlp_case(tutorial_model_dict, demo)


@pytest.fixture(scope="session")
def good_runs(tabular_runs, demo_run) -> dict[str, str]:
    """Example name -> the pathspec of its flow's run as written (each passes its own gate)."""
    return {NLP.name: demo_run, **{name: runs["good"] for name, runs in tabular_runs.items()}}


@pytest.fixture(scope="session")
def twisted_run(tabular_cases, demo) -> str:
    """One ArtifactsFlow run holding, for every example, the model each flip makes
    (``twisted_artifact``) and the validation frame (``valid_artifact``)."""
    # The NLP flips train the stand-in learner: no Keras model is needed.
    cases = {**tabular_cases, NLP.name: make_nlp_case(None, demo)}
    artifacts = {}
    for example in (NLP, *TABULAR):
        case = cases[example.name]
        artifacts[valid_artifact(example)] = case.valid
        for flip in FLIPS:
            artifacts[twisted_artifact(example, flip.name)] = flip.apply(case, None).model
    folder = Path(tempfile.mkdtemp(prefix="twisted-", dir=os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"]))
    (folder / "artifacts.pkl").write_bytes(pickle.dumps(artifacts))
    return run_flow(FLOWS / "artifacts_flow.py", artifacts=str(folder / "artifacts.pkl"))
