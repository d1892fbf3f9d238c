"""A tabular multiclass classifier, gated by modelgate: three wine cultivars.

    python examples/wine/wineflow.py run                      # the model, gated in its end step
    python examples/wine/wineflow.py run --shuffle-labels True  # a model with no skill: the gate fails
    pytest examples/wine/gate --model-run=WineFlow/<run id>   # the same gate, as pytest quality tests

start -> train -> end. The data is scikit-learn's wine table (178 wines, 13
chemical measurements, 3 cultivars; it ships inside scikit-learn, nothing is
downloaded), with a ``sample_id`` column added, as a lab's export would have.
start splits it (seeded, stratified) into ``train_df`` and ``val_df``; train
fits ``model``, a scikit-learn Pipeline that drops ``sample_id``, scales the
measurements and fits a multinomial logistic regression; end scores it with
the gate of ``pyproject.toml`` beside this file, keeps the verdict as
``gate_verdict``, draws the verdict card (a confusion matrix) and, when it
passes (and ``--tag-in-flow`` is on), tags the run ``deployment_candidate``.

``load_frames`` and ``make_model`` are what the steps run; tests call them to
train the same model in memory.
"""

from pathlib import Path

from metaflow import FlowSpec, Parameter, card, current, step

LABEL = "target"  # the cultivar: 0, 1 or 2
ID_COLUMN = "sample_id"


def load_frames(seed: int = 0):
    """The wine table with a sample id, split 60/40 (stratified): (train_df, val_df)."""
    import numpy as np
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split

    wine = load_wine(as_frame=True).frame  # 13 measurements + target
    wine.insert(0, ID_COLUMN, np.arange(1001, 1001 + len(wine)))
    return train_test_split(wine, test_size=0.4, random_state=seed, stratify=wine[LABEL])


def make_model(columns):
    """The unfitted pipeline for a frame with these columns: drop the id, scale, multinomial logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    measurements = [c for c in columns if c not in (ID_COLUMN, LABEL)]
    return Pipeline(
        [
            # The id says nothing about the wine: drop it (the gate checks that it does not matter).
            ("drop_id", ColumnTransformer([("measurements", "passthrough", measurements)], remainder="drop")),
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(max_iter=1000)),
        ]
    )


class WineFlow(FlowSpec):
    shuffle_labels = Parameter(
        "shuffle-labels",
        default=False,
        type=bool,
        help="Train on shuffled labels: a model with no skill, to see the gate fail.",
    )
    tag_in_flow = Parameter(
        "tag-in-flow", default=True, type=bool, help="Let the end step tag the run when its gate passes."
    )
    seed = Parameter("seed", default=0, help="Seed of the train/validation split.")

    @step
    def start(self):
        "Load the wine table, add a sample id, split it 60/40."
        self.train_df, self.val_df = load_frames(self.seed)
        print(f"train rows: {len(self.train_df)}, validation rows: {len(self.val_df)}")
        self.next(self.train)

    @step
    def train(self):
        "Fit the pipeline: drop the id, scale, multinomial logistic regression."
        import numpy as np

        features = self.train_df.drop(columns=[LABEL])
        labels = self.train_df[LABEL].to_numpy()
        if self.shuffle_labels:
            labels = np.random.default_rng(self.seed).permutation(labels)
            print("training on shuffled labels, as asked: this model has no skill")
        self.model = make_model(features.columns).fit(features, labels)
        self.next(self.end)

    @card(type="blank", id="gate")
    @step
    def end(self):
        "Score the model on the validation rows and gate it (modelgate)."
        from sklearn.metrics import accuracy_score, f1_score

        from modelgate import Gate

        features = self.val_df.drop(columns=[LABEL])
        predicted = self.model.predict(features)
        self.model_accuracy = float(accuracy_score(self.val_df[LABEL], predicted))
        self.model_macro_f1 = float(f1_score(self.val_df[LABEL], predicted, average="macro"))
        self.majority_accuracy = float(self.val_df[LABEL].value_counts(normalize=True).max())
        print(f"Majority class accuracy: {self.majority_accuracy:.2%}")
        print(f"Model accuracy: {self.model_accuracy:.2%}, macro F1: {self.model_macro_f1:.3f}")

        # The same gate the pytest suite runs (pyproject.toml beside this file).
        gate = Gate.from_config(Path(__file__).resolve().parent / "pyproject.toml")
        verdict = gate.evaluate(self.model, self.val_df, run=f"{current.flow_name}/{current.run_id}")
        print(verdict.summary())
        from modelgate.report.card import add_verdict_card

        add_verdict_card(current.card["gate"], verdict)
        self.gate_verdict = verdict.to_dict()
        if self.tag_in_flow and verdict.passed:
            from modelgate import tag_current_run

            tag_current_run(current, gate.tag)


if __name__ == "__main__":
    WineFlow()
