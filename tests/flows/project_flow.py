"""TinyFlow's model under ``@project``, for the champion-scope and promote tests.

Run it in branches: ``python project_flow.py --branch alpha run`` (branch
``test.alpha``), ``--production`` (branch ``prod``; with
``METAFLOW_PRODUCTION_TOKEN`` set, the run's namespace tag is ``production:TOKEN``).
Its end step holds ``model`` and ``val_df``, as TinyFlow's does.
"""

from metaflow import FlowSpec, project, step


@project(name="modelgate_tests")
class ProjectFlow(FlowSpec):
    @step
    def start(self):
        import numpy as np
        import pandas as pd
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        rng = np.random.default_rng(0)
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

        train = frame(400)
        self.valdf = frame(200)
        self.model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(train["review"], train["labels"])
        self.next(self.end)

    @step
    def end(self):
        self.val_df = self.valdf


if __name__ == "__main__":
    ProjectFlow()
