"""Which pyproject.toml is the gate's: found by parsing TOML, from the test paths up to their
project root and never above it, the same rule for every front end, one per session."""

import pytest

from modelgate.config import find_config, load_config
from modelgate.errors import GateUsageError

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
        "[tool.black]\nline-length = 100  # like [tool.modelgate], but not\n",
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
    (project / "examples" / "wine" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
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
    with pytest.raises(
        GateUsageError,
        match=r"test paths gateA and gateB use different gate configs "
        r"\(gateA/pyproject.toml, no config\)",
    ):
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


# -- end to end: a planted config, and one suite run from three folders ---------------------------


def _auc(run: str, data_artifact: str) -> float:
    from sklearn.metrics import roc_auc_score

    from modelgate.evidence.scorers import as_scorer
    from modelgate.metaflow_io.runs import load_artifact

    frame = load_artifact(run, data_artifact)
    return float(roc_auc_score(frame["labels"], as_scorer(load_artifact(run, "model"))(list(frame["review"]))))


def test_promote_refuses_a_misspelt_table(tmp_path, monkeypatch, capsys):
    from modelgate.metaflow_io import promote

    (tmp_path / ".git").mkdir()
    config = write(tmp_path / "pyproject.toml", '[tool.model-gate]\nchampion_tag = "deployed"\n')
    monkeypatch.chdir(tmp_path)
    assert promote.main(["TinyFlow/1"]) == promote.EXIT_USAGE
    assert capsys.readouterr().err.splitlines() == [
        f"modelgate promote: error: config file {config}: unknown table [tool.model-gate]: did you mean [tool.modelgate]?"
    ]
