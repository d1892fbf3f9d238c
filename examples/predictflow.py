"""The tutorial's next step: score new reviews with the deployed model.

    python examples/predictflow.py run

Picks the newest successful NLPFlow run tagged ``deployment_candidate`` (by
finish time: with local metadata, tagging rewrites a run's timestamp, so
Metaflow's own newest-first order is not safe here) and scores reviews with it.
"""

from metaflow import FlowSpec, Parameter, step


class NLPPredictionFlow(FlowSpec):
    reviews = Parameter("reviews", default="", help="Parquet file with a 'review' column (default: three examples).")
    model_tag = Parameter("model-tag", default="deployment_candidate", help="Tag of deployable NLPFlow runs.")

    @step
    def start(self):
        import pandas as pd

        from modelgate import deployed_run

        self.model_run = deployed_run("NLPFlow", self.model_tag)
        if self.model_run is None:
            raise RuntimeError(f"no NLPFlow run carries the tag {self.model_tag!r} yet: train and gate one first")
        print(f"scoring with {self.model_run}")
        if self.reviews:
            self.new_reviews = pd.read_parquet(self.reviews)["review"].tolist()
        else:
            self.new_reviews = [
                "love it, very high quality and great value",
                "poor fit its baggy in places where it isn't supposed to be.",
                "The color is nice but the fabric is cheap and it fell apart.",
            ]
        self.next(self.predict)

    @step
    def predict(self):
        from metaflow import Run, namespace

        from modelgate import as_scorer

        namespace(None)  # the deployed run may be another user's
        scorer = as_scorer(Run(self.model_run).data.model_dict)
        self.predictions = [float(p) for p in scorer(self.new_reviews)]
        for text, p in zip(self.new_reviews, self.predictions):
            print(f"{p:.3f}  {text}")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    NLPPredictionFlow()
