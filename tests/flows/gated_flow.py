"""@gate in code, on a middle step: start -> train (gated) -> check -> end.

``--inverted True`` trains a model with no skill (the gate fails the train step);
``--fail-at check`` fails the step after the gate (the run must not be tagged).
"""

from metaflow import FlowSpec, Parameter, step

from modelgate import gate


class GatedFlow(FlowSpec):
    inverted = Parameter("inverted", default=False, type=bool, help="train on flipped labels")
    fail_at = Parameter("fail-at", default="", help="step name to fail in")

    @step
    def start(self):
        from review_data import frames

        self.df, self.val_df = frames()
        self.next(self.train)

    @gate(config="gate_tiny.toml")
    @step
    def train(self):
        from review_data import fit

        self.model = fit(self.df, inverted=self.inverted)
        self.next(self.check)

    @step
    def check(self):
        if self.fail_at == "check":
            raise RuntimeError("GatedFlow failing in check as asked")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    GatedFlow()
