"""What a verdict record says about the data and the config: fingerprints that follow the
content, not the row order, the column order or where the config file lies."""

import numpy as np
import pandas as pd

from modelgate.config import load_config
from modelgate.metaflow_io.records import config_fingerprint, data_fingerprint


def frame(seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"review": [f"text {i}" for i in range(50)], "labels": rng.integers(0, 2, 50)})


def test_the_data_fingerprint_follows_the_content_not_the_order():
    data = frame()
    same = data_fingerprint(data)
    assert same.startswith("sha256:") and len(same) == len("sha256:") + 16
    assert data_fingerprint(data.iloc[::-1]) == same  # rows reversed
    assert data_fingerprint(data[["labels", "review"]]) == same  # columns swapped
    assert data_fingerprint(data.reset_index(drop=True).set_axis(range(100, 150))) == same  # another index
    changed = data.copy()
    changed.loc[3, "labels"] = 1 - changed.loc[3, "labels"]
    assert data_fingerprint(changed) != same  # one label
    assert data_fingerprint(data.rename(columns={"labels": "y"})) != same  # a column's name
    assert data_fingerprint(data.iloc[:-1]) != same  # one row fewer
    embeddings = data.assign(vector=[np.full(3, i) for i in range(50)])  # cells pandas cannot hash
    assert data_fingerprint(embeddings) != same


CONFIG = """
[tool.modelgate]
model_artifact = "model"
smoke_cases = "cases.csv"

[[tool.modelgate.checks]]
metric = "roc_auc"
margin = {margin}
"""


def _config(folder, margin=0.1, cases="name,text,expected\ngood,great,1\n"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(CONFIG.format(margin=margin))
    (folder / "cases.csv").write_text(cases)
    return config_fingerprint(load_config(folder / "pyproject.toml", required=True))


def test_the_config_hash_follows_the_gate_not_where_its_file_lies(tmp_path):
    plain, digest = _config(tmp_path / "a")
    assert _config(tmp_path / "elsewhere" / "b")[1] == digest
    assert plain["settings"]["model_artifact"] == "model" and "source" not in plain
    assert plain["smoke_cases"].startswith("sha256:")  # the cases' content, not their path
    assert _config(tmp_path / "c", margin=0.2)[1] != digest
    assert _config(tmp_path / "d", cases="name,text,expected\ngood,great,0\n")[1] != digest


def test_a_record_that_is_not_a_record_is_left_out_of_the_history():
    """Metadata of the record type holding a list, or a dict whose tag is a word, broke the
    whole history (exit 3, as if Metaflow had failed)."""
    import json
    from types import SimpleNamespace

    from modelgate.metaflow_io.records import RECORD_TYPE, records_of

    good = {"id": "a", "time": 1.0, "tag": {"action": "none"}}
    metadata = [
        SimpleNamespace(type=RECORD_TYPE, value=json.dumps([1, 2])),
        SimpleNamespace(type=RECORD_TYPE, value=json.dumps({"tag": "apply now"})),
        SimpleNamespace(type=RECORD_TYPE, value="{not json"),
        SimpleNamespace(type="other", value=json.dumps(good)),
        SimpleNamespace(type=RECORD_TYPE, value=json.dumps(good)),
    ]
    assert records_of(SimpleNamespace(metadata=metadata)) == [good]
