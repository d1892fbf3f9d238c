"""Two gated steps: train (a good model, gate_tiny.toml) and train2 (a model with no skill,
gate_second.toml, on_fail="record"). Both verdicts decide the tag: the run must not get it.

With ``MODELGATE_TEST_FAIL_FLAG`` naming a file that exists, the step check fails (a run to
resume once the file is gone: the resumed run clones the gated steps with their verdicts).
"""

import os

from metaflow import FlowSpec, step

from modelgate import gate


class TwoGatesFlow(FlowSpec):
    @step
    def start(self):
        from review_data import frames

        self.df, self.val_df = frames()
        self.next(self.train)

    @gate(config="gate_tiny.toml")
    @step
    def train(self):
        from review_data import fit

        self.model = fit(self.df)
        self.next(self.train2)

    @gate(config="gate_second.toml", on_fail="record")
    @step
    def train2(self):
        from review_data import fit

        self.second = fit(self.df, inverted=os.environ.get("MODELGATE_TEST_SECOND", "bad") == "bad")
        self.next(self.check)

    @step
    def check(self):
        flag = os.environ.get("MODELGATE_TEST_FAIL_FLAG", "")
        if flag and os.path.exists(flag):
            raise RuntimeError("TwoGatesFlow failing in check as asked")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    TwoGatesFlow()
