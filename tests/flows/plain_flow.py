"""A flow that knows nothing of modelgate, for `--with modelgate.gate:...`: start -> train -> end.

``train`` makes ``model`` and ``val_df`` (``end`` inherits them); ``start`` has only ``df`` and ``valdf``.
"""

from metaflow import FlowSpec, Parameter, step


class PlainFlow(FlowSpec):
    inverted = Parameter("inverted", default=False, type=bool, help="train on flipped labels")
    poison = Parameter("poison", default=False, type=bool, help="a model that fails on the last validation row")

    @step
    def start(self):
        from review_data import frames

        self.df, self.valdf = frames()
        self.next(self.train)

    @step
    def train(self):
        from review_data import fit

        self.model = fit(self.df, inverted=self.inverted)
        self.val_df = self.valdf
        if self.poison:
            from review_data import Poisoned

            self.model = Poisoned(self.model)
            self.val_df = self.valdf.copy()
            self.val_df.loc[len(self.val_df) - 1, "review"] += " poison"
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    PlainFlow()
