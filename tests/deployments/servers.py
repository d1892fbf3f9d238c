"""Metaflow deployments for the tests: real servers, no mocks.

Three deployments of Metaflow, each with its own metadata and datastore:

- ``local``: local metadata and datastore, in a folder of its own;
- ``service``: Netflix's metadata service over HTTP (``../shared/metaflow-service``,
  its own Postgres), artifacts in a local datastore;
- ``s3``: a second metadata service (so its runs are its own) plus an S3
  datastore on moto's server, on loopback.

Metaflow reads its configuration when it is imported, and the test process
imported it with the local configuration (tests/conftest.py), so everything
that touches a deployment runs in a subprocess with the deployment's
environment: :class:`Deployment` runs flows, gate sessions and small Metaflow
client scripts that way.

Servers bind free loopback ports (no fixed port) and are stopped by
:meth:`Servers.stop`, called from the session fixture's ``finally``, from
``atexit``, and, should the test process die without either (SIGKILL), by a
watchdog process that stops them when the test process's pipe to it closes.

``python tests/deployments/servers.py prepare`` builds the metadata service's venv
once (CI runs it before the tests; the tests build it on first use otherwise);
``python tests/deployments/servers.py up`` starts every server, prints the
environments, and stops them on Enter (for trying things by hand).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
FLOWS = PROJECT / "tests" / "flows"
TINY_FLOW = FLOWS / "tiny_flow.py"
# ../shared beside the project, or where MODELGATE_SHARED points.
SERVICE_SOURCE = Path(os.environ.get("MODELGATE_SHARED") or PROJECT.parent / "shared") / "metaflow-service"
# The service's venv (aiohttp, aiopg, psycopg2-binary, boto3), built once by its
# start.sh and reused by every session through a symlink: inside .venv, so a
# fresh project venv gets a fresh one, and git ignores it.
SERVICE_CACHE = PROJECT / ".venv" / "metaflow-service"
BUCKET = "modelgate-tests"

KINDS = ("local", "service", "s3")
SERVER_TIMEOUT = 180  # seconds: the first start builds the service's venv from PyPI
RUN_TIMEOUT = 300

# -- the environment of a deployment -------------------------------------------------

# What a child process must not inherit from the test process: its Metaflow
# configuration, pytest's per-process variables (an xdist worker's name would
# make the gate think it is a worker), and any real AWS configuration.
_DROPPED_PREFIXES = ("METAFLOW_", "AWS_")
_DROPPED = {
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "PYTEST_CURRENT_TEST",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "PYTEST_VERSION",
}


def base_env(folder: Path) -> dict[str, str]:
    """The test process's environment without Metaflow, AWS or pytest settings, plus a
    private Metaflow home, client cache and local datastore root under ``folder``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED}
    env.update(
        METAFLOW_HOME=str(folder / "home"),
        METAFLOW_USER=os.environ.get("METAFLOW_USER", "modelgate-tests"),  # root has no user name Metaflow accepts
        METAFLOW_CLIENT_CACHE_PATH=str(folder / "client-cache"),
        METAFLOW_DATASTORE_SYSROOT_LOCAL=str(folder),
        METAFLOW_DEFAULT_METADATA="local",
        METAFLOW_DEFAULT_DATASTORE="local",
        METAFLOW_DISABLE_TRACING="1",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    return env


def s3_env(endpoint: str, prefix: str) -> dict[str, str]:
    return {
        "METAFLOW_DEFAULT_DATASTORE": "s3",
        "METAFLOW_DATASTORE_SYSROOT_S3": f"s3://{BUCKET}/{prefix}",
        "METAFLOW_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        # no real ~/.aws configuration or credentials
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


# -- one deployment ------------------------------------------------------------------

_CLIENT_SCRIPT = """
import json, sys
from metaflow import Run, namespace

namespace(None)
command, pathspec, *tags = sys.argv[1:]
if command == "add":
    Run(pathspec).add_tags(tags)
print(json.dumps(sorted(Run(pathspec).user_tags)))  # a new Run: read again
"""


@dataclass
class Deployment:
    """One Metaflow deployment, used from subprocesses with its environment ``env``.

    ``run_flow(path, **params)`` runs a flow to the end and returns its pathspec;
    ``gate(suite_dir, *args)`` runs ``pytest suite_dir -p no:cacheprovider *args``;
    ``tags(pathspec)`` reads a run's user tags with the Metaflow client.
    """

    name: str
    env: dict[str, str]
    workdir: Path  # flows run here: the local datastore root (cards find .metaflow from here)
    live_dir: Path | None = None  # a file per running process group, for the watchdog

    _live: set[subprocess.Popen[str]] = field(default_factory=set, repr=False)

    def _python(self, args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
        """``python *args`` with this deployment's environment, in its own process group
        (:meth:`kill` ends it and the step processes it started)."""
        process = subprocess.Popen(
            [sys.executable, *args],
            env=self.env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self._live.add(process)
        marker = self.live_dir / str(process.pid) if self.live_dir else None
        if marker:
            marker.touch()
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:  # a timeout, Ctrl-C: leave nothing running
            _kill_group(process)
            raise
        finally:
            self._live.discard(process)
            if marker:
                marker.unlink(missing_ok=True)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def python(self, code: str, *args: str) -> subprocess.CompletedProcess[str]:
        """``python -c code *args`` with this deployment's environment."""
        return self._python(["-c", code, *args], self.workdir, RUN_TIMEOUT)

    def with_env(self, **overrides: str) -> Deployment:
        """The same deployment seen through other settings (e.g. a proxy's METAFLOW_SERVICE_URL)."""
        import dataclasses

        return dataclasses.replace(self, env={**self.env, **overrides})

    def kill(self) -> None:
        """End every flow, gate or client process of this deployment still running."""
        for process in list(self._live):
            _kill_group(process)

    def run_flow(self, path: Path, **params: object) -> str:
        """Run the flow to the end; its pathspec. ``train_noise=0.45`` -> ``--train-noise 0.45``."""
        id_file = Path(tempfile.mkstemp(prefix="run-id-", dir=self.workdir)[1])
        args = [str(path), "run", "--run-id-file", str(id_file)]
        for key, value in params.items():
            args += [f"--{key.replace('_', '-')}", str(value)]
        done = self._python(args, self.workdir, RUN_TIMEOUT)
        run_id = id_file.read_text().strip()
        id_file.unlink()
        if done.returncode != 0 or not run_id:
            raise RuntimeError(
                f"{path.name} failed on {self.name} (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return f"{flow_name(path)}/{run_id}"

    def gate(self, suite_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """A gate session: ``pytest suite_dir -p no:cacheprovider *args`` in the suite's folder."""
        return self._python(["-m", "pytest", str(suite_dir), "-p", "no:cacheprovider", *args], suite_dir, RUN_TIMEOUT)

    def client(self, command: str, pathspec: str, *tags: str) -> frozenset[str]:
        done = self._python(["-c", _CLIENT_SCRIPT, command, pathspec, *tags], self.workdir, 120)
        if done.returncode != 0:
            raise RuntimeError(f"Metaflow client on {self.name}: {command} {pathspec} failed:\n{done.stderr}")
        return frozenset(json.loads(done.stdout.strip().splitlines()[-1]))

    def tags(self, pathspec: str) -> frozenset[str]:
        """The run's user tags, as the Metaflow client reads them now."""
        return self.client("tags", pathspec)

    def add_tags(self, pathspec: str, *tags: str) -> frozenset[str]:
        """Add user tags with the Metaflow client; the run's user tags afterwards."""
        return self.client("add", pathspec, *tags)


def _kill_group(process: subprocess.Popen[str]) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.communicate(timeout=10)


def flow_name(path: Path) -> str:
    """The FlowSpec class a flow file defines (``tiny_flow.py`` -> ``TinyFlow``)."""
    import re

    match = re.search(r"^class (\w+)\(FlowSpec\)", path.read_text(), re.MULTILINE)
    assert match, f"no FlowSpec class in {path}"
    return match.group(1)


def write_suite(folder: Path, source: str, ini: str = "[pytest]\nmodelgate_model_artifact = model\n") -> Path:
    """A gate suite in ``folder``: ``test_gate.py`` from ``source`` beside a ``pytest.ini``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pytest.ini").write_text(ini)
    (folder / "test_gate.py").write_text(source)
    return folder


def explain(result: subprocess.CompletedProcess[str]) -> str:
    """A finished process for an assertion message: its exit code and output."""
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def header(result: subprocess.CompletedProcess[str], label: str) -> str:
    """The gate session header's ``label: ...`` line."""
    lines = [line for line in result.stdout.splitlines() if line.startswith(f"{label}: ")]
    assert lines, explain(result)
    return lines[0]


def tag_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The session's ``modelgate: `` lines (the one about the tag, and any warning)."""
    return [line for line in result.stdout.splitlines() if line.startswith("modelgate: ")]


# -- servers -------------------------------------------------------------------------


def _run_checked(args: list[str], what: str, timeout: float) -> str:
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, start_new_session=True
    )  # Ctrl-C stops the session, not the servers
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def _file_lock(path: Path):
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_service_venv() -> float:
    """Build the metadata service's venv once, with its own start.sh (a throwaway
    Postgres and service are started and removed); seconds it took (0: it was there)."""
    ready = SERVICE_CACHE / "venv" / ".modelgate-ready"
    with _file_lock(SERVICE_CACHE.parent / "metaflow-service.lock"):
        if ready.exists():
            return 0.0
        start = time.monotonic()
        shutil.rmtree(SERVICE_CACHE, ignore_errors=True)
        try:
            _run_checked(
                [str(SERVICE_SOURCE / "start.sh"), str(SERVICE_CACHE)],
                "metaflow-service start.sh (building its venv)",
                SERVER_TIMEOUT * 3,
            )
        finally:
            _stop_service_keeping_venv(SERVICE_CACHE)
        ready.touch()
        return time.monotonic() - start


def _stop_service_keeping_venv(state: Path) -> None:
    subprocess.run(
        [str(SERVICE_SOURCE / "stop.sh"), str(state)],
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    pgdir = state / "pgdir"
    if pgdir.exists():
        shutil.rmtree(pgdir.read_text().strip(), ignore_errors=True)
        pgdir.unlink()


class MetadataService:
    """Netflix's metadata service and its own Postgres, both on free loopback ports."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.url: str | None = None
        self.seconds = 0.0

    def start(self) -> str:
        begin = time.monotonic()
        self.state.mkdir(parents=True)
        (self.state / "venv").symlink_to(SERVICE_CACHE / "venv")  # start.sh makes none when there is one
        out = _run_checked(
            [str(SERVICE_SOURCE / "start.sh"), str(self.state)], "metaflow-service start.sh", SERVER_TIMEOUT
        )
        exports = dict(
            word.split("=", 1) for line in out.splitlines() if line.startswith("export ") for word in line.split()[1:]
        )
        self.url = exports["METAFLOW_SERVICE_URL"]
        with urllib.request.urlopen(f"{self.url}/ping", timeout=10) as answer:
            assert answer.status == 200
        self.seconds = time.monotonic() - begin
        return self.url

    def stop_command(self) -> list[str]:
        return [str(SERVICE_SOURCE / "stop.sh"), str(self.state), "--remove"]

    def stop(self) -> None:
        if self.state.exists():
            subprocess.run(
                self.stop_command(), capture_output=True, timeout=120, stdin=subprocess.DEVNULL, start_new_session=True
            )


_MOTO_LAUNCHER = """
import sys
import boto3
from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # port 0: a free one
server.start()
endpoint = "http://127.0.0.1:%d" % server.get_host_and_port()[1]
boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=sys.argv[1])  # also loads moto's S3 backend
print(endpoint, flush=True)
sys.stdin.read()  # until the test process closes the pipe, or dies
server.stop()
"""


class MotoS3:
    """moto's S3 server on a free loopback port, with the bucket made; it lives
    as long as the pipe from the test process to it is open."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen[str] | None = None
        self.endpoint: str | None = None
        self.seconds = 0.0

    def start(self) -> str:
        begin = time.monotonic()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            **{k: v for k, v in s3_env("", "").items() if k.startswith("AWS_")},
        }
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _MOTO_LAUNCHER, BUCKET],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=env,
                start_new_session=True,
            )
        line = _readline(self.process, SERVER_TIMEOUT)
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"moto's server did not start:\n{self.log.read_text(errors='replace')}")
        self.endpoint = line.strip()
        self.seconds = time.monotonic() - begin
        return self.endpoint

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            process.stdin.close()  # type: ignore[union-attr]
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def _readline(process: subprocess.Popen[str], timeout: float) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return line[0] if line else ""


_WATCHDOG = """
import json, os, signal, subprocess, sys
sys.stdin.read()  # EOF: the test process ended, one way or another
for name in os.listdir(sys.argv[1]):  # flows and gates still running: their process groups
    try:
        os.killpg(int(name), signal.SIGKILL)
    except (ProcessLookupError, PermissionError, ValueError):
        pass
for command in json.loads(sys.argv[2]):  # the servers
    subprocess.run(command, capture_output=True, timeout=120)
"""


@dataclass
class Servers:
    """Every server a session needs, and the deployments on them."""

    root: Path
    kinds: tuple[str, ...]
    deployments: dict[str, Deployment] = field(default_factory=dict)
    services: dict[str, MetadataService] = field(default_factory=dict)
    moto: MotoS3 | None = None
    timings: dict[str, float] = field(default_factory=dict)
    _watchdog: subprocess.Popen[bytes] | None = None
    _stopped: bool = False

    def start(self, on_ready: Callable[[Deployment], object] = lambda deployment: None) -> Servers:
        """Start the servers; ``on_ready(deployment)`` as each deployment becomes usable
        (the local one first, before any server starts)."""
        atexit.register(self.stop)
        try:
            self._start(on_ready)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def live_dir(self) -> Path:
        return self.root / "live-process-groups"

    def _start(self, on_ready: Callable[[Deployment], object]) -> None:
        self.live_dir.mkdir(parents=True)
        for kind in self.kinds:
            if kind in ("service", "s3"):  # one service per deployment: each its own runs, ids from 1
                self.services[kind] = MetadataService(self.root / f"{kind}-service-state")
        self._start_watchdog()  # before any process it may have to stop
        if "local" in self.kinds:
            folder = self.root / "local"
            folder.mkdir(parents=True)
            self.deployments["local"] = Deployment("local", base_env(folder), folder, self.live_dir)
            on_ready(self.deployments["local"])
        with_service = [k for k in self.kinds if k in ("service", "s3")]
        if not with_service:
            return
        begin = time.monotonic()
        built = prepare_service_venv()
        if built:
            self.timings["service venv (first use)"] = built
        if "s3" in with_service:
            self.moto = MotoS3(self.root / "moto.log")
        with ThreadPoolExecutor(len(with_service) + 1) as pool:  # the servers start side by side
            started = [pool.submit(service.start) for service in self.services.values()]
            if self.moto:
                started.append(pool.submit(self.moto.start))
            for future in started:
                future.result()
        for kind, service in self.services.items():
            self.timings[f"{kind}: metadata service + Postgres"] = service.seconds
            folder = self.root / kind
            folder.mkdir(parents=True)
            env = base_env(folder)
            env.update(METAFLOW_DEFAULT_METADATA="service", METAFLOW_SERVICE_URL=str(service.url))
            if kind == "s3":
                assert self.moto and self.moto.endpoint
                env.update(s3_env(self.moto.endpoint, f"metaflow-{os.getpid()}"))
            self.deployments[kind] = Deployment(kind, env, folder, self.live_dir)
            on_ready(self.deployments[kind])
        if self.moto:
            self.timings["s3: moto server + bucket"] = self.moto.seconds
        self.timings["servers up (wall)"] = time.monotonic() - begin

    def _start_watchdog(self) -> None:
        commands = [service.stop_command() for service in self.services.values()]
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(self.live_dir), json.dumps(commands)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        """Stop every server; safe to call twice (the fixture's finally, then atexit)."""
        if self._stopped:
            return
        self._stopped = True
        for deployment in self.deployments.values():
            deployment.kill()
        if self.moto:
            self.moto.stop()
        for service in self.services.values():
            service.stop()
        if self._watchdog is not None:
            self._watchdog.stdin.close()  # type: ignore[union-attr]
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(timeout=30)
        atexit.unregister(self.stop)


class Runs:
    """Runs of a flow made in the background, one after another, on one deployment."""

    def __init__(self, deployment: Deployment, flow: Path, count: int) -> None:
        self.deployment = deployment
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"runs-{deployment.name}")
        self.futures: list[Future[str]] = [self._pool.submit(deployment.run_flow, flow) for _ in range(count)]
        self._pool.shutdown(wait=False)

    def __getitem__(self, index: int) -> str:
        return self.futures[index].result(timeout=RUN_TIMEOUT * len(self.futures))

    def all(self) -> list[str]:
        return [self[i] for i in range(len(self.futures))]

    def cancel(self) -> None:
        """Cancel the runs not started; end the one running."""
        for future in self.futures:
            future.cancel()
        self.deployment.kill()
        self._pool.shutdown(wait=True)


