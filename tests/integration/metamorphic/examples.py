"""Every example gate of examples/, as the metamorphic suite runs it.

An :class:`Example` names its flow, its gate suite and its config; a new
example is one entry in :data:`EXAMPLES` (its flow runs come from
``tests/conftest.py``: ``tabular_runs`` for the tabular ones, ``demo_run`` for
the NLP flow). :func:`tabular_case` trains a tabular example's model in memory
with the flow's own ``load_frames`` and ``make_model``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from helpers import EXAMPLES as EXAMPLES_FOLDER
from helpers import TABULAR_EXAMPLES
from modelgate import Gate
from modelgate.names import BINARY, MULTICLASS, REGRESSION

from .transformations import Case


@dataclass(frozen=True)
class Example:
    name: str
    task: str
    folder: Path  # holds pyproject.toml ([tool.modelgate]) and gate/
    flow_file: Path

    @property
    def config(self) -> Path:
        return self.folder / "pyproject.toml"

    @property
    def suite(self) -> Path:
        return self.folder / "gate"

    def __str__(self) -> str:
        return self.name


NLP = Example("nlp", BINARY, EXAMPLES_FOLDER, EXAMPLES_FOLDER / "nlpflow.py")
TABULAR = tuple(
    Example(name, task, EXAMPLES_FOLDER / name, EXAMPLES_FOLDER / TABULAR_EXAMPLES[name][0])
    for name, task in (("wine", MULTICLASS), ("diabetes", REGRESSION), ("breast_cancer", BINARY))
)
EXAMPLES = (NLP, *TABULAR)


def twisted_artifact(example: Example, flip_name: str) -> str:
    """The artifact holding ``example``'s model made by the flip: ``wine__swap_the_labels``."""
    return f"{example.name}__{flip_name.replace(' ', '_')}"


def valid_artifact(example: Example) -> str:
    return f"{example.name}__val_df"


@cache
def flow_module(example: Example) -> ModuleType:
    """The example's flow file as a module (its ``load_frames``, ``make_model``); no run."""
    spec = importlib.util.spec_from_file_location(f"metamorphic_{example.name}_flow", example.flow_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tabular_case(example: Example) -> Case:
    """The tabular example's model trained in memory as its flow trains it, with its own gate."""
    flow = flow_module(example)
    train, valid = flow.load_frames(0)
    gate = Gate.from_config(example.config)
    untrained = Case(example.name, example.task, gate, None, train, valid, flow.make_model, reproduces=True)
    return replace(untrained, model=untrained.fit(train))


def text_learner(_: Any) -> Any:
    """A quick bag-of-words classifier: the NLP example's stand-in for models trained on twisted labels."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([("words", TfidfVectorizer(min_df=2)), ("classify", LogisticRegression(max_iter=1000))])


def nlp_case(model_dict: Any, frames: tuple[Any, Any]) -> Case:
    """The NLP example: a trained NbowModel's ``model_dict`` (None: only the flips' stand-in
    learner is used) on the demo (train, valid) frames."""
    train, valid = frames
    return Case(
        NLP.name, BINARY, Gate.from_config(NLP.config), model_dict, train, valid, text_learner, reproduces=False
    )
