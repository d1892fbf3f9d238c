"""Copy a tutorial-shaped run, with the model's scores inverted (1 - p).

The last Dense layer is sigmoid(w.x + b); negating w and b gives
sigmoid(-(w.x + b)) = 1 - p exactly, so this is the same network made as wrong
as it can be. The end step holds ``model_dict`` and ``val_df`` like NLPFlow's.
"""

from metaflow import FlowSpec, Parameter, step


class InvertedFlow(FlowSpec):
    source = Parameter("source", required=True, help="pathspec of the run to invert")

    @step
    def start(self):
        from metaflow import Run, namespace

        namespace(None)
        source = Run(self.source)
        model_dict = source.data.model_dict
        last = model_dict["model"].layers[-1]
        kernel, bias = last.get_weights()
        last.set_weights([-kernel, -bias])
        self.model_dict = model_dict
        self.val_df = source.data.val_df
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    InvertedFlow()
