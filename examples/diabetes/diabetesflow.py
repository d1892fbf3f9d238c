"""A tabular regressor, gated by modelgate: disease progression of diabetes patients.

    python examples/diabetes/diabetesflow.py run                        # the model, gated in its end step
    python examples/diabetes/diabetesflow.py run --shuffle-labels True  # a model with no skill: the gate fails
    pytest examples/diabetes/gate --model-run=DiabetesFlow/<run id>     # the same gate, as pytest quality tests

start -> train -> end. The data is scikit-learn's diabetes table (442
patients; it ships inside scikit-learn, nothing is downloaded), in its
original units: age, sex (1 or 2), bmi, bp (mean blood pressure), s1-s6
(serum measurements; s5 is the log of serum triglycerides), and ``target``, a
measure of disease progression one year later (25-346). A ``patient_id``
column is added, as a clinic's export would have. start splits it (seeded)
into ``train_df`` and ``val_df``; train fits ``model``, a scikit-learn
Pipeline that drops ``patient_id`` and fits gradient-boosted trees
constrained to be non-decreasing in bmi, bp and s5; end scores it with the gate
of ``pyproject.toml`` beside this file, keeps the verdict as
``gate_verdict``, draws the verdict card (predicted vs actual, residuals) and,
when it passes (and ``--tag-in-flow`` is on), tags the run ``deployment_candidate``.

``load_frames`` and ``make_model`` are what the steps run; tests call them to
train the same model in memory.
"""

from pathlib import Path

from metaflow import FlowSpec, Parameter, card, current, step

LABEL = "target"
ID_COLUMN = "patient_id"
# Progression must not go down as these go up (what clinicians expect, and
# what the gate checks): a monotonic constraint on the trees.
INCREASING = ("bmi", "bp", "s5")


def load_frames(seed: int = 0):
    """The table in its original units with a patient id, split 70/30: (train_df, val_df)."""
    import numpy as np
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    patients = load_diabetes(as_frame=True, scaled=False).frame  # 10 features + target
    patients.insert(0, ID_COLUMN, np.arange(1, 1 + len(patients)))
    return train_test_split(patients, test_size=0.3, random_state=seed)


def make_model(columns):
    """The unfitted pipeline for a frame with these columns: drop the id, gradient-boosted
    trees, monotonic in bmi, bp and s5."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline

    measurements = [c for c in columns if c not in (ID_COLUMN, LABEL)]
    return Pipeline(
        [
            # The id says nothing about the patient: drop it (the gate checks that it does not matter).
            (
                "drop_id",
                ColumnTransformer(
                    [("measurements", "passthrough", measurements)], remainder="drop", verbose_feature_names_out=False
                ).set_output(transform="pandas"),
            ),
            (
                "regress",
                HistGradientBoostingRegressor(
                    monotonic_cst={name: 1 for name in INCREASING},
                    max_iter=150,
                    learning_rate=0.03,
                    max_depth=2,
                    min_samples_leaf=20,
                    l2_regularization=1.0,
                    random_state=0,
                ),
            ),
        ]
    )


class DiabetesFlow(FlowSpec):
    shuffle_labels = Parameter(
        "shuffle-labels",
        default=False,
        type=bool,
        help="Train on shuffled targets: a model with no skill, to see the gate fail.",
    )
    tag_in_flow = Parameter(
        "tag-in-flow", default=True, type=bool, help="Let the end step tag the run when its gate passes."
    )
    seed = Parameter("seed", default=0, help="Seed of the train/validation split.")

    @step
    def start(self):
        "Load the diabetes table in its original units, add a patient id, split it 70/30."
        self.train_df, self.val_df = load_frames(self.seed)
        print(f"train rows: {len(self.train_df)}, validation rows: {len(self.val_df)}")
        self.next(self.train)

    @step
    def train(self):
        "Fit the pipeline: drop the id, gradient-boosted trees, monotonic in bmi, bp and s5."
        import numpy as np

        features = self.train_df.drop(columns=[LABEL])
        target = self.train_df[LABEL].to_numpy()
        if self.shuffle_labels:
            target = np.random.default_rng(self.seed).permutation(target)
            print("training on shuffled targets, as asked: this model has no skill")
        self.model = make_model(features.columns).fit(features, target)
        self.next(self.end)

    @card(type="blank", id="gate")
    @step
    def end(self):
        "Score the model on the validation rows and gate it (modelgate)."
        from sklearn.metrics import mean_absolute_error, r2_score

        from modelgate import Gate

        truth = self.val_df[LABEL]
        predicted = self.model.predict(self.val_df.drop(columns=[LABEL]))
        self.model_mae = float(mean_absolute_error(truth, predicted))
        self.model_r2 = float(r2_score(truth, predicted))
        self.mean_mae = float((truth - truth.mean()).abs().mean())
        print(f"Mean baseline MAE: {self.mean_mae:.1f}")
        print(f"Model MAE: {self.model_mae:.1f}, R2: {self.model_r2:.3f}")

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
    DiabetesFlow()
