"""Keras models on feature columns: the task is read from what the model outputs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelgate import Gate, GateUsageError
from modelgate.checks import MarginCheck


@pytest.fixture(scope="module")
def wine():
    frame = load_wine(as_frame=True).frame
    train, valid = train_test_split(frame, test_size=0.4, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(train.drop(columns="target"), train["target"])
    return model, valid.reset_index(drop=True)


@pytest.fixture(scope="module")
def diabetes():
    frame = load_diabetes(as_frame=True).frame
    train, valid = train_test_split(frame, test_size=0.4, random_state=0)
    model = Ridge(alpha=0.1).fit(train.drop(columns="target"), train["target"])
    return model, valid.reset_index(drop=True)


@pytest.mark.slow  # trains a (small) Keras model
def test_a_keras_softmax_model_on_feature_columns_is_multiclass(wine):
    import keras

    model_sk, valid = wine
    features = valid.drop(columns="target")
    keras.utils.set_random_seed(0)
    net = keras.Sequential(
        [keras.Input((features.shape[1],)), keras.layers.Normalization(), keras.layers.Dense(3, activation="softmax")]
    )
    net.layers[0].adapt(features.to_numpy("float32"))
    net.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    net.fit(features.to_numpy("float32"), valid["target"].to_numpy(), epochs=60, verbose=0)
    verdict = Gate(checks=[MarginCheck("accuracy", margin=0.3)], feature_columns="*", label_column="target").evaluate(
        net, valid
    )
    evidence = verdict.evaluation
    assert (evidence.task, evidence.classes) == ("multiclass", (0, 1, 2))
    np.testing.assert_allclose(evidence.candidate, net.predict(features.to_numpy("float32"), verbose=0), atol=1e-5)
    assert verdict.passed, str(verdict)


@pytest.mark.slow  # trains a (small) Keras model
def test_a_keras_regressor_is_not_taken_for_a_binary_classifier(diabetes):
    import keras

    _, valid = diabetes
    features = valid.drop(columns="target").to_numpy("float32")
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((features.shape[1],)), keras.layers.Dense(1)])
    net.compile(optimizer=keras.optimizers.Adam(0.5), loss="mae")
    net.fit(features, valid["target"].to_numpy(), epochs=100, verbose=0)
    checks = [MarginCheck("mae", baseline="mean", margin=0.0, confidence=None)]
    # one linear output and whole-number targets (counts? classes?): the gate asks, not guesses
    with pytest.raises(GateUsageError, match=r"cannot tell the task .* set task = "):
        Gate(checks=checks, feature_columns="*", label_column="target").evaluate(net, valid)
    verdict = Gate(checks=checks, feature_columns="*", label_column="target", task="regression").evaluate(net, valid)
    assert verdict.evaluation.task == "regression"
    np.testing.assert_allclose(verdict.evaluation.candidate, net.predict(features, verbose=0).ravel(), rtol=1e-5)
