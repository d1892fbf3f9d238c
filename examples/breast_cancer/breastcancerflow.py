"""A tabular binary classifier, gated by modelgate: benign or malignant breast tumours.

    python examples/breast_cancer/breastcancerflow.py run                        # the model, gated in its end step
    python examples/breast_cancer/breastcancerflow.py run --shuffle-labels True  # a model with no skill: the gate fails
    pytest examples/breast_cancer/gate --model-run=BreastCancerFlow/<run id>     # the same gate, as pytest quality tests

start -> train -> end. The data is scikit-learn's breast cancer table (569
tumours, 30 measurements of the cell nuclei; it ships inside scikit-learn,
nothing is downloaded); ``target`` is scikit-learn's coding, 0 malignant and 1
benign, so the model's positive class (``classes_[1]``) is benign. A
``patient_id`` column is added, as a clinic's export would have. start splits
the table (seeded, stratified) into ``train_df`` and ``val_df``; train fits
``model``, a scikit-learn Pipeline that drops ``patient_id``, scales the
measurements and fits a logistic regression; end scores it with the gate of
``pyproject.toml`` beside this file, keeps the verdict as ``gate_verdict``,
draws the verdict card (ROC curves) and, when it passes (and
``--tag-in-flow`` is on), tags the run ``deployment_candidate``.

``load_frames`` and ``make_model`` are what the steps run; tests call them to
train the same model in memory.
"""

from pathlib import Path

from metaflow import FlowSpec, Parameter, card, current, step

LABEL = "target"  # 0 malignant, 1 benign (scikit-learn's coding)
ID_COLUMN = "patient_id"


def load_frames(seed: int = 0):
    """The table with a patient id, split 60/40 (stratified): (train_df, val_df)."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    tumours = load_breast_cancer(as_frame=True).frame  # 30 measurements + target
    tumours.insert(0, ID_COLUMN, np.arange(5001, 5001 + len(tumours)))
    return train_test_split(tumours, test_size=0.4, random_state=seed, stratify=tumours[LABEL])


def make_model(columns):
    """The unfitted pipeline for a frame with these columns: drop the id, scale, logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    measurements = [c for c in columns if c not in (ID_COLUMN, LABEL)]
    return Pipeline(
        [
            # The id says nothing about the tumour: drop it (the gate checks that it does not matter).
            ("drop_id", ColumnTransformer([("measurements", "passthrough", measurements)], remainder="drop")),
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(max_iter=1000)),
        ]
    )


class BreastCancerFlow(FlowSpec):
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
        "Load the breast cancer table, add a patient id, split it 60/40."
        self.train_df, self.val_df = load_frames(self.seed)
        print(f"train rows: {len(self.train_df)}, validation rows: {len(self.val_df)}")
        self.next(self.train)

    @step
    def train(self):
        "Fit the pipeline: drop the id, scale, logistic regression."
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
        from sklearn.metrics import accuracy_score, roc_auc_score

        from modelgate import Gate

        features = self.val_df.drop(columns=[LABEL])
        self.model_accuracy = float(accuracy_score(self.val_df[LABEL], self.model.predict(features)))
        self.model_roc_auc = float(roc_auc_score(self.val_df[LABEL], self.model.predict_proba(features)[:, 1]))
        self.majority_accuracy = float(self.val_df[LABEL].value_counts(normalize=True).max())
        print(f"Majority class accuracy: {self.majority_accuracy:.2%}")
        print(f"Model accuracy: {self.model_accuracy:.2%}, ROC AUC: {self.model_roc_auc:.3f}")

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
    BreastCancerFlow()
