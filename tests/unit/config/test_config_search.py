"""Which pyproject.toml is the gate's: found by parsing TOML, from the test paths up to their
project root and never above it, the same rule for every front end, one per session."""

import pytest

from modelgate.config import find_config, load_config
from modelgate.errors import GateUsageError

from helpers import MODEL_INI, error_line, usage_error, user_tags

GATE = '[tool.modelgate]\ntag = "{tag}"\n'


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def project(tmp_path):
    """tmp/proj (a repository root, with a gate config tagging 'outer') and tmp/proj/gate (the suite folder)."""
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    write(root / "pyproject.toml", GATE.format(tag="outer"))
    (root / "gate").mkdir()
    return root


@pytest.mark.parametrize(
    "toml",
    [
        '[ tool.modelgate ]\ntag = "inner"\n',
        '[tool]\nmodelgate = { tag = "inner" }\n',
        'tool.modelgate.tag = "inner"\n',
        '[tool."modelgate"]\ntag = "inner"\n',
        "[tool.'modelgate']\ntag = 'inner'\n",
        '[project]\nname = "x"\n\n[tool.modelgate]\n# a comment\ntag = "inner"\n',
    ],
    ids=["spaces", "inline-table", "dotted-keys", "quoted-key", "literal-quoted-key", "plain"],
)
def test_every_toml_spelling_of_the_table_is_found(project, toml):
    inner = write(project / "gate" / "pyproject.toml", toml)
    assert find_config([project / "gate"], project).path == inner
    assert load_config(inner).settings.tag == "inner"


@pytest.mark.parametrize(
    "toml",
    [
        '[tool.modelgate_old]\ntag = "stale"\n',
        '[tool.black]\nline-length = 100  # like [tool.modelgate], but not\n',
        '[tool.other]\ndescription = "see [tool.modelgate] in the README"\n',
    ],
    ids=["another-table-name", "in-a-comment", "in-a-string"],
)
def test_text_that_merely_looks_like_the_table_is_not_it(project, toml):
    write(project / "gate" / "pyproject.toml", toml)
    # the suite folder's file has no gate table: the real one, a folder up, is the gate's
    assert find_config([project / "gate"], project).path == project / "pyproject.toml"


def test_an_invalid_pyproject_on_the_search_path_is_a_usage_error_naming_it(project):
    bad = write(project / "gate" / "pyproject.toml", '[project\nname = "x"\n')
    with pytest.raises(GateUsageError, match="is not valid TOML") as info:
        find_config([project / "gate"], project)
    assert str(bad) in str(info.value)


# -- the project root: where the search stops ----------------------------------------

PROJECT_ROOTS = {
    ".git folder": lambda folder: (folder / ".git").mkdir(),
    ".git file (a worktree)": lambda folder: write(folder / ".git", "gitdir: /elsewhere/.git/worktrees/x\n"),
    "pytest.ini": lambda folder: write(folder / "pytest.ini", "[pytest]\n"),
    "tox.ini": lambda folder: write(folder / "tox.ini", "[tox]\n"),
    "setup.cfg": lambda folder: write(folder / "setup.cfg", "[metadata]\nname = x\n"),
    "pyproject [project]": lambda folder: write(folder / "pyproject.toml", '[project]\nname = "x"\n'),
    "pyproject [tool.pytest]": lambda folder: write(folder / "pyproject.toml", "[tool.pytest.ini_options]\n"),
}


@pytest.mark.parametrize("marker", PROJECT_ROOTS)
def test_a_gate_config_above_the_project_root_is_never_read(tmp_path, marker):
    # a permissive gate config planted above a checkout (a shared /tmp) is not the checkout's
    write(tmp_path / "pyproject.toml", GATE.format(tag="planted"))
    checkout = tmp_path / "checkout"
    (checkout / "gate").mkdir(parents=True)
    PROJECT_ROOTS[marker](checkout)
    elsewhere = tmp_path / "elsewhere"  # running from a folder outside the checkout changes nothing
    elsewhere.mkdir()
    for here in (checkout, checkout / "gate", elsewhere, tmp_path):
        choice = find_config([checkout / "gate"], here)
        assert choice.path is None, (marker, here)
        assert choice.why.startswith("no [tool.modelgate] between ") and f" {checkout}" in choice.why
    assert find_config([], checkout).path is None  # promote, run from the checkout


