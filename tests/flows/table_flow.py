"""One fast flow with a model per task on data that ships inside scikit-learn.

Its end step holds, for each task, a fitted scikit-learn pipeline and its
validation frame (feature columns plus ``target``), and frames with the
mistakes a gate must refuse: a class the model does not know, NaN targets,
NaN features, a column of arrays (embeddings). Tests pick them with
``--gate-model-artifact`` / ``--gate-data-artifact``. ``--extra-column NAME`` gives the
diabetes data one more (noise) column, and fits its model on it too: a
candidate whose champion lacks a column.

The binary task (breast cancer) comes in every label coding a gate must treat
alike: ``cancer_<coding>_df`` holds the validation frame with its labels coded
as ``CODINGS[coding]`` (negative, positive), ``cancer_<coding>_model`` a model
fitted on the training labels coded the same way, and
``cancer_<coding>_swapped_model`` one fitted on them swapped (it ranks
backwards). ``--swap-labels True`` swaps the labels every binary model is
fitted on: a run whose ``cancer_<coding>_model`` ranks backwards.
"""

from metaflow import FlowSpec, Parameter, step

# coding -> (negative, positive) label values of the binary task
CODINGS = {
    "01": (0, 1),
    "12": (1, 2),
    "pm1": (-1, 1),
    "negpos": ("neg", "pos"),
    "bool": (False, True),
    "float": (0.0, 1.0),
}


def coded(frame, coding, swap=False):
    """``frame`` with its 0/1 ``target`` coded as ``CODINGS[coding]`` (swapped: 1 negative, 0 positive)."""
    negative, positive = CODINGS[coding]
    positives = (frame["target"] == 1) != swap
    return frame.assign(target=[positive if p else negative for p in positives])


class TableFlow(FlowSpec):
    extra_column = Parameter("extra-column", default="", help="one more diabetes feature column (noise)")
    swap_labels = Parameter("swap-labels", default=False, type=bool, help="fit the binary models on swapped labels")

    @step
    def start(self):
        import numpy as np
        from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.model_selection import train_test_split
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        def split(loader, extra=""):
            frame = loader(as_frame=True).frame
            if extra:  # before the target, as a feature
                frame.insert(0, extra, np.random.default_rng(0).normal(size=len(frame)))
            return train_test_split(frame, test_size=0.4, random_state=0)

        def fit(model, train):
            return model.fit(train.drop(columns="target"), train["target"])

        train, self.wine_df = split(load_wine)
        self.wine_model = fit(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), train)
        self.wine_unknown_df = self.wine_df.copy()
        self.wine_unknown_df.loc[self.wine_unknown_df.index[:3], "target"] = 7

        train, self.diabetes_df = split(load_diabetes, self.extra_column)
        self.diabetes_model = fit(Ridge(alpha=0.1), train)
        self.diabetes_nan_target_df = self.diabetes_df.copy()
        self.diabetes_nan_target_df.loc[self.diabetes_nan_target_df.index[5], "target"] = np.nan
        self.diabetes_nan_feature_df = self.diabetes_df.copy()
        self.diabetes_nan_feature_df.loc[self.diabetes_nan_feature_df.index[2], "bmi"] = np.nan
        self.diabetes_embedding_df = self.diabetes_df.copy()  # an object column: one array a row
        self.diabetes_embedding_df["embedding"] = [np.full(4, i / 10) for i in range(len(self.diabetes_df))]

        train, self.cancer_df = split(load_breast_cancer)
        self.cancer_model = fit(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), train)
        for name in CODINGS:
            setattr(self, f"cancer_{name}_df", coded(self.cancer_df, name))
            for suffix, swap in (("model", self.swap_labels), ("swapped_model", not self.swap_labels)):
                model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
                setattr(self, f"cancer_{name}_{suffix}", fit(model, coded(train, name, swap)))
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    TableFlow()
