"""Which pyproject.toml is the gate's: found by parsing TOML, never above the rootdir, one per session."""

import pytest

from modelgate.config import find_config, load_config
from modelgate.errors import GateUsageError

from conftest import MODEL_INI, error_line, usage_error, user_tags

GATE = '[tool.modelgate]\ntag = "{tag}"\n'


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def project(tmp_path):
    """tmp/proj (the rootdir, with a gate config tagging 'outer') and tmp/proj/gate (the suite folder)."""
    root = tmp_path / "proj"
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
    assert find_config([project / "gate"], project) == inner
    assert load_config(inner).settings.tag == "inner"


@pytest.mark.parametrize(
    "toml",
    [
        '[tool.modelgate_old]\ntag = "stale"\n',
        '[tool.black]\nline-length = 100  # like [tool.modelgate], but not\n',
        '[project]\ndescription = "see [tool.modelgate] in the README"\n',
    ],
    ids=["similar-table-name", "in-a-comment", "in-a-string"],
)
def test_text_that_merely_looks_like_the_table_is_not_it(project, toml):
    write(project / "gate" / "pyproject.toml", toml)
    # the suite folder's file has no gate table: the real one, a folder up, is the gate's
    assert find_config([project / "gate"], project) == project / "pyproject.toml"


def test_an_invalid_pyproject_on_the_search_path_is_a_usage_error_naming_it(project):
    bad = write(project / "gate" / "pyproject.toml", '[project\nname = "x"\n')
    with pytest.raises(GateUsageError, match="is not valid TOML") as info:
        find_config([project / "gate"], project)
    assert str(bad) in str(info.value)


def test_the_search_stops_at_the_rootdir(tmp_path, project):
    # a stray gate config above the rootdir (a shared /tmp) is never used
    write(tmp_path / "pyproject.toml", GATE.format(tag="stray"))
    (project / "pyproject.toml").unlink()
    assert find_config([project / "gate"], project) is None
    assert find_config([project / "gate" / "test_quality.py"], project) is None
    assert find_config([], project) is None


def test_the_rootdir_itself_is_searched(tmp_path, project):
    write(tmp_path / "pyproject.toml", GATE.format(tag="stray"))
    assert find_config([project / "gate"], project) == project / "pyproject.toml"
    assert find_config([project / "gate" / "test_quality.py"], project) == project / "pyproject.toml"
    assert find_config([], project) == project / "pyproject.toml"


def test_a_start_outside_the_rootdir_looks_in_its_own_folder_only(tmp_path, project):
    elsewhere = tmp_path / "elsewhere" / "gate"
    elsewhere.mkdir(parents=True)
    write(tmp_path / "elsewhere" / "pyproject.toml", GATE.format(tag="above-the-start"))
    assert find_config([elsewhere], project) is None
    own = write(elsewhere / "pyproject.toml", GATE.format(tag="own"))
    assert find_config([elsewhere], project) == own


def test_paths_sharing_one_config_get_it(project):
    write(project / "gate" / "test_a.py", "")
    starts = [project / "gate" / "test_a.py", project / "gate", project / "other"]
    assert find_config(starts, project) == project / "pyproject.toml"


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
