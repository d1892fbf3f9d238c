"""The Metaflow client cache: loading a model unpickles it, so the gate only
reads artifacts through a cache directory that nobody else can write to.

Metaflow's default cache is /tmp/metaflow_client, shared by every user of the
host, and it trusts what it finds there: a pickle planted under the right key
runs its code in whatever process loads that artifact next. These tests never
touch the machine's real /tmp/metaflow_client: the "shared default" is a
temporary folder patched in where Metaflow keeps its default.
"""

import os
import pickle

import pytest

from helpers import usage_error, user_tags

SUITE = """
def test_the_real_model(evaluation):
    from sklearn.metrics import roc_auc_score

    assert evaluation.n == 200
    assert roc_auc_score(evaluation.labels, evaluation.candidate) > 0.7
"""
TAG = "client_cache_test"


@pytest.fixture
def suite(gate_suite):
    """This module's suite (the real model's AUC), written by the shared helper."""
    return gate_suite.write(SUITE)


@pytest.fixture
def metaflow_cache_settings(monkeypatch, tmp_path):
    """Restore, after the test, every place Metaflow reads its cache path from;
    the gate's own default cache goes under a temporary $XDG_CACHE_HOME."""
    from metaflow import metaflow_config
    from metaflow.client import core, filecache

    for module, name in ((metaflow_config, "CLIENT_CACHE_PATH"), (filecache, "CLIENT_CACHE_PATH"), (core, "filecache")):
        monkeypatch.setattr(module, name, getattr(module, name))
    monkeypatch.delenv("METAFLOW_CLIENT_CACHE_PATH", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return metaflow_config, filecache, core


@pytest.mark.parametrize("problem", ["world-writable", "group-writable", "owned by someone else"])
def test_an_unsafe_cache_directory_is_refused(suite, tiny_run, tmp_path, monkeypatch, metaflow_cache_settings, problem):
    cache = tmp_path / "metaflow-cache"
    cache.mkdir(mode=0o700)
    if problem == "world-writable":
        cache.chmod(0o777)
    elif problem == "group-writable":
        cache.chmod(0o770)
    else:
        if os.getuid() != 0:
            pytest.skip("giving a directory to another user needs root")
        os.chown(cache, 65534, 65534)
    monkeypatch.setenv("METAFLOW_CLIENT_CACHE_PATH", str(cache))
    before = user_tags(tiny_run)
    result = suite.run(tiny_run, "--gate-tag", TAG)
    usage_error(result, f"Metaflow client cache {cache} ")
    assert user_tags(tiny_run) == before


def test_a_cache_directory_the_user_chose_is_used_even_after_metaflow_was_imported(
    suite, tiny_run, tmp_path, monkeypatch, metaflow_cache_settings
):
    cache = tmp_path / "my-metaflow-cache"  # not there yet: the gate creates it, private
    monkeypatch.setenv("METAFLOW_CLIENT_CACHE_PATH", str(cache))
    result = suite.run(tiny_run, "--gate-tag", TAG, "--gate-dry-run")
    result.assert_outcomes(passed=1)
    assert (cache.stat().st_mode & 0o777) == 0o700
    assert list(cache.rglob("*.blob")), "the artifacts were not read through the chosen cache"


class _Planted:
    """Unpickling this runs code: it writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('planted pickle ran')",)


def test_a_pickle_planted_in_the_shared_default_cache_never_runs(suite, tiny_run, tmp_path, metaflow_cache_settings):
    metaflow_config, filecache, core = metaflow_cache_settings
    from metaflow import Run

    from modelgate.metaflow_io.runs import global_namespace

    # The shared default location, as another user of the host left it.
    shared = tmp_path / "metaflow_client"
    shared.mkdir()
    shared.chmod(0o777)
    metaflow_config.CLIENT_CACHE_PATH = filecache.CLIENT_CACHE_PATH = str(shared)
    core.filecache = None

    # Plant a pickle under the key of the exact artifact the gate loads.
    with global_namespace():
        artifact = Run(tiny_run)["end"].task["model"]
    location = artifact._object["location"]
    assert location.startswith(":root:")
    flow_cache = filecache.FileCache.flow_ds_id(artifact._object["ds_type"], location[len(":root:") :], "TinyFlow")
    blob = shared / flow_cache / artifact.sha[:2] / f"{artifact.sha}.blob"
    blob.parent.mkdir(parents=True)
    marker = tmp_path / "planted-pickle-ran"
    blob.write_bytes(pickle.dumps(_Planted(marker)))

    # Control: Metaflow's own client, left to its default, runs the planted code.
    with global_namespace():
        assert artifact.data is None
    assert marker.exists(), "the plant is not where Metaflow's cache looks"
    marker.unlink()
    core.filecache = None

    result = suite.run(tiny_run, "--gate-tag", TAG, "--gate-dry-run")
    assert not marker.exists(), "the gate unpickled a file from the shared cache"
    result.assert_outcomes(passed=1)  # the verdict came from the real model
    private = tmp_path / "xdg-cache" / "modelgate" / "metaflow-client"
    assert (private.stat().st_mode & 0o777) == 0o700
    assert list(private.rglob(f"{artifact.sha}.blob"))