def test_a_pyproject_with_only_a_gate_table_is_no_project_root(project):
    # examples/wine/pyproject.toml: the suite's config, inside the project, not a boundary of it
    write(project / "examples" / "wine" / "pyproject.toml", GATE.format(tag="wine"))
    (project / "examples" / "wine" / "gate").mkdir()
    choice = find_config([project / "examples" / "wine" / "gate"], project)
    assert choice.path == project / "examples" / "wine" / "pyproject.toml"
    (project / "examples" / "wine" / "pyproject.toml").write_text('[tool.black]\nline-length = 100\n')
    assert find_config([project / "examples" / "wine" / "gate"], project).path == project / "pyproject.toml"


def test_the_project_root_itself_is_searched(tmp_path, project):
    write(tmp_path / "pyproject.toml", GATE.format(tag="stray"))
    for here in (project, project / "gate", tmp_path):
        assert find_config([project / "gate"], here).path == project / "pyproject.toml"
        assert find_config([project / "gate" / "test_quality.py"], here).path == project / "pyproject.toml"
    assert find_config([], project).path == project / "pyproject.toml"


def test_without_a_project_root_the_search_stops_at_the_folder_it_runs_from(tmp_path):
    # no .git and no project file anywhere above: the invocation folder bounds the search
    write(tmp_path / "pyproject.toml", GATE.format(tag="above-the-invocation-folder"))
    suite = tmp_path / "work" / "gate"
    suite.mkdir(parents=True)
    assert find_config([suite], tmp_path / "work").path is None
    own = write(tmp_path / "work" / "pyproject.toml", GATE.format(tag="own"))
    assert find_config([suite], tmp_path / "work").path == own
    # a test path outside the folder it runs from: its own folder only
    assert find_config([suite], tmp_path / "elsewhere").path is None
    assert find_config([tmp_path / "work"], tmp_path / "elsewhere").path == own


def test_the_choice_says_why(project):
    write(project / "examples" / "wine" / "pyproject.toml", GATE.format(tag="wine"))
    suite = project / "examples" / "wine" / "gate"
    suite.mkdir()
    assert str(find_config([suite], project)) == (
        "examples/wine/pyproject.toml (nearest [tool.modelgate] above the test path examples/wine/gate)"
    )
    (project / "pyproject.toml").unlink()
    (project / "examples" / "wine" / "pyproject.toml").unlink()
    assert str(find_config([suite], project)) == (
        f"none (no [tool.modelgate] between examples/wine/gate and the repository root {project})"
    )


def test_paths_sharing_one_config_get_it(project):
    write(project / "gate" / "test_a.py", "")
    starts = [project / "gate" / "test_a.py", project / "gate", project / "other"]
    assert find_config(starts, project).path == project / "pyproject.toml"


def test_paths_with_different_configs_are_refused(project):
    a = write(project / "gateA" / "pyproject.toml", GATE.format(tag="a"))
    b = write(project / "gateB" / "pyproject.toml", GATE.format(tag="b"))
    with pytest.raises(GateUsageError) as info:
        find_config([a.parent, b.parent], project)
    assert str(info.value) == (
        "test paths gateA and gateB use different gate configs (gateA/pyproject.toml, gateB/pyproject.toml): "
        "run them in separate sessions or pass --gate-config"
    )


def test_a_path_with_a_config_and_one_without_are_refused(tmp_path):
    write(tmp_path / "gateA" / "pyproject.toml", GATE.format(tag="a"))
    (tmp_path / "gateB").mkdir()
    with pytest.raises(GateUsageError, match=r"test paths gateA and gateB use different gate configs "
                                             r"\(gateA/pyproject.toml, no config\)"):
        find_config([tmp_path / "gateA", tmp_path / "gateB"], tmp_path)


# -- a misspelt table is an error, not "no config" --------------------------------------

@pytest.mark.parametrize("name", ["model_gate", "modelgate_", "ModelGate", "model-gate", "modelgat", "modelgates"])
def test_a_misspelt_table_is_a_usage_error_naming_the_file_and_the_table(project, name):
    suite_config = write(project / "gate" / "pyproject.toml", f'[tool.{name}]\ntag = "typo"\n')
    message = f"config file {suite_config}: unknown table [tool.{name}]: did you mean [tool.modelgate]?"
    with pytest.raises(GateUsageError) as info:  # not skipped for the project's config a folder up
        find_config([project / "gate"], project)
    assert str(info.value) == message
    with pytest.raises(GateUsageError) as info:  # Gate.from_config, GateFlow and --gate-config read it so
        load_config(suite_config)
    assert str(info.value) == message


