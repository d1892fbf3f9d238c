"""One file, one config, every front end: the pytest session, the in-flow ``Gate``, GateFlow
(its deployment file naming the gate) and ``python -m modelgate promote`` read the same value of every key.

The test walks the fields of GateSettings and GateConfig, so a key added later is covered
(it needs a sample value below, or fails saying so) and no front end can drop it unseen.
"""

import json
from dataclasses import fields, replace

import pytest

from modelgate.config import GateConfig, GateSettings, load_config

# A valid value, not the default, for each setting. A new string setting gets one made up;
# any other needs an entry here.
SAMPLES = {
    "model_artifact": "train/model",
    "data_artifact": "start/valdf",
    "text_column": "text",
    "label_column": "target",
    "tag": "gate_passed",
    "task": "binary",
    "feature_columns": ["age", "income"],
    "champion_scope": "flow",
    "champion_tag": "deployed",
    "positive_class": 2,
    "model_source": "artifact",
}

REST = """
smoke_cases = "cases.csv"
require_champion = true
on_inconclusive = "pass"
power_effect = 0.01
max_holdout_reuse = 7

[[tool.modelgate.checks]]
metric = "roc_auc"
baseline = "champion"
margin = -0.02

[[tool.modelgate.checks]]
metric = "accuracy"
at_least = 0.6

[[tool.modelgate.properties]]
kind = "monotonic"
column = "income"
direction = "increasing"

[[tool.modelgate.slices]]
column = "income"
bins = [0, 50, 100]
"""


def sample(name, kind) -> object:
    if name in SAMPLES:
        return SAMPLES[name]
    if kind == "str":
        return f"sample_{name}"
    pytest.fail(f"setting {name!r} ({kind}) has no sample value: add one to SAMPLES")


@pytest.fixture
def project(tmp_path):
    """A repository whose pyproject.toml sets every key."""
    (tmp_path / ".git").mkdir()
    settings = "\n".join(f"{f.name} = {json.dumps(sample(f.name, f.type))}" for f in fields(GateSettings))
    (tmp_path / "pyproject.toml").write_text(f"[tool.modelgate]\n{settings}\n{REST}")
    (tmp_path / "cases.csv").write_text("name,text,expected\ngood,great love perfect,1\n")
    (tmp_path / "gate").mkdir()
    return tmp_path


def from_pytest(pytester, project) -> GateConfig:
    from modelgate.plugin.options import gate_config

    return gate_config(pytester.parseconfig(str(project / "gate")))[0]


def from_gate(project) -> GateConfig:
    from modelgate import Gate

    return Gate.from_config(project / "pyproject.toml").config


def from_gateflow(project) -> GateConfig:
    """As GateFlow's tasks read it: from the value its Config carries (smoke cases copied in)."""
    from modelgate.config.deployment import deployment_gate, read_deployment

    config = deployment_gate(read_deployment('[gateflow]\ngate = "pyproject.toml"\n', project))
    assert config.smoke_cases.read_bytes() == (project / "cases.csv").read_bytes()
    return replace(config, smoke_cases=project / "cases.csv")


def from_promote(project, monkeypatch) -> GateConfig:
    from modelgate.metaflow_io.promote import _config

    monkeypatch.chdir(project / "gate")
    return _config(None)[0]


def test_every_front_end_reads_every_key_of_the_same_file(pytester, project, monkeypatch):
    expected = load_config(project / "pyproject.toml")
    defaults = GateConfig()
    for f in fields(GateSettings):  # the file sets every setting, so a dropped one shows
        assert getattr(expected.settings, f.name) != getattr(defaults.settings, f.name), f.name
    for f in fields(GateConfig):
        assert getattr(expected, f.name) != getattr(defaults, f.name), f"the sample file leaves {f.name} unset"
    front_ends = {
        "in-flow Gate.from_config": from_gate(project),
        "GateFlow": from_gateflow(project),
        "pytest session": from_pytest(pytester, project),
        "promote": from_promote(project, monkeypatch),
    }
    for name, config in front_ends.items():
        for f in fields(GateSettings):
            assert getattr(config.settings, f.name) == getattr(expected.settings, f.name), (name, f.name)
        for f in fields(GateConfig):
            assert getattr(config, f.name) == getattr(expected, f.name), (name, f.name)
