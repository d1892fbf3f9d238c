"""WineFlow's own quality tests, beyond what ../pyproject.toml declares.

    pytest examples/wine/gate --model-run=WineFlow/<run id>

The checks, properties and smoke rows of ``[tool.modelgate]`` become test
items of their own (and run inside the flow too). Tests written here run only
under pytest; they are quality tests as well: the run is tagged
``deployment_candidate`` only when every one of them passes.
"""

import numpy as np


def test_every_cultivar_is_recognised(evaluation):
    """Accuracy can hide a cultivar the model gets wrong: recall of each class at least 80%."""
    predicted = np.asarray(evaluation.candidate).argmax(axis=1)  # (n, k) probabilities -> class codes
    labels = np.asarray(evaluation.labels)
    for code, cultivar in enumerate(evaluation.classes):
        rows = labels == code
        recall = float(np.mean(predicted[rows] == code))
        assert recall >= 0.8, f"cultivar {cultivar}: recall {recall:.2f} on {rows.sum()} wines"