# -- a metadata service of one test's own (outages) ---------------------------------------


class PrivateService:
    """A metadata service on its own Postgres for one test, with a deployment on it
    (local datastore): a test may take it down (:meth:`outage`) without touching the
    session's servers. :meth:`close` stops and removes it; so do ``atexit`` and a
    watchdog process, should the test process die. Use it as a context manager::

        with PrivateService(tmp_path) as private:
            run = private.deployment.run_flow(TINY_FLOW)
            ...
            private.outage()  # the service and its Postgres stop: connections are refused
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.service = MetadataService(root / "service-state")
        self.deployment: Deployment | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None

    def start(self) -> Deployment:
        prepare_service_venv()
        live = self.root / "live-process-groups"
        live.mkdir(parents=True)
        atexit.register(self.close)
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(live), json.dumps([self.service.stop_command()])],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            url = self.service.start()
        except BaseException:
            self.close()
            raise
        folder = self.root / "deployment"
        folder.mkdir(parents=True)
        env = base_env(folder)
        env.update(METAFLOW_DEFAULT_METADATA="service", METAFLOW_SERVICE_URL=url)
        self.deployment = Deployment("private-service", env, folder, live)
        return self.deployment

    def outage(self) -> None:
        """Stop the service and its Postgres (state kept): from now on, connections are refused."""
        subprocess.run(
            [str(SERVICE_SOURCE / "stop.sh"), str(self.service.state)],
            capture_output=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def restart(self) -> Deployment:
        """Start the service again after :meth:`outage`, on its kept Postgres cluster (the
        same runs and tags), on new free ports: the deployment, with the new URL."""
        assert self.deployment is not None
        out = _run_checked(
            [str(SERVICE_SOURCE / "start.sh"), str(self.service.state)], "metaflow-service restart", SERVER_TIMEOUT
        )
        exports = dict(
            word.split("=", 1) for line in out.splitlines() if line.startswith("export ") for word in line.split()[1:]
        )
        self.deployment = self.deployment.with_env(METAFLOW_SERVICE_URL=exports["METAFLOW_SERVICE_URL"])
        return self.deployment

    def close(self) -> None:
        """Stop everything and remove the service's state; safe to call twice."""
        if self.deployment is not None:
            self.deployment.kill()
        self.service.stop()
        if self._watchdog is not None:
            watchdog, self._watchdog = self._watchdog, None
            watchdog.stdin.close()  # type: ignore[union-attr]
            with contextlib.suppress(subprocess.TimeoutExpired):
                watchdog.wait(timeout=30)
        atexit.unregister(self.close)

    def __enter__(self) -> PrivateService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _main(argv: list[str]) -> int:
    if argv[:1] == ["prepare"]:
        if not (SERVICE_SOURCE / "start.sh").exists():
            print(f"metadata service: none at {SERVICE_SOURCE}; its tests will skip")
            return 0
        seconds = prepare_service_venv()
        print(
            f"metadata service venv: {f'built in {seconds:.0f} s' if seconds else 'already built'} ({SERVICE_CACHE / 'venv'})"
        )
        return 0
    if argv[:1] == ["up"]:
        servers = Servers(Path(tempfile.mkdtemp(prefix="modelgate-deployments-")), KINDS).start()
        try:
            for name, deployment in servers.deployments.items():
                changed = {k: v for k, v in deployment.env.items() if k.startswith(("METAFLOW_", "AWS_"))}
                print(f"# {name}\nexport " + " ".join(f"{k}={v}" for k, v in sorted(changed.items())))
            print(json.dumps({k: round(v, 1) for k, v in servers.timings.items()}))
            input("servers up; press Enter to stop them\n")
        finally:
            servers.stop()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))


