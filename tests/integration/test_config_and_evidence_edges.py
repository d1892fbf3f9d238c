"""Hostile review: ways to get a tag without evidence, a config the user did not mean,
or a misspelt setting that is silently ignored."""

import pytest

from helpers import usage_error, user_tags

TAG = "deployment_candidate"


def test_a_conftest_fixture_named_evaluation_is_not_evidence(gate_suite, run):
    # The test looks at a fake, never at the model: nothing was gated.
    gate_suite.conftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def evaluation():
            return {"roc_auc": 0.99}
        """
    ).write("def test_quality(evaluation):\n    assert evaluation['roc_auc'] > 0.9\n")
    result = gate_suite.run(run)
    assert TAG not in user_tags(run)
    assert result.ret == 1, result.outlines
    assert "nothing was gated" in gate_suite.tag_line(result)


def test_a_module_fixture_named_gate_is_not_evidence(gate_suite, run):
    gate_suite.write(
        """
import pytest

@pytest.fixture
def gate():
    class Fake:
        def beats(self, *a, **k):
            return None
    return Fake()

def test_auc_beats_majority(gate):
    gate.beats("roc_auc", margin=0.5)
"""
    )
    result = gate_suite.run(run)
    assert TAG not in user_tags(run)
    assert result.ret == 1, result.outlines


def test_a_fixture_overriding_evaluation_that_uses_the_real_one_is_evidence(gate_suite, run):
    # Overriding a fixture while requesting the original (pytest's own pattern) still looks at the model.
    gate_suite.conftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def evaluation(evaluation):
            return evaluation
        """
    ).write("def test_quality(evaluation):\n    assert evaluation.n > 0\n")
    result = gate_suite.run(run)
    assert result.ret == 0, result.outlines
    assert TAG in user_tags(run)


# -- a config planted in a folder anyone can write to ----------------------------------
@pytest.fixture
def shared_host(tmp_path):
    """tmp/shared (mode 1777, like /tmp) holding a planted pyproject.toml that declares a project
    and a gate evaluating on the training data; tmp/shared/ci/repo/gate: a checkout with no
    .git and no ini (an exported tarball), whose suite is plain Python."""
    shared = tmp_path / "shared"
    (shared / "ci" / "repo" / "gate").mkdir(parents=True)
    shared.chmod(0o1777)
    (shared / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.modelgate]\ndata_artifact = "train_df"\n')
    return shared


def test_a_planted_project_in_a_shared_folder_is_not_the_checkouts_config(shared_host):
    from modelgate.config import find_config

    repo = shared_host / "ci" / "repo"
    choice = find_config([repo / "gate"], repo)
    assert choice.path is None, choice


def test_running_from_the_filesystem_root_never_reads_a_shared_folders_config(shared_host):
    from pathlib import Path

    from modelgate.config import find_config

    (shared_host / "pyproject.toml").write_text('[tool.modelgate]\ndata_artifact = "train_df"\n')
    choice = find_config([shared_host / "ci" / "repo" / "gate"], Path("/"))
    assert choice.path is None, choice


# -- misspelt tables and ini keys ---------------------------------------------------------
STRICT = '\n[[tool.modelgate.checks]]\nmetric = "roc_auc"\nat_least = 0.999\n'


@pytest.mark.parametrize(
    "table", ["[tools.modelgate]", "[modelgate]", "[Tool.modelgate]"], ids=["tools", "top-level", "Tool"]
)
def test_a_gate_table_outside_tool_is_a_usage_error(gate_suite, run, table):
    # Skipped, the strict floor below would never run, and the plain suite would tag the run.
    gate_suite.write()
    gate_suite.file(
        "pyproject.toml", f'{table}\nmodel_artifact = "model"\n' + STRICT.replace("tool.modelgate", table[1:-1])
    )
    result = gate_suite.run(run)
    usage_error(result, "did you mean [tool.modelgate]?")
    assert TAG not in user_tags(run)


def test_a_misspelt_modelgate_ini_key_is_a_usage_error(gate_suite, run):
    # modelgate_tga: pytest only warns, and the gate would manage 'deployment_candidate' instead.
    gate_suite.write(ini="[pytest]\nmodelgate_model_artifact = model\nmodelgate_tga = release_ready\n")
    result = gate_suite.run(run)
    usage_error(result, "modelgate_tga")
    assert TAG not in user_tags(run)


# -- options that run no test --------------------------------------------------------------
@pytest.mark.parametrize("option", ["--fixtures", "--fixtures-per-test", "--markers"])
def test_an_option_that_runs_no_test_is_not_a_green_gate(gate_suite, run, option):
    # pytest returns 0 after showing fixtures or markers, whatever the session decided.
    result = gate_suite.write().run(run, option)
    usage_error(result, f"{option} runs no test")
    assert TAG not in user_tags(run)


@pytest.mark.parametrize(
    "model_run, name", [(True, "modelgate-gate"), (False, "modelgate-ungated")], ids=["gate", "ungated"]
)
def test_blocking_the_gates_own_hooks_is_not_a_green_session(gate_suite, run, model_run, name):
    # -p no:<name> made pytest drop the hooks that decide: 2 passed (or 1 passed, 1 skipped), exit 0, no tag.
    result = gate_suite.write().run(run if model_run else None, "-p", f"no:{name}")
    usage_error(result, f"-p no:{name}")
    assert TAG not in user_tags(run)


