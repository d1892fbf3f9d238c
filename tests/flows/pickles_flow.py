"""A flow whose model artifact is a pickle a gate session may not load as it is.

    python pickles_flow.py run --kind plain | unimportable | old-sklearn | old-sklearn-gone

``plain``: a scikit-learn LogisticRegression; ``unimportable``: the same wrapped in a class
of ``custom_model`` (beside this file, not importable where the gate runs); ``old-sklearn``:
pickled as if by scikit-learn 1.0.2 (it loads, with scikit-learn's version warning);
``old-sklearn-gone``: that, then a scaler of a scikit-learn module this release lacks
(it cannot be unpickled). Its end step holds ``model`` and ``val_df`` (features
``x0``..``x4``, ``labels``).
"""

from metaflow import FlowSpec, Parameter, step


class PicklesFlow(FlowSpec):
    kind = Parameter("kind", default="plain", help="plain | unimportable | old-sklearn | old-sklearn-gone")

    @step
    def start(self):
        from custom_model import frames

        self.train_df, self.val_df = frames()
        self.next(self.end)

    @step
    def end(self):
        import custom_model

        estimator = custom_model.fitted(self.train_df)
        self.model = {
            "plain": lambda: estimator,
            "unimportable": lambda: custom_model.Wrapped(estimator),
            "old-sklearn": lambda: custom_model.OldSklearn(estimator, "1.0.2"),
            "old-sklearn-gone": lambda: custom_model.OldSklearnGone(estimator, "1.0.2"),
        }[self.kind]()


if __name__ == "__main__":
    PicklesFlow()
