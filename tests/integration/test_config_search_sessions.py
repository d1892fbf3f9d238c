"""Config search seen from pytest sessions and the promote command: which config a session finds, and what a bad one does."""

import pytest

from helpers import MODEL_INI, error_line, usage_error, user_tags

GATE = '[tool.modelgate]\ntag = "{tag}"\n'


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _auc(run: str, data_artifact: str) -> float:
    from sklearn.metrics import roc_auc_score

    from modelgate.evidence.scorers import as_scorer
    from modelgate.metaflow_io.runs import load_artifact

    frame = load_artifact(run, data_artifact)
    return float(roc_auc_score(frame["labels"], as_scorer(load_artifact(run, "model"))(list(frame["review"]))))


def _header(result) -> str:
    return next(line for line in result.outlines if line.startswith("gate config: "))


def test_a_spaced_table_header_is_the_gate_and_its_failing_check_blocks_the_tag(gate_suite, tiny_run):
    gate_suite.write(None, ini=MODEL_INI + "modelgate_tag = spaced_gate\n")
    # valid TOML that a text search for "[tool.modelgate" does not see
    gate_suite.file(
        "pyproject.toml",
        "[ tool.modelgate ]\nrequire_champion = false\n\n"
        '[[ tool.modelgate.checks ]]\nmetric = "roc_auc"\nmargin = 0.99\n',
    )
    gate_suite.write(None, **{"gate/test_ok": "def test_ok(evaluation):\n    assert evaluation.n == 200\n"})
    result = gate_suite.run(tiny_run, "gate", "-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.outlines
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*modelgate::roc_auc-vs-majority-margin+0.99 FAILED*"])
    assert "spaced_gate" not in user_tags(tiny_run)


def test_two_suites_with_different_configs_in_one_session_is_a_usage_error(gate_suite, tiny_run):
    gate_suite.write(None)
    for name, tag in (("gateA", "gate_a"), ("gateB", "gate_b")):
        gate_suite.file(f"{name}/pyproject.toml", GATE.format(tag=tag))
        gate_suite.write(None, **{f"{name}/test_{tag}": "def test_ok(evaluation):\n    assert evaluation.n == 200\n"})
    result = gate_suite.run(tiny_run, "gateA", "gateB")
    usage_error(
        result,
        "test paths gateA and gateB use different gate configs "
        "(gateA/pyproject.toml, gateB/pyproject.toml): run them in separate sessions or pass --gate-config",
    )
    assert error_line(result) == (
        "ERROR: modelgate: test paths gateA and gateB use different gate configs "
        "(gateA/pyproject.toml, gateB/pyproject.toml): run them in separate sessions or pass --gate-config"
    )
    assert not {"gate_a", "gate_b", "deployment_candidate"} & user_tags(tiny_run)


def test_a_permissive_config_planted_above_a_checkout_is_not_used(gate_suite, run, monkeypatch):
    # The model scores better on its training rows (start/df) than on the validation rows: a
    # floor between the two passes only when a planted config points the gate at the training data.
    train, valid = _auc(run, "start/df"), _auc(run, "val_df")
    assert train > valid + 0.01, (train, valid)
    floor = (train + valid) / 2 - 0.5  # the majority baseline's AUC is 0.5
    planted = gate_suite.file("pyproject.toml", '[tool.modelgate]\ndata_artifact = "start/df"\n')
    checkout = gate_suite.path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    gate_suite.write(
        None,
        ini=None,
        **{
            "checkout/gate/test_quality": (
                f"def test_auc(gate):\n    gate.beats('roc_auc', margin={floor!r}, confidence=None)\n"
            )
        },
    )
    (gate_suite.path / "elsewhere").mkdir()
    for cwd, path in [
        (gate_suite.path, "checkout/gate"),
        (checkout, "gate"),
        (checkout / "gate", "."),
        (gate_suite.path / "elsewhere", str(checkout / "gate")),
    ]:
        monkeypatch.chdir(cwd)
        result = gate_suite.run(run, path, "--gate-model-artifact", "model")
        assert f"rootdir: {gate_suite.path}" in result.outlines  # pytest fell back to the planted file
        assert "deployment_candidate" not in user_tags(run), (cwd, result.outlines)
        result.assert_outcomes(failed=1)  # judged on the validation rows, as the checkout says
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        start = checkout / "gate" if path == "." else path
        assert _header(result) == (
            f"gate config: none (no [tool.modelgate] between {start} and the repository root {checkout})"
        ), (cwd, result.outlines)
        assert str(planted) not in "\n".join(result.outlines)


def test_one_suite_finds_the_same_config_from_the_repository_root_the_suite_folder_and_elsewhere(
    gate_suite, run, monkeypatch
):
    gate_suite.file("pyproject.toml", '[tool.modelgate]\ntag = "planted_tag"\n')  # above the checkout
    checkout = gate_suite.path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    gate_suite.file("checkout/pyproject.toml", '[project]\nname = "checkout"\n')
    gate_suite.file(
        "checkout/examples/wine/pyproject.toml",
        """
        [tool.modelgate]
        model_artifact = "model"
        tag = "wine_gate"

        [[tool.modelgate.checks]]
        metric = "roc_auc"
        margin = 0.2
    """,
    )
    gate_suite.write(
        None,
        ini=None,
        **{"checkout/examples/wine/gate/test_rows": ("def test_rows(evaluation):\n    assert evaluation.n == 200\n")},
    )
    suite = checkout / "examples" / "wine" / "gate"
    (gate_suite.path / "elsewhere").mkdir()
    for cwd, path, shown in [
        (
            checkout,
            "examples/wine/gate",
            "examples/wine/pyproject.toml (nearest [tool.modelgate] above the test path examples/wine/gate)",
        ),
        (suite, ".", f"{checkout}/examples/wine/pyproject.toml (nearest [tool.modelgate] above the test path {suite})"),
        (
            gate_suite.path / "elsewhere",
            str(suite),
            f"{checkout}/examples/wine/pyproject.toml (nearest [tool.modelgate] above the test path {suite})",
        ),
    ]:
        monkeypatch.chdir(cwd)
        result = gate_suite.run(run, path, "-v")
        assert _header(result) == f"gate config: {shown}", (cwd, result.outlines)
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["*modelgate::roc_auc-vs-majority-margin+0.2 PASSED*"])
        assert user_tags(run) == {"wine_gate"}, cwd  # the suite's tag, never the planted one
    monkeypatch.chdir(gate_suite.path / "elsewhere")
    named = gate_suite.run(run, str(suite), "--gate-config", f"{checkout}/pyproject.toml", "--gate-dry-run")
    usage_error(named, f"config file {checkout}/pyproject.toml has no [tool.modelgate] table")
    named = gate_suite.run(
        run, str(suite), "--gate-config", "../checkout/examples/wine/pyproject.toml", "--gate-dry-run"
    )
    assert _header(named) == "gate config: ../checkout/examples/wine/pyproject.toml (--gate-config)"


