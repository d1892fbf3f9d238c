"""A flow that saves its model through metaflow-checkpoint's ``@model`` (the optional extra).

    python checkpoint_flow.py run

``train`` pickles a scikit-learn LogisticRegression to a file and saves it with
``current.model.save``; the end step holds the references ``model`` and
``spare_model`` (a second copy, for a test that deletes its files) and ``val_df``.
"""

from metaflow import FlowSpec, current, model, step


class CheckpointFlow(FlowSpec):
    @step
    def start(self):
        from custom_model import frames

        self.train_df, self.val_df = frames()
        self.next(self.train)

    @model
    @step
    def train(self):
        import os
        import pickle
        import tempfile

        from custom_model import fitted

        folder = tempfile.mkdtemp()
        path = os.path.join(folder, "model.pkl")
        with open(path, "wb") as handle:
            pickle.dump(fitted(self.train_df), handle)
        self.model = current.model.save(path, label="classifier", metadata={"library": "scikit-learn"})
        self.spare_model = current.model.save(path, label="spare")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    CheckpointFlow()