def test_a_parameter_named_evaluation_is_not_evidence(gate_suite, run):
    # Direct parametrization hides the gate's fixture behind a value of the suite's own.
    gate_suite.write(
        """
import pytest

class Fake:
    n = 200

@pytest.mark.parametrize("evaluation", [Fake()])
def test_enough_rows(evaluation):
    assert evaluation.n > 0
"""
    )
    result = gate_suite.run(run)
    assert TAG not in user_tags(run)
    assert result.ret == 1, result.outlines
    assert "nothing was gated" in gate_suite.tag_line(result)


def test_promote_from_a_shared_folder_never_reads_its_config(shared_host):
    from modelgate.config import find_config

    (shared_host / "pyproject.toml").write_text('[tool.modelgate]\ntag = "anything"\n')
    choice = find_config([shared_host], shared_host, "current folder")
    assert choice.path is None, choice
    assert "writable by anyone" in str(choice)


def test_a_symlinked_suite_folder_reads_the_config_of_the_repository_it_is_run_in(tmp_path):
    # pytest collects repo/gate (its rootdir is repo); the search must walk up from the same path,
    # not from where the link points (there, no config: the repository's checks were silently dropped).
    from modelgate.config import find_config

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[tool.modelgate]\ntag = "repo"\n')
    shared_suite = tmp_path / "suites" / "gate"
    shared_suite.mkdir(parents=True)
    (repo / "gate").symlink_to(shared_suite, target_is_directory=True)
    assert find_config([repo / "gate"], repo).path == repo / "pyproject.toml"


def test_a_lint_only_setup_cfg_in_a_subpackage_does_not_silently_drop_the_repositorys_gate(tmp_path):
    # ml/setup.cfg holds flake8 settings only, yet makes ml/ a project root: the search stopped
    # there and [tool.modelgate] at the repository root (same git checkout) was dropped without
    # a word, so its checks never ran and a suite of plain evaluation tests could tag the run.
    # Reading it, or refusing with one line naming it, are both fine; silence is not.
    from modelgate.config import find_config
    from modelgate.errors import GateUsageError

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(
        '[tool.modelgate]\n[[tool.modelgate.checks]]\nmetric = "roc_auc"\nat_least = 0.9\n'
    )
    (repo / "ml" / "gate").mkdir(parents=True)
    (repo / "ml" / "setup.cfg").write_text("[flake8]\nmax-line-length = 100\n")
    try:
        choice = find_config([repo / "ml" / "gate"], repo)
    except GateUsageError as exc:
        assert "pyproject.toml" in str(exc)
    else:
        assert choice.path == repo / "pyproject.toml", choice


@pytest.mark.parametrize(
    "source",
    [
        "import pytest\n\n@pytest.mark.usefixtures('evaluation')\ndef test_quality():\n    pass\n",
        "import pytest\n\n@pytest.fixture(autouse=True)\ndef _scored(evaluation):\n    pass\n\ndef test_quality():\n    pass\n",
    ],
    ids=["usefixtures", "autouse"],
)
def test_a_test_not_given_the_evidence_did_not_look_at_it(gate_suite, run, source):
    # The model was loaded and scored, but the test received nothing of it and asserted nothing.
    result = gate_suite.write(source).run(run)
    assert TAG not in user_tags(run)
    assert result.ret == 1, result.outlines
    assert "nothing was gated" in gate_suite.tag_line(result)


# -- the in-flow Gate: bad arguments are one line ------------------------------------------
@pytest.mark.parametrize(
    "keywords, named",
    [
        (dict(smoke_cases="gate/smoke_cases.csv"), "smoke_cases"),  # was 18 one-letter "cases"
        (dict(checks=["roc_auc"]), "checks"),
        (dict(properties=[{"kind": "invariance"}]), "properties"),
    ],
    ids=["smoke-path", "check-name", "property-dict"],
)
def test_gate_refuses_what_is_not_a_list_of_checks_or_cases(keywords, named):
    from modelgate import Gate
    from modelgate.errors import GateUsageError

    with pytest.raises(GateUsageError, match=rf"^Gate\({named}=\.\.\.\): expected a list of"):
        Gate(**keywords)


def test_a_checkout_made_with_umask_0_still_reads_its_own_config(tmp_path):
    # Some CI runners check out with umask 0: every folder 777, no sticky bit. The repository's
    # config must still be found (skipping it would silently drop its checks).
    from modelgate.config import find_config

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "gate").mkdir()
    (repo / "pyproject.toml").write_text('[tool.modelgate]\ntag = "repo"\n')
    for folder in (repo, repo / "gate"):
        folder.chmod(0o777)
    assert find_config([repo / "gate"], repo).path == repo / "pyproject.toml"


@pytest.mark.slow  # xdist workers
def test_a_fake_evaluation_is_no_evidence_under_xdist_loadfile(gate_suite, run):
    # Workers count the evidence; the controller decides: the same rule must hold there.
    gate_suite.conftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def evaluation():
            return {"roc_auc": 0.99}
        """
    ).write("def test_quality(evaluation):\n    assert evaluation['roc_auc'] > 0.9\n\ndef test_plain():\n    pass\n")
    result = gate_suite.run(run, "-n", "2", "--dist", "loadfile")
    assert TAG not in user_tags(run)
    assert result.ret == 1, result.outlines
    assert "nothing was gated" in gate_suite.tag_line(result)
