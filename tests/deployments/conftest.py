"""Fixtures of the deployment tests: the servers (started once per session, for the
deployments the selected tests use), a deployment, and its background TinyFlow runs."""

import os
import tempfile
from pathlib import Path

import pytest
from servers import KINDS, SERVICE_SOURCE

from helpers import PROJECT

# The metadata service runs from ../shared/metaflow-service: without it, the tests
# that need it (marks `service`, `s3`) skip, and the session starts only the others.
SERVICE_AVAILABLE = (SERVICE_SOURCE / "start.sh").exists()


def pytest_collection_modifyitems(items):
    if SERVICE_AVAILABLE:
        return
    skip = pytest.mark.skip(reason=f"no metadata service at {SERVICE_SOURCE} (../shared, or set MODELGATE_SHARED)")
    for item in items:
        if item.get_closest_marker("service") or item.get_closest_marker("s3"):
            item.add_marker(skip)


# The Metaflow deployments of servers.py:
# local; Netflix's metadata service over HTTP; the service plus an S3 datastore
# on moto's server. A test takes `deployment` parametrized indirectly with
# "local", "service" or "s3" (test_deployments.py: marks `service`, `s3`).
# The servers the selected tests need start once per session, on free loopback
# ports, and three TinyFlow runs per deployment start in the background at
# once; `tiny_runs[i]` waits for the i-th. Everything stops at the end of the
# session, on an error or Ctrl-C too (finally, atexit, and a watchdog process).


@pytest.fixture(scope="session")
def deployment_servers(request):
    """(Servers, {kind: Runs}) for every deployment a selected test uses."""
    import json

    from servers import TINY_FLOW, Runs, Servers

    wanted = {item.callspec.params.get("deployment") for item in request.session.items if hasattr(item, "callspec")}
    kinds = tuple(kind for kind in KINDS if kind in wanted and (kind == "local" or SERVICE_AVAILABLE))
    servers = Servers(
        Path(tempfile.mkdtemp(prefix="deployments-", dir=os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"])), kinds
    )
    runs: dict = {}
    try:
        servers.start(lambda ready: runs.setdefault(ready.name, Runs(ready, TINY_FLOW, 3)))
        yield servers, runs
    finally:
        for pending in runs.values():
            pending.cancel()
        servers.stop()
        if servers.timings:
            line = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in servers.timings.items())
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"\ndeployments: {line}")
            (PROJECT / ".test-artifacts").mkdir(exist_ok=True)
            (PROJECT / ".test-artifacts" / "deployment-timings.json").write_text(
                json.dumps({k: round(v, 2) for k, v in servers.timings.items()}, indent=1) + "\n"
            )


@pytest.fixture
def deployment(request, deployment_servers):
    """The Deployment named by the test's indirect parameter ("local", "service", "s3")."""
    servers, _ = deployment_servers
    return servers.deployments[request.param]


@pytest.fixture
def tiny_runs(deployment, deployment_servers):
    """The deployment's three background TinyFlow runs, oldest first (index: waits for that run)."""
    return deployment_servers[1][deployment.name]
