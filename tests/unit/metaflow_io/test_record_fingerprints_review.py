"""The data fingerprint of validation rows whose cells pandas cannot hash (embeddings as
arrays, lists): two different validation sets must not share one (the holdout-reuse count
and the records would take them for the same data)."""

import numpy as np
import pandas as pd

from modelgate.metaflow_io.records import data_fingerprint


def _frame(vectors):
    return pd.DataFrame({"vector": vectors, "labels": [0, 1][: len(vectors)]})


def test_embeddings_that_differ_have_different_fingerprints():
    long = np.arange(2000.0)  # numpy prints it as [0. 1. 2. ... 1999.]
    changed = long.copy()
    changed[1000] = -5.0
    assert data_fingerprint(_frame([long, long + 1])) != data_fingerprint(_frame([changed, long + 1]))
    fine, finer = np.array([0.123456789012, 1.0]), np.array([0.123456789013, 1.0])  # printed alike, rounded
    assert data_fingerprint(_frame([fine])) != data_fingerprint(_frame([finer]))
    assert data_fingerprint(_frame([[0.5, fine]])) != data_fingerprint(_frame([[0.5, finer]]))  # inside a list


def test_embeddings_keep_a_fingerprint_that_follows_the_content_not_the_order():
    rows = _frame([np.arange(5.0), np.arange(5.0) + 1])
    same = data_fingerprint(rows)
    assert data_fingerprint(rows.iloc[::-1]) == same
    assert data_fingerprint(rows[["labels", "vector"]]) == same
    assert data_fingerprint(_frame([np.arange(5.0), np.arange(5.0) + 1])) == same  # new arrays, same values
