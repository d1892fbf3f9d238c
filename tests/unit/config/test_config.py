"""Declarative gates: [tool.modelgate] in pyproject.toml, the same keys on the command line."""

import numpy as np
import pytest

from modelgate.config import GateConfig, load_config, merge, parse_table
from modelgate.errors import GateUsageError

# -- a bad config is a usage error naming the key ------------------------------------

BAD_CONFIGS = [
    ('[tool.modelgate]\ncolour = "red"\n', "[tool.modelgate]: unknown key 'colour'"),
    ("[tool.modelgate]\ntag = 3\n", "[tool.modelgate].tag: expected a non-empty string, got 3"),
    ('[[tool.modelgate.checks]]\nmetric = "aucc"\n', "[tool.modelgate].checks[0]: unknown metric 'aucc'"),
    ("[[tool.modelgate.checks]]\nmargin = 0.1\n", "[tool.modelgate].checks[0]: missing key 'metric'"),
    (
        '[[tool.modelgate.checks]]\nmetric = "roc_auc"\nmargin = "high"\n',
        "[tool.modelgate].checks[0].margin: expected a number, got 'high'",
    ),
    (
        '[[tool.modelgate.checks]]\nmetric = "roc_auc"\nrelative = "yes"\n',
        "[tool.modelgate].checks[0].relative: expected true or false",
    ),
    (
        '[[tool.modelgate.checks]]\nmetric = "roc_auc"\nconfidence = 1.5\n',
        "[tool.modelgate].checks[0]: confidence must be in [0.5, 1)",
    ),
    (
        '[[tool.modelgate.checks]]\nmetric = "roc_auc"\nthreshold = 1\n',
        "[tool.modelgate].checks[0]: unknown key 'threshold'",
    ),
    ('[[tool.modelgate.checks]]\nmetric = "accuracy"\nmethod = "delong"\n', "method 'delong' applies to roc_auc only"),
    (
        '[[tool.modelgate.checks]]\nmetric = "roc_auc"\n[[tool.modelgate.checks]]\nmetric = "roc_auc"\n',
        "two configured checks are named 'roc_auc-vs-majority-margin+0'",
    ),
    ('[tool.modelgate]\nmodel_artifact = "model"\nsmoke_cases = "missing.csv"\n', "missing.csv"),
    (
        '[[tool.modelgate.properties]]\nkind = "sideways"\n',
        "[tool.modelgate].properties[0]: unknown property kind 'sideways'",
    ),
    ('[[tool.modelgate.properties]]\nkind = "invariance"\nperturbations = ["emoji"]\n', "unknown perturbation 'emoji'"),
    ("[[tool.modelgate.properties]]\nn_examples = 5\n", "[tool.modelgate].properties[0]: missing key 'kind'"),
    (
        '[[tool.modelgate.properties]]\nkind = "directional"\nsentences = "one"\n',
        ".sentences: expected an array of non-empty strings",
    ),
    (
        '[tool.modelgate]\nchampion_scope = "galaxy"\n',
        "[tool.modelgate].champion_scope 'galaxy': unknown champion scope; use one of branch, project, flow",
    ),
    (
        '[tool.modelgate]\nchampion_tag = "runtime:dev"\n',
        "[tool.modelgate].champion_tag 'runtime:dev': Metaflow reserves the prefix 'runtime:'",
    ),
    (
        '[tool.modelgate]\nchampion_tag = " deployed"\n',
        "[tool.modelgate].champion_tag ' deployed': a tag must not start or end with whitespace",
    ),
]


@pytest.mark.parametrize(
    "toml, message",
    BAD_CONFIGS,
    ids=[
        "unknown-key",
        "bad-tag",
        "unknown-metric",
        "no-metric",
        "margin-not-number",
        "relative-not-bool",
        "confidence-range",
        "unknown-check-key",
        "method-metric",
        "duplicate-names",
        "missing-smoke-file",
        "property-kind",
        "property-perturbation",
        "property-no-kind",
        "property-sentences",
        "champion-scope",
        "champion-tag-reserved",
        "champion-tag-spaces",
    ],
)
def test_bad_config_is_a_usage_error_naming_the_key(tmp_path, toml, message):
    # What a gate session does with its pyproject.toml before any test runs:
    # read the table, then the smoke cases it names.
    from modelgate.runner import load_smoke_cases

    path = tmp_path / "pyproject.toml"
    path.write_text(toml)
    with pytest.raises(GateUsageError) as info:
        load_smoke_cases(load_config(path))
    assert message in str(info.value)
    assert "\n" not in str(info.value)  # one line after "ERROR: modelgate: "


