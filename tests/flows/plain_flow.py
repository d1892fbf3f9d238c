"""A flow that knows nothing of modelgate, for `--with modelgate.gate:...`: start -> train -> end.

``train`` makes ``model`` and ``val_df`` (``end`` inherits them); ``start`` has only ``df`` and ``valdf``.
"""

from metaflow import FlowSpec, Parameter, step


class PlainFlow(FlowSpec):
    inverted = Parameter("inverted", default=False, type=bool, help="train on flipped labels")

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
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    PlainFlow()