# -- end to end ---------------------------------------------------------------

def test_a_spaced_table_header_is_the_gate_and_its_failing_check_blocks_the_tag(gate_suite, tiny_run):
    gate_suite.write(None, ini=MODEL_INI + "modelgate_tag = spaced_gate\n")
    # valid TOML that a text search for "[tool.modelgate" does not see
    gate_suite.file("pyproject.toml", '[ tool.modelgate ]\nrequire_champion = false\n\n'
                                      '[[ tool.modelgate.checks ]]\nmetric = "roc_auc"\nmargin = 0.99\n')
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


# -- end to end: a planted config, and one suite run from three folders ---------------------------

def _auc(run: str, data_artifact: str) -> float:
    from sklearn.metrics import roc_auc_score

    from modelgate.runs import load_artifact
    from modelgate.scorers import as_scorer

    frame = load_artifact(run, data_artifact)
    return float(roc_auc_score(frame["labels"], as_scorer(load_artifact(run, "model"))(list(frame["review"]))))


def _header(result) -> str:
    return next(line for line in result.outlines if line.startswith("gate config: "))


def test_a_permissive_config_planted_above_a_checkout_is_not_used(gate_suite, run, monkeypatch):
    # The model scores better on its training rows (start/df) than on the validation rows: a
    # floor between the two passes only when a planted config points the gate at the training data.
    train, valid = _auc(run, "start/df"), _auc(run, "val_df")
    assert train > valid + 0.01, (train, valid)
    floor = (train + valid) / 2 - 0.5  # the majority baseline's AUC is 0.5
    planted = gate_suite.file("pyproject.toml", '[tool.modelgate]\ndata_artifact = "start/df"\n')
    checkout = gate_suite.path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    gate_suite.write(None, ini=None, **{"checkout/gate/test_quality": (
        f"def test_auc(gate):\n    gate.beats('roc_auc', margin={floor!r}, confidence=None)\n")})
    (gate_suite.path / "elsewhere").mkdir()
    for cwd, path in [(gate_suite.path, "checkout/gate"), (checkout, "gate"), (checkout / "gate", "."),
                      (gate_suite.path / "elsewhere", str(checkout / "gate"))]:
        monkeypatch.chdir(cwd)
        result = gate_suite.run(run, path, "--model-artifact", "model")
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
    gate_suite.file("checkout/examples/wine/pyproject.toml", """
        [tool.modelgate]
        model_artifact = "model"
        tag = "wine_gate"

        [[tool.modelgate.checks]]
        metric = "roc_auc"
        margin = 0.2
    """)
    gate_suite.write(None, ini=None, **{"checkout/examples/wine/gate/test_rows": (
        "def test_rows(evaluation):\n    assert evaluation.n == 200\n")})
    suite = checkout / "examples" / "wine" / "gate"
    (gate_suite.path / "elsewhere").mkdir()
    for cwd, path, shown in [
        (checkout, "examples/wine/gate", "examples/wine/pyproject.toml (nearest [tool.modelgate] above the test path examples/wine/gate)"),
        (suite, ".", f"{checkout}/examples/wine/pyproject.toml (nearest [tool.modelgate] above the test path {suite})"),
        (gate_suite.path / "elsewhere", str(suite), f"{checkout}/examples/wine/pyproject.toml (nearest [tool.modelgate] above the test path {suite})"),
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
    named = gate_suite.run(run, str(suite), "--gate-config", "../checkout/examples/wine/pyproject.toml", "--gate-dry-run")
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
    from modelgate import promote

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


def test_promote_refuses_a_misspelt_table(tmp_path, monkeypatch, capsys):
    from modelgate import promote

    (tmp_path / ".git").mkdir()
    config = write(tmp_path / "pyproject.toml", '[tool.model-gate]\nchampion_tag = "deployed"\n')
    monkeypatch.chdir(tmp_path)
    assert promote.main(["TinyFlow/1"]) == promote.EXIT_USAGE
    assert capsys.readouterr().err.splitlines() == [
        f"modelgate promote: error: config file {config}: unknown table [tool.model-gate]: did you mean [tool.modelgate]?"
    ]