@pytest.mark.parametrize(
    "check, message",
    [
        (
            {"metric": "accuracy", "margin": 20},
            "check accuracy-vs-majority-margin+20: margin +20 can never be met: accuracy is in [0, 1], "
            "so the difference is at most 1",
        ),
        ({"metric": "roc_auc", "margin": 1.0}, "roc_auc is in [0, 1], so the difference is at most 1"),
        (
            {"metric": "brier", "margin": -1.5},
            "margin -1.5 is always met, whatever the model: brier is in [0, 1], so the difference is never below -1",
        ),
        (
            {"metric": "log_loss", "margin": 1.0, "relative": True},
            "relative margin +1 can never be met: log_loss is in [0, ∞), so the relative improvement is at most 1",
        ),
        (
            {"metric": "macro_f1", "margin": -2.0, "relative": True},
            "is always met, whatever the model: macro_f1 is in [0, 1], so the relative difference is never below -1",
        ),
    ],
)
def test_a_margin_outside_the_metrics_range_is_refused_naming_the_check_and_the_range(check, message):
    with pytest.raises(GateUsageError) as info:
        parse_table({"checks": [check]})
    assert str(info.value).startswith("[tool.modelgate].checks[0]: check ")
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "check",
    [
        {"metric": "accuracy", "margin": -1.0},
        {"metric": "mae", "margin": 50.0},
        {"metric": "f1", "margin": 5.0, "relative": True},
    ],
)
def test_a_margin_the_metric_can_reach_is_accepted(check):
    assert parse_table({"checks": [check]}).checks[0].margin == check["margin"]


def test_bad_check_on_the_command_line():
    # what the plugin does with the --gate-check options
    from modelgate.config import GateConfig, merge

    with pytest.raises(GateUsageError) as info:
        merge(GateConfig(), {}, {"checks": ["metric=roc_auc,margin"]})
    assert str(info.value) == "--gate-check 'metric=roc_auc,margin': 'margin' is not key=value"


def test_config_file_paths_are_relative_to_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "pyproject.toml"
    path.write_text('[tool.modelgate]\nsmoke_cases = "cases.csv"\n')
    assert load_config(path).smoke_cases == tmp_path / "sub" / "cases.csv"


def test_relative_margin_on_a_zero_baseline_is_refused():
    from modelgate import MarginCheck, evaluate

    check = parse_table({"checks": [{"metric": "f1", "relative": True, "margin": 0.1}]}).checks[0]
    # the majority class here is 0: it predicts no positive, so its F1 is 0
    ev = evaluate(lambda texts: [0.9, 0.1, 0.2, 0.8, 0.3], ["a", "b", "c", "d", "e"], [1, 0, 0, 1, 0])
    # One rule: the quantity is undefined, so the check fails with the reason
    # (against any baseline, the champion too) ...
    result = check.evaluate(ev)
    assert result.passed is False
    assert "relative margin needs a positive baseline metric value, got 0" in result.message
    assert check == MarginCheck("f1", relative=True, margin=0.1)
    # ... and against majority, whose value the labels alone give, it is refused up front.
    from modelgate.runner import refuse_relative_margins_on_zero

    with pytest.raises(GateUsageError, match="a relative margin needs a non-zero baseline"):
        refuse_relative_margins_on_zero([check], ev.labels)


def test_parse_table_rejects_non_tables():
    with pytest.raises(GateUsageError, match="checks: expected an array of tables"):
        parse_table({"checks": {"metric": "roc_auc"}})


# -- tag names: one validation for every front end ----------------------------


@pytest.mark.parametrize(
    "tag, message",
    [
        ("", "'': a tag must be a non-empty string"),
        ("   ", "'   ': a tag must be a non-empty string"),
        (" gate", "' gate': a tag must not start or end with whitespace"),
        ("gate\n", "'gate\\n': a tag must not start or end with whitespace"),
        ("user:bob", "'user:bob': Metaflow reserves the prefix 'user:' for system tags"),
        ("production:token", "Metaflow reserves the prefix 'production:'"),
        ("runtime:dev", "Metaflow reserves the prefix 'runtime:'"),
        ("python_version:3.11.9", "Metaflow reserves the prefix 'python_version:'"),
        ("metaflow_version:2.19.0", "Metaflow reserves the prefix 'metaflow_version:'"),
        ("project:nlp", "Metaflow reserves the prefix 'project:'"),
        ("project_branch:prod", "Metaflow reserves the prefix 'project_branch:'"),
        ("date:2024-01-01", "Metaflow reserves the prefix 'date:'"),
        ("origin-run-id", "Metaflow reserves the prefix 'origin-'"),
        ("x" * 501, "a tag may be at most 500 characters, not 501"),
        (3, "3: a tag must be a non-empty string"),
    ],
)
def test_validate_tag_refuses_tags_metaflow_would_refuse_or_owns(tag, message):
    from modelgate.config import validate_tag

    with pytest.raises(GateUsageError) as info:
        validate_tag(tag, "--gate-tag")
    assert str(info.value).startswith("--gate-tag ")
    assert message in str(info.value)


