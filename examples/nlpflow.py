"""The Metaflow NLP tutorial's flow (episode 5), gated by modelgate.

    python examples/nlpflow.py run                       # built-in demo data
    python examples/nlpflow.py run --train-data ../shared/data/reviews_train.parquet \
                                   --valid-data ../shared/data/reviews_valid.parquet

Steps and artifacts are the tutorial's: start -> (baseline, train) -> join -> end,
with df, valdf, base_acc, base_rocauc, model_dict, train_df, val_df, model_acc and
model_rocauc. The validation frame gains a ``garment`` column (dress, top, bottom or
other, from the review's words) that the gate slices by. The end step hands the model to modelgate instead of comparing
by hand, and tags the run ``deployment_candidate`` only when the gate passes.
"""

from pathlib import Path

from metaflow import FlowSpec, Parameter, card, current, step


class NLPFlow(FlowSpec):
    train_data = Parameter("train-data", default="", help="Parquet file of training reviews (empty: demo data).")
    valid_data = Parameter("valid-data", default="", help="Parquet file of validation reviews (empty: demo data).")
    epochs = Parameter("epochs", default=10, help="Training epochs (the tutorial uses 10).")
    seed = Parameter(
        "seed",
        default=0,
        type=int,
        help="Seed for the network's initial weights and shuffling, so a rerun trains the same model.",
    )
    tag_in_flow = Parameter(
        "tag-in-flow", default=True, type=bool, help="Let the end step tag the run when its gate passes."
    )

    @step
    def start(self):
        "Read the data"
        import pandas as pd

        if bool(self.train_data) != bool(self.valid_data):
            raise ValueError("give both --train-data and --valid-data, or neither (demo data)")
        if self.train_data:
            self.df = pd.read_parquet(self.train_data)
            self.valdf = pd.read_parquet(self.valid_data)
        else:
            from demo_data import demo_frames

            self.df, self.valdf = demo_frames()
            print("no data given: using the built-in demo reviews")
        from garment import garment_of

        # A category for the gate's slices, derived from the text (the model never sees it).
        self.valdf["garment"] = garment_of(self.valdf["review"])
        print(f"num of rows: {self.df.shape[0]}")
        self.next(self.baseline, self.train)

    @step
    def baseline(self):
        "Compute the baseline"
        from sklearn.metrics import accuracy_score, roc_auc_score

        baseline_predictions = [1] * self.valdf.shape[0]
        self.base_acc = accuracy_score(self.valdf.labels, baseline_predictions)
        self.base_rocauc = roc_auc_score(self.valdf.labels, baseline_predictions)
        self.next(self.join)

    @step
    def train(self):
        "Train the model"
        import keras

        from model import NbowModel

        keras.utils.set_random_seed(self.seed)  # one rerun, one model: a gate verdict that can be reproduced
        model = NbowModel(vocab_sz=750)
        model.fit(X=self.df["review"], y=self.df["labels"], epochs=self.epochs)
        self.model_dict = model.model_dict  # save model
        self.next(self.join)

    @step
    def join(self, inputs):
        "Compare the model results with the baseline."
        from model import NbowModel

        self.model_dict = inputs.train.model_dict
        self.train_df = inputs.train.df
        self.val_df = inputs.baseline.valdf
        self.base_rocauc = inputs.baseline.base_rocauc
        self.base_acc = inputs.baseline.base_acc
        model = NbowModel.from_dict(self.model_dict)

        self.model_acc = model.eval_acc(X=self.val_df["review"], labels=self.val_df["labels"])
        self.model_rocauc = model.eval_rocauc(X=self.val_df["review"], labels=self.val_df["labels"])

        print(f"Baseline Accuracy: {self.base_acc:.2%}")
        print(f"Baseline AUC: {self.base_rocauc:.2}")
        print(f"Model Accuracy: {self.model_acc:.2%}")
        print(f"Model AUC: {self.model_rocauc:.2}")
        self.next(self.end)

    @card(type="blank", id="gate")
    @step
    def end(self):
        "Tags the model as a deployment candidate if it passes the gate (modelgate)."
        from modelgate import Gate

        # The same gate the pytest suite runs (examples/pyproject.toml).
        gate = Gate.from_config(Path(__file__).resolve().parent / "pyproject.toml")
        verdict = gate.evaluate(self.model_dict, self.val_df, run=f"{current.flow_name}/{current.run_id}")
        print(verdict.summary())
        from modelgate.report.card import add_verdict_card

        add_verdict_card(current.card["gate"], verdict)
        self.gate_verdict = verdict.to_dict()
        self.beats_baseline = verdict.passed_group("baseline")
        self.passed_smoke_test = verdict.passed_group("smoke")
        if self.tag_in_flow and verdict.passed:
            from modelgate import tag_current_run

            tag_current_run(current, gate.tag)


if __name__ == "__main__":
    NLPFlow()
