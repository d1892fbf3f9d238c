"""A small, fast flow shaped like the tutorial's, for the plugin's own tests.

No TensorFlow: a scikit-learn pipeline on generated text. Its end step holds
``model`` and ``val_df`` (and ``negatives_df``, its negative rows only); ``start``
holds ``valdf``. Parameters make the runs
the tests need: a failing run, a model that scores inverted.
"""

import time

from metaflow import FlowSpec, Parameter, step


class TinyFlow(FlowSpec):
    fail_at = Parameter("fail-at", default="", help="step name to fail in (for failed-run tests)")
    pause = Parameter("pause", default=0, help="seconds to sleep in train (for unfinished-run tests)")
    train_noise = Parameter("train-noise", default=0.0, help="share of training labels flipped (a worse model)")
    labels_kind = Parameter("labels-kind", default="binary", help="binary | text | empty")
    plant = Parameter(
        "plant",
        default="",
        help="a word planted once in half the training negatives and four times in a fifth of 1,000 "
        "validation texts: a model much worse than the plain one on the rows holding it (a weak slice)",
    )

    @step
    def start(self):
        import numpy as np
        import pandas as pd

        rng = np.random.default_rng(0)
        good = ["great", "love", "perfect", "lovely", "nice"]
        bad = ["awful", "poor", "broken", "returned", "ugly"]
        filler = ["dress", "fabric", "color", "size", "shirt", "order", "blue", "cotton"]

        def frame(n):
            labels = (rng.random(n) < 0.7).astype(int)
            texts = []
            for y in labels:
                words = list(rng.choice(good if y else bad, 2)) + list(rng.choice(filler, 3))
                if rng.random() < 0.15:  # mixed reviews
                    words.append(str(rng.choice(bad if y else good)))
                rng.shuffle(words)
                texts.append(" ".join(words))
            flipped = rng.random(n) < 0.1  # label noise keeps the AUC below 1
            return pd.DataFrame({"review": texts, "labels": np.where(flipped, 1 - labels, labels)})

        self.df = frame(400)
        self.valdf = frame(1000 if self.plant else 200)
        if self.plant:  # its own draws: the frames above are the plain run's
            planting = np.random.default_rng(2)
            negatives = (self.df["labels"] == 0).to_numpy() & (planting.random(len(self.df)) < 0.5)
            self.df.loc[negatives, "review"] += " " + self.plant
            chosen = planting.random(len(self.valdf)) < 0.2
            self.valdf.loc[chosen, "review"] += (" " + self.plant) * 4
        # The validation rows of one class: too thin for an AUC (an inconclusive check).
        self.negatives_df = self.valdf[self.valdf["labels"] == 0].reset_index(drop=True)
        if self.labels_kind == "text":
            self.valdf["labels"] = np.where(self.valdf["labels"] == 1, "pos", "neg")
        elif self.labels_kind == "empty":
            self.valdf = self.valdf.iloc[:0]
        self._maybe_fail("start")
        self.next(self.train)

    @step
    def train(self):
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        time.sleep(self.pause)

        import numpy as np

        labels = self.df["labels"].to_numpy()
        flip = np.random.default_rng(1).random(len(labels)) < self.train_noise
        self.model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(
            self.df["review"], np.where(flip, 1 - labels, labels)
        )
        self.next(self.end)

    @step
    def end(self):
        self.val_df = self.valdf
        self._maybe_fail("end")

    def _maybe_fail(self, step_name):
        if self.fail_at == step_name:
            raise RuntimeError(f"TinyFlow failing in {step_name} as asked")


if __name__ == "__main__":
    TinyFlow()
