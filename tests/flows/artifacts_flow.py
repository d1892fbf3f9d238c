"""A run that holds given objects as artifacts of its end step.

    python artifacts_flow.py run --artifacts objects.pkl   # a pickled {name: object}

The metamorphic suite stores the models its transformations make (trained on
swapped or shuffled labels, or constant) this way, so that a real pytest gate
session can load them from a real run.
"""

from metaflow import FlowSpec, Parameter, step


class ArtifactsFlow(FlowSpec):
    artifacts = Parameter("artifacts", required=True, help="a pickle file of {artifact name: object}")

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        import pickle
        from pathlib import Path

        for name, value in pickle.loads(Path(self.artifacts).read_bytes()).items():
            setattr(self, name, value)


if __name__ == "__main__":
    ArtifactsFlow()