# -- @project branches, production runs, promote ------------------------------------------------
PROJECT_FLOW = FLOWS / "project_flow.py"


def run_flow_with(deployment: Deployment, path: Path, *options: str, env: dict[str, str] | None = None) -> str:
    """Run a flow with top-level options (``--branch alpha``, ``--production``) and extra
    environment (``METAFLOW_PRODUCTION_TOKEN``); its pathspec."""
    target = deployment.with_env(**env) if env else deployment
    id_file = Path(tempfile.mkstemp(prefix="run-id-", dir=deployment.workdir)[1])
    done = target._python([str(path), *options, "run", "--run-id-file", str(id_file)], deployment.workdir, RUN_TIMEOUT)
    run_id = id_file.read_text().strip()
    id_file.unlink()
    if done.returncode != 0 or not run_id:
        raise RuntimeError(
            f"{path.name} {' '.join(options)} failed on {deployment.name} "
            f"(exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return f"{flow_name(path)}/{run_id}"


def promote(deployment: Deployment, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m modelgate promote *args`` with the deployment's environment."""
    return deployment._python(["-m", "modelgate", "promote", *args], cwd or deployment.workdir, RUN_TIMEOUT)


_SYSTEM_TAGS = """
import json, sys
from metaflow import Run, namespace

namespace(None)
print(json.dumps(sorted(Run(sys.argv[1]).system_tags)))
"""


def system_tags(deployment: Deployment, pathspec: str) -> frozenset[str]:
    """The run's system tags (``project:``, ``project_branch:``, ``user:`` or ``production:``)."""
    done = deployment.python(_SYSTEM_TAGS, pathspec)
    if done.returncode != 0:
        raise RuntimeError(f"Metaflow client on {deployment.name}: system tags of {pathspec} failed:\n{done.stderr}")
    return frozenset(json.loads(done.stdout.strip().splitlines()[-1]))
