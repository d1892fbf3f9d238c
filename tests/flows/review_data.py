"""Reviews and a model for the @gate flows (gated_flow.py, recorded_flow.py, plain_flow.py):
TinyFlow's generated text and scikit-learn pipeline, in functions the flows share."""


def frames(seed=0):
    """(train, valid) frames of generated reviews, `review` and `labels` (0/1)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    good = ["great", "love", "perfect", "lovely", "nice"]
    bad = ["awful", "poor", "broken", "returned", "ugly"]
    filler = ["dress", "fabric", "color", "size", "shirt", "order", "blue", "cotton"]

    def frame(n):
        labels = (rng.random(n) < 0.7).astype(int)
        texts = []
        for y in labels:
            words = list(rng.choice(good if y else bad, 2)) + list(rng.choice(filler, 3))
            if rng.random() < 0.15:
                words.append(str(rng.choice(bad if y else good)))
            rng.shuffle(words)
            texts.append(" ".join(words))
        flipped = rng.random(n) < 0.1
        return pd.DataFrame({"review": texts, "labels": np.where(flipped, 1 - labels, labels)})

    return frame(400), frame(200)


def fit(train, inverted=False):
    """A bag-of-words logistic regression; ``inverted``: trained on flipped labels (no skill: it fails the gate)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    labels = train["labels"].to_numpy()
    return make_pipeline(CountVectorizer(), LogisticRegression()).fit(
        train["review"], 1 - labels if inverted else labels
    )


class Poisoned:
    """A model that cannot score a review holding the word "poison" (a shard that fails)."""

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_

    def predict_proba(self, texts):
        texts = list(texts)
        if any("poison" in text for text in texts):
            raise RuntimeError("cannot score a poisoned review")
        return self.model.predict_proba(texts)
