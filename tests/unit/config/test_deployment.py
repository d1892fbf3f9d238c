"""GateFlow's deployment file: read once at launch into a value that carries the whole gate."""

import base64

import pytest

from modelgate.config.deployment import deployment_gate, read_deployment
from modelgate.errors import GateUsageError

GATE = """
[tool.modelgate]
model_artifact = "model"
data_artifact = "val_df"
tag = "gate_passed"
smoke_cases = "cases/smoke.csv"

[[tool.modelgate.checks]]
metric = "roc_auc"
baseline = "majority"
margin = 0.1
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "smoke.csv").write_text("text,expected\ngreat dress,positive\n")
    (tmp_path / "pyproject.toml").write_text(GATE)
    return tmp_path


def test_the_value_carries_the_gate_and_its_smoke_cases(folder):
    value = read_deployment(
        '[gateflow]\nflow = "NLPFlow"\nproject = "nlp"\ngate = "pyproject.toml"\nshards = 4\n', folder
    )
    assert (value["flow"], value["project"], value["shards"], value["rows_per_shard"]) == ("NLPFlow", "nlp", 4, 0)
    assert value["gate"]["model_artifact"] == "model"
    assert base64.b64decode(value["smoke_file"]["bytes"]).startswith(b"text,expected")
    (folder / "cases" / "smoke.csv").unlink()  # a task anywhere: the files are gone, the value is not
    (folder / "pyproject.toml").unlink()
    config = deployment_gate(value)
    assert config.settings.tag == "gate_passed"
    assert config.smoke_cases.read_text().startswith("text,expected")
    assert [c.metric for c in config.checks] == ["roc_auc"]


def test_the_deployment_tag_replaces_the_gates(folder):
    value = read_deployment('[gateflow]\ngate = "pyproject.toml"\ntag = "nlp_ready"\n', folder)
    assert deployment_gate(value).settings.tag == "nlp_ready"


def test_the_gate_may_live_in_the_deployment_file(folder):
    value = read_deployment(
        '[gateflow]\nflow = "NLPFlow"\n' + GATE.replace('smoke_cases = "cases/smoke.csv"\n', ""), folder
    )
    assert value["project"] == "" and value["smoke_file"] is None
    assert deployment_gate(value).settings.model_artifact == "model"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[gateflow]\nflow = "NLPFlow"\nbogus = 1\n', r"\[gateflow\]: unknown key 'bogus'"),
        ('[gate_flow]\nflow = "NLPFlow"\n', r"unknown table \[gate_flow\]"),
        ('[gateflow]\ngate = "missing.toml"\n', r"\[gateflow\].gate: no file"),
        ('[gateflow]\nflow = "NLPFlow"\n', "has no gate"),
        ('[gateflow]\ngate = "pyproject.toml"\nshards = 2\nrows_per_shard = 10\n', "not both"),
        ('[gateflow]\ngate = "pyproject.toml"\nshards = -2\n', "shards"),
        ('[gateflow]\ngate = "pyproject.toml"\ntag = ""\n', "tag"),
        ("[gateflow\n", "not valid TOML"),
        ('[gateflow]\ngate = "pyproject.toml"\n[tool.modelgate]\ntag = "x"\n', "not both"),  # two gates: which?
    ],
)
def test_a_bad_deployment_file_is_one_line_naming_the_key(folder, text, message):
    with pytest.raises(GateUsageError, match=message):
        read_deployment(text, folder)


def test_a_bad_gate_is_refused_at_launch(folder):
    (folder / "pyproject.toml").write_text(GATE.replace("margin = 0.1", "margin = 'big'"))
    with pytest.raises(GateUsageError, match="margin"):
        read_deployment('[gateflow]\ngate = "pyproject.toml"\n', folder)


def test_a_smoke_case_file_that_is_not_there_is_refused_at_launch(folder):
    (folder / "cases" / "smoke.csv").unlink()
    with pytest.raises(GateUsageError, match="smoke_cases: no file"):
        read_deployment('[gateflow]\ngate = "pyproject.toml"\n', folder)


@pytest.mark.parametrize("value", [None, {}, {"flow": "NLPFlow"}])
def test_no_deployment_value_is_one_line(value):
    with pytest.raises(GateUsageError, match="GateFlow has no deployment config"):
        deployment_gate(value)
