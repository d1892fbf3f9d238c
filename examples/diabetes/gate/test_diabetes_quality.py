"""DiabetesFlow's own quality tests, beyond what ../pyproject.toml declares.

    pytest examples/diabetes/gate --model-run=DiabetesFlow/<run id>

The checks, properties and smoke rows of ``[tool.modelgate]`` become test
items of their own (and run inside the flow too). Tests written here run only
under pytest; they are quality tests as well: the run is tagged
``deployment_candidate`` only when every one of them passes.
"""

import numpy as np


def test_predictions_stay_in_the_plausible_range(evaluation):
    """Progression is measured on a 25-346 scale: no prediction far outside it."""
    predicted = np.asarray(evaluation.candidate, dtype=float)
    assert np.isfinite(predicted).all()
    assert predicted.min() >= 0 and predicted.max() <= 400, (predicted.min(), predicted.max())


def test_no_systematic_bias(evaluation):
    """On average the model neither over- nor under-predicts by more than 15 points."""
    residuals = np.asarray(evaluation.candidate, dtype=float) - np.asarray(evaluation.labels, dtype=float)
    assert abs(residuals.mean()) < 15, f"mean residual {residuals.mean():+.1f}"
