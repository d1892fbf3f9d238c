"""The example's own quality tests, beyond what ../pyproject.toml declares.

    pytest examples/gate --model-run=NLPFlow/<run id>

The checks, properties and smoke cases of ``[tool.modelgate]`` become test
items of their own (and run inside the flow too). Tests written here run only
under pytest; they are quality tests as well: the run is tagged
``deployment_candidate`` only when every one of them passes.
"""

import numpy as np


def test_odd_inputs_still_get_probabilities(model_scorer):
    odd = ["", "   ", "!!!", "a", "the and of", "dress " * 2000, "Ünïcödé çafé naïve"]
    scores = model_scorer(odd)
    assert scores.shape == (len(odd),)
    assert np.all((scores >= 0) & (scores <= 1))
