"""The tutorial's NbowModel: a bag-of-words CountVectorizer and a small Keras network.

As in the Metaflow NLP tutorial (episode 5), updated for Keras 3. One change:
the network is sized to the vocabulary the vectorizer actually learned, so a
small corpus with fewer than ``vocab_sz`` usable words still trains.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import accuracy_score, roc_auc_score


def _build_network(n_features: int):
    import keras
    from keras import layers, optimizers, regularizers

    inputs = keras.Input(shape=(n_features,), name="input")
    x = layers.Dropout(0.10)(inputs)
    x = layers.Dense(
        15,
        activation="relu",
        kernel_regularizer=regularizers.L1L2(l1=1e-5, l2=1e-4),
    )(x)
    predictions = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, predictions)
    model.compile(
        loss="binary_crossentropy",
        optimizer=optimizers.Adam(learning_rate=0.002),
        metrics=["accuracy"],
    )
    return model


class NbowModel:
    def __init__(self, vocab_sz: int):
        self.vocab_sz = vocab_sz
        self.cv = CountVectorizer(
            min_df=0.005,
            max_df=0.75,
            stop_words="english",
            strip_accents="ascii",
            max_features=self.vocab_sz,
        )
        self.model = _build_network(self.vocab_sz)

    def fit(self, X, y, *, epochs: int = 10, verbose: int = 2):
        res = self.cv.fit_transform(X).toarray()
        if res.shape[1] != self.vocab_sz:
            self.model = _build_network(res.shape[1])
        self.model.fit(
            x=res,
            y=np.asarray(y),
            batch_size=32,
            epochs=epochs,
            validation_split=0.2,
            verbose=verbose,
        )

    def predict(self, X):
        res = self.cv.transform(X).toarray()
        return self.model.predict(res, verbose=0)

    def eval_acc(self, X, labels, threshold: float = 0.5) -> float:
        return accuracy_score(labels, self.predict(X) > threshold)

    def eval_rocauc(self, X, labels) -> float:
        return roc_auc_score(labels, self.predict(X))

    @property
    def model_dict(self) -> dict:
        return {"vectorizer": self.cv, "model": self.model}

    @classmethod
    def from_dict(cls, model_dict: dict) -> NbowModel:
        "Get Model from dictionary"
        nbow_model = cls.__new__(cls)
        nbow_model.vocab_sz = len(model_dict["vectorizer"].vocabulary_)
        nbow_model.model = model_dict["model"]
        nbow_model.cv = model_dict["vectorizer"]
        return nbow_model
