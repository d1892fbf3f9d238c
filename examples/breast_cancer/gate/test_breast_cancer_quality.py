"""BreastCancerFlow's own quality tests, beyond what ../pyproject.toml declares.

    pytest examples/breast_cancer/gate --model-run=BreastCancerFlow/<run id>

The checks, properties and smoke rows of ``[tool.modelgate]`` become test
items of their own (and run inside the flow too). Tests written here run only
under pytest; they are quality tests as well: the run is tagged
``deployment_candidate`` only when every one of them passes.
"""

import numpy as np


def test_malignant_tumours_are_caught(evaluation):
    """A missed malignant tumour costs most: at least 90% of them get a benign probability below 0.5."""
    benign = np.asarray(evaluation.candidate, dtype=float)  # the positive class's probability
    malignant = np.asarray(evaluation.labels) == 0  # labels are 0/1, 1 the positive class
    caught = float(np.mean(benign[malignant] < 0.5))
    assert caught >= 0.9, f"{caught:.1%} of {malignant.sum()} malignant tumours caught"
