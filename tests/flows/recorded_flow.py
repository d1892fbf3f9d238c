"""@gate(on_fail="record") in code, on the end step: a failing verdict is recorded, the run goes on untagged."""

from metaflow import FlowSpec, Parameter, step

from modelgate import gate


class RecordedFlow(FlowSpec):
    inverted = Parameter("inverted", default=False, type=bool, help="train on flipped labels")

    @step
    def start(self):
        from review_data import fit, frames

        self.df, self.val_df = frames()
        self.model = fit(self.df, inverted=self.inverted)
        self.next(self.end)

    @gate(config="gate_tiny.toml", on_fail="record")
    @step
    def end(self):
        pass


if __name__ == "__main__":
    RecordedFlow()