def test_a_misspelt_table_stops_the_session_naming_the_file(gate_suite, run):
    gate_suite.write(None)
    config = gate_suite.file("pyproject.toml", '[tool.model_gate]\nmodel_artifact = "model"\n')
    result = gate_suite.run(run)
    usage_error(result, f"config file {config}: unknown table [tool.model_gate]: did you mean [tool.modelgate]?")
    assert user_tags(run) == frozenset()


def test_an_error_at_session_start_names_the_config_and_why(gate_suite, run):
    gate_suite.write(None, ini="[pytest]\n")
    gate_suite.file("gate/pyproject.toml", '[tool.modelgate]\nmodel_artifact = "no_such_artifact"\n')
    result = gate_suite.run(run, "gate")
    usage_error(result, "no artifact 'no_such_artifact'")
    assert error_line(result).endswith(
        "; gate config: gate/pyproject.toml (nearest [tool.modelgate] above the test path gate)"
    ), error_line(result)


def test_promote_ignores_a_config_planted_above_the_checkout(tmp_path, run, monkeypatch, capsys):
    from modelgate.metaflow_io import promote

    # planted: it would move 'deployed' from every run of the flow, whoever's
    write(tmp_path / "pyproject.toml", '[tool.modelgate]\nchampion_tag = "deployed"\nchampion_scope = "flow"\n')
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    monkeypatch.chdir(checkout)
    assert promote.main([run, "--force"]) == promote.EXIT_USAGE
    assert capsys.readouterr().err.splitlines() == [
        "modelgate promote: error: name the tag to move: --tag deployed, or champion_tag in [tool.modelgate]; "
        f"gate config: none (no [tool.modelgate] between {checkout} and the repository root {checkout})"
    ]
    assert user_tags(run) == frozenset()
    # the checkout's own config, found from a folder inside it
    write(checkout / "pyproject.toml", '[tool.modelgate]\nchampion_tag = "deployed_here"\n')
    (checkout / "deploy").mkdir()
    monkeypatch.chdir(checkout / "deploy")
    assert promote.main([run, "--force"]) == promote.EXIT_OK, capsys.readouterr().err
    assert user_tags(run) == {"deployed_here"}
