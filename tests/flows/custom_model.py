"""What tests/flows/pickles_flow.py and checkpoint_flow.py share: their rows, and models
whose pickles a gate session cannot load as they are.

The gate's tests import nothing from here: this module sits beside the flows (on a flow
task's ``sys.path``), not on the tests' own, so a pickle naming it is one a gate session
cannot load, as a model class kept in a team's own training code would be.
"""

import copyreg
import pickle


def frames():
    """(train, valid): 600 and 400 rows of one binary problem, feature columns ``x0``..``x4``
    and ``labels``."""
    import pandas as pd
    from sklearn.datasets import make_classification

    features, labels = make_classification(n_samples=1000, n_features=5, n_informative=3, flip_y=0.1, random_state=0)
    frame = pd.DataFrame(features, columns=[f"x{i}" for i in range(5)]).assign(labels=labels)
    return frame.iloc[:600].reset_index(drop=True), frame.iloc[600:].reset_index(drop=True)


def fitted(train):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(train.drop(columns="labels"), train["labels"])


class Wrapped:
    """A model class of the flow's own code: its pickle names this module."""

    def __init__(self, estimator):
        self.estimator = estimator
        self.classes_ = estimator.classes_

    def predict_proba(self, frame):
        return self.estimator.predict_proba(frame)


def _old_state(estimator, version):
    state = estimator.__getstate__()
    state["_sklearn_version"] = version
    return state


class OldSklearn:
    """Pickles as ``estimator`` pickled by scikit-learn ``version`` (its state says so)."""

    def __init__(self, estimator, version):
        self.estimator, self.version = estimator, version

    def __reduce__(self):
        # copyreg's own reconstructor: object.__new__(cls), then cls.__setstate__(state) on load
        return copyreg._reconstructor, (type(self.estimator), object, None), _old_state(self.estimator, self.version)


class OldSklearnGone:
    """Pickles as (``estimator`` of scikit-learn ``version``, a scaler of a scikit-learn module
    that this release does not have): the estimator loads with a version warning, then the
    module is missing, as with a pipeline pickled by an older release that had it."""

    def __init__(self, estimator, version):
        self.estimator, self.version = estimator, version

    def __reduce__(self):
        from sklearn.preprocessing import StandardScaler

        blob = pickle.dumps((OldSklearn(self.estimator, self.version), StandardScaler()))
        moved = blob.replace(b"sklearn.preprocessing._data", b"sklearn.preprocessing._dat0")  # same length
        assert moved != blob
        return pickle.loads, (moved,)