@pytest.mark.parametrize("tag", ["deployment_candidate", "nlp_ready", "stage:prod", "x" * 500, "café"])
def test_validate_tag_returns_a_good_tag(tag):
    from modelgate.config import validate_tag

    assert validate_tag(tag, "--gate-tag") == tag


def test_the_tag_length_limit_is_metaflows():
    from metaflow.tagging_util import MAX_TAG_SIZE

    from modelgate.config import MAX_TAG_LENGTH

    assert MAX_TAG_LENGTH == MAX_TAG_SIZE


def test_a_reserved_tag_in_pyproject_is_refused_naming_the_key():
    with pytest.raises(GateUsageError) as info:
        parse_table({"tag": "user:bob"})
    assert str(info.value) == "[tool.modelgate].tag 'user:bob': Metaflow reserves the prefix 'user:' for system tags"


def test_a_tag_with_surrounding_spaces_in_pyproject_is_refused():
    with pytest.raises(GateUsageError, match=r"\[tool.modelgate\].tag ' gate ': a tag must not start or end"):
        parse_table({"tag": " gate "})


def test_an_explicitly_empty_gate_tag_is_refused_not_the_default():
    from modelgate.config import GateConfig, merge

    with pytest.raises(GateUsageError) as info:
        merge(GateConfig(), {"tag": ""}, {"tag": ""})
    assert str(info.value) == "--gate-tag '': a tag must be a non-empty string"
    with pytest.raises(GateUsageError, match=r"^--gate-tag 'runtime:dev': Metaflow reserves the prefix 'runtime:'"):
        merge(GateConfig(), {}, {"tag": "runtime:dev"})
    with pytest.raises(GateUsageError, match=r"^--gate-model-artifact: expected a non-empty string, got ''"):
        merge(GateConfig(), {}, {"model_artifact": ""})


def test_ini_tags_are_validated_and_an_empty_ini_value_means_unset():
    from modelgate.config import DEFAULT_TAG, GateConfig, merge

    assert merge(GateConfig(), {"tag": ""}, {"tag": None}).settings.tag == DEFAULT_TAG
    assert merge(GateConfig(), {"tag": "ini_gate"}, {"tag": None}).settings.tag == "ini_gate"
    assert merge(GateConfig(), {"tag": "ini_gate"}, {"tag": "cli_gate"}).settings.tag == "cli_gate"
    with pytest.raises(GateUsageError, match=r"^modelgate_tag \(ini\) 'user:bob': Metaflow reserves"):
        merge(GateConfig(), {"tag": "user:bob"}, {})


def test_the_in_flow_gate_refuses_a_reserved_tag():
    from modelgate import Gate

    with pytest.raises(GateUsageError, match=r"^Gate\(tag=\.\.\.\) 'user:bob': Metaflow reserves the prefix 'user:'"):
        Gate(tag="user:bob")
    with pytest.raises(GateUsageError, match="a tag must be a non-empty string"):
        Gate(tag="")
    assert Gate(tag="nlp_ready").tag == "nlp_ready"


def test_a_gate_built_in_code_takes_every_setting_by_its_table_name():
    from modelgate import Gate

    gate = Gate(champion_tag="deployed", champion_scope="flow", data_artifact="start/valdf")
    assert (gate.config.settings.champion_tag, gate.champion_scope, gate.data_artifact) == (
        "deployed",
        "flow",
        "start/valdf",
    )
    with pytest.raises(GateUsageError, match=r"^Gate\(champion_scope=\.\.\.\) 'galaxy': unknown champion scope"):
        Gate(champion_scope="galaxy")
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        Gate(colour="blue")


def test_tag_current_run_refuses_a_bad_tag_before_touching_metaflow(monkeypatch):
    from types import SimpleNamespace

    from modelgate.metaflow_io import tagging

    writes = []
    monkeypatch.setattr(tagging, "apply_tag", lambda pathspec, tag: writes.append((pathspec, tag)))
    current = SimpleNamespace(flow_name="TinyFlow", run_id="1")
    for bad in ("", " nlp_ready", "python_version:3.11"):
        with pytest.raises(GateUsageError, match=r"^tag_current_run\(tag=\.\.\.\) "):
            tagging.tag_current_run(current, bad)
    assert writes == []
    assert tagging.tag_current_run(current, "nlp_ready") == "TinyFlow/1"
    assert writes == [("TinyFlow/1", "nlp_ready")]


