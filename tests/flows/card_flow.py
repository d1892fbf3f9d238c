"""@card(type="modelgate") beside @gate: start -> train (gated, on_fail="record") -> end, a
modelgate card on every step.

start's card has no verdict to show; train's shows the verdict @gate stored there (its record
is written on end, after train's card is drawn); end's shows the verdict it inherits, its
record and the tag. ``--inverted True`` trains a model with no skill: the verdict fails, the
run goes on (on_fail="record") and is not tagged.
"""

from metaflow import FlowSpec, Parameter, card, step

from modelgate import gate


class CardFlow(FlowSpec):
    inverted = Parameter("inverted", default=False, type=bool, help="train on flipped labels")

    @card(type="modelgate")
    @step
    def start(self):
        from review_data import frames

        self.df, self.val_df = frames()
        self.next(self.train)

    @card(type="modelgate")
    @gate(config="gate_tiny.toml", on_fail="record")
    @step
    def train(self):
        from review_data import fit

        self.model = fit(self.df, inverted=self.inverted)
        self.next(self.end)

    @card(type="modelgate")
    @step
    def end(self):
        pass


if __name__ == "__main__":
    CardFlow()