# -- config mistakes are usage errors, not verdicts ---------------------------


@pytest.mark.parametrize(
    "prop, message",
    [
        (
            {"kind": "invariance", "tolerance": -0.1},
            "[tool.modelgate].properties[0].tolerance: must be a finite number >= 0, not -0.1",
        ),
        (
            {"kind": "directional", "tolerance": -0.02},
            "[tool.modelgate].properties[0].tolerance: must be a finite number >= 0",
        ),
        ({"kind": "directional", "sentences": []}, "[tool.modelgate].properties[0].sentences: must not be empty"),
        (
            {"kind": "invariance", "perturbations": []},
            "[tool.modelgate].properties[0].perturbations: must not be empty",
        ),
    ],
    ids=["negative-tolerance", "negative-directional-tolerance", "empty-sentences", "empty-perturbations"],
)
def test_property_config_mistakes_are_usage_errors_naming_the_key(prop, message):
    with pytest.raises(GateUsageError) as info:
        parse_table({"properties": [prop]})
    assert str(info.value).startswith(message), str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tolerance": -0.1},
        {"tolerance": float("nan")},
        {"tolerance": float("inf")},
        {"sentences": []},
        {"sentences": ()},
        {"sentences": "It fell apart."},
        {"perturbations": []},
    ],
    ids=["negative", "nan", "inf", "empty-list", "empty-tuple", "a-string", "no-perturbations"],
)
def test_property_check_refuses_settings_that_would_change_the_verdict(kwargs):
    from modelgate.checks.properties import PropertyCheck

    with pytest.raises(ValueError, match=next(iter(kwargs))):
        PropertyCheck("directional" if "sentences" in kwargs else "invariance", **kwargs)


def test_property_defaults_apply_only_when_not_given(monkeypatch):
    from modelgate import behaviour
    from modelgate.checks.properties import PropertyCheck
    from modelgate.evidence.evaluation import Evaluation

    evidence = Evaluation(labels=np.array([1]), candidate=np.array([0.9]), texts=("a",), scorer=lambda texts: [0.9])
    seen = {}
    monkeypatch.setattr(behaviour, "check_directional_rate", lambda *a, **kw: seen.update(directional=kw) or _report())
    monkeypatch.setattr(behaviour, "check_invariance_rate", lambda *a, **kw: seen.update(invariance=kw) or _report())
    PropertyCheck("directional").evaluate(evidence)
    PropertyCheck("invariance").evaluate(evidence)
    assert seen["directional"]["sentences"] is None  # behaviour's default sentences
    assert seen["invariance"]["kinds"] is None  # every perturbation kind
    PropertyCheck("directional", sentences=["Awful."], tolerance=0.0).evaluate(evidence)
    PropertyCheck("invariance", perturbations=["case"]).evaluate(evidence)
    assert seen["directional"]["sentences"] == ("Awful.",)
    assert seen["directional"]["tolerance"] == 0.0
    assert seen["invariance"]["kinds"] == ("case",)


def _report():
    from modelgate.behaviour import RateReport

    return RateReport(property="p", n_examples=1, n_failures=0, max_failure_rate=0.0, counterexample=None)


# -- numbers in TOML are numbers ----------------------------------------------


@pytest.mark.parametrize(
    "table, message",
    [
        (
            {"checks": [{"metric": "roc_auc", "margin": "0.30"}]},
            "[tool.modelgate].checks[0].margin: expected a number, got '0.30'",
        ),
        (
            {"checks": [{"metric": "roc_auc", "confidence": "0.9"}]},
            "[tool.modelgate].checks[0].confidence: expected a number, got '0.9'",
        ),
        (
            {"checks": [{"metric": "accuracy", "n_resamples": "100"}]},
            "[tool.modelgate].checks[0].n_resamples: expected a number, got '100'",
        ),
        (
            {"checks": [{"metric": "accuracy", "seed": "1"}]},
            "[tool.modelgate].checks[0].seed: expected a number, got '1'",
        ),
        (
            {"checks": [{"metric": "roc_auc", "relative": "true"}]},
            "[tool.modelgate].checks[0].relative: expected true or false, got 'true'",
        ),
        (
            {"checks": [{"metric": "roc_auc", "margin": True}]},
            "[tool.modelgate].checks[0].margin: expected a number, got True",
        ),
        ({"require_champion": "false"}, "[tool.modelgate].require_champion: expected true or false, got 'false'"),
        (
            {"properties": [{"kind": "invariance", "n_examples": "50"}]},
            "[tool.modelgate].properties[0].n_examples: expected a number, got '50'",
        ),
        (
            {"properties": [{"kind": "invariance", "max_failure_rate": "0.1"}]},
            "[tool.modelgate].properties[0].max_failure_rate: expected a number, got '0.1'",
        ),
        (
            {"properties": [{"kind": "invariance", "tolerance": "0.1"}]},
            "[tool.modelgate].properties[0].tolerance: expected a number, got '0.1'",
        ),
        (
            {"properties": [{"kind": "invariance", "seed": "3"}]},
            "[tool.modelgate].properties[0].seed: expected a number, got '3'",
        ),
    ],
    ids=[
        "margin",
        "confidence",
        "n_resamples",
        "check-seed",
        "relative",
        "margin-bool",
        "require_champion",
        "n_examples",
        "max_failure_rate",
        "tolerance",
        "property-seed",
    ],
)
def test_toml_numbers_and_booleans_must_be_toml_numbers_and_booleans(table, message):
    with pytest.raises(GateUsageError) as info:
        parse_table(table)
    assert str(info.value) == message


def test_toml_numbers_from_a_file(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[[tool.modelgate.checks]]\nmetric = "roc_auc"\nmargin = "0.30"\n')
    with pytest.raises(GateUsageError, match=r"checks\[0\].margin: expected a number, got '0.30'"):
        load_config(path)
    path.write_text(
        '[tool.modelgate]\nrequire_champion = true\n[[tool.modelgate.checks]]\nmetric = "roc_auc"\n'
        'margin = 0.3\nconfidence = "none"\nn_resamples = 100\nrelative = false\n'
    )
    config = load_config(path)
    assert config.require_champion is True
    assert (config.checks[0].margin, config.checks[0].confidence, config.checks[0].n_resamples) == (0.3, None, 100)


def test_command_line_check_values_are_still_text():
    from modelgate import MarginCheck
    from modelgate.config import parse_check_option

    check = parse_check_option("metric=accuracy,margin=0.30,relative=false,confidence=0.9,n_resamples=100,seed=3", 0)
    assert check == MarginCheck("accuracy", margin=0.3, relative=False, confidence=0.9, n_resamples=100, seed=3)
    with pytest.raises(GateUsageError, match=r"^--gate-check #1.margin: expected a number, got 'high'"):
        parse_check_option("metric=roc_auc,margin=high", 0)


# -- on_inconclusive: read, validated and merged as require_champion is -------------------------------
def test_on_inconclusive_from_the_table_the_command_line_and_the_gate():
    from modelgate import Gate

    assert parse_table({}).on_inconclusive == "fail"  # the default: nothing untrustworthy passes
    from_toml = parse_table({"on_inconclusive": "pass"})
    assert from_toml.on_inconclusive == "pass"
    assert merge(from_toml, {}, {"on_inconclusive": None}).on_inconclusive == "pass"  # not given: the file's
    assert merge(from_toml, {}, {"on_inconclusive": "fail"}).on_inconclusive == "fail"  # the command line wins
    assert merge(GateConfig(), {}, {"on_inconclusive": "pass"}).on_inconclusive == "pass"
    assert Gate(on_inconclusive="pass").config.on_inconclusive == "pass"
    assert Gate().on_inconclusive == "fail"


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: parse_table({"on_inconclusive": "warn"}),
            '[tool.modelgate].on_inconclusive: expected "fail" or "pass", got \'warn\'',
        ),
        (
            lambda: parse_table({"on_inconclusive": False}),
            '[tool.modelgate].on_inconclusive: expected "fail" or "pass", got False',
        ),
        (
            lambda: merge(GateConfig(), {}, {"on_inconclusive": ""}),
            '--gate-on-inconclusive: expected "fail" or "pass", got \'\'',
        ),
        (
            lambda: merge(GateConfig(), {}, {"on_inconclusive": "Pass"}),
            '--gate-on-inconclusive: expected "fail" or "pass", got \'Pass\'',
        ),
        (
            lambda: __import__("modelgate").Gate(on_inconclusive=True),
            'Gate(on_inconclusive=...): expected "fail" or "pass", got True',
        ),
    ],
    ids=["toml-word", "toml-bool", "cli-empty", "cli-case", "gate"],
)
def test_a_bad_on_inconclusive_is_a_usage_error_naming_where(make, message):
    with pytest.raises(GateUsageError) as info:
        make()
    assert str(info.value) == message
