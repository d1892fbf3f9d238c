"""An unreachable metadata service or datastore is an outage, not bad input.

Classified on the real exceptions of requests, botocore and Metaflow; then a
gate session and ``promote`` against a metadata service URL nobody listens
on (a real connection refused): one line, no traceback, exit 1 (the session)
and 3 (promote), never 4. The same for ``python -m modelgate``'s usage.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest
import requests
from botocore.exceptions import EndpointConnectionError
from metaflow.exception import MetaflowNotFound
from metaflow.plugins.datatools.s3.s3 import MetaflowS3AccessDenied, MetaflowS3NotFound
from metaflow.plugins.metadata_providers.service import ServiceException

from modelgate.metaflow_io.outages import describe_error, is_unavailable


def refused(url: str) -> requests.RequestException:
    try:
        requests.get(url, timeout=2)
    except requests.RequestException as exc:
        return exc
    raise AssertionError(f"{url} answered")


@pytest.fixture(scope="module")
def closed_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (lambda port: refused(f"http://127.0.0.1:{port}/flows"), True),
        (lambda port: EndpointConnectionError(endpoint_url=f"http://127.0.0.1:{port}/bucket"), True),
        (lambda port: ServiceException("Metadata request failed (code 502)", http_code=502), True),
        # Metaflow retries 503 itself, then gives up with no code (service.py, _request)
        (lambda port: ServiceException("Metadata request (/flows/TinyFlow/runs/1) failed"), True),
        (lambda port: requests.exceptions.ProxyError("Unable to connect to proxy"), True),
        (lambda port: MetaflowS3NotFound("s3://bucket/key not found"), False),
        (lambda port: MetaflowS3AccessDenied("s3://bucket/key access denied"), False),
        (lambda port: ServiceException("Metadata request failed (code 404)", http_code=404), False),
        (lambda port: MetaflowNotFound("Flow('NoSuchFlow') does not exist"), False),
        (lambda port: ValueError("a broken _self.json"), False),
    ],
    ids=[
        "refused",
        "s3-endpoint",
        "502",
        "503-spent",
        "proxy",
        "s3-not-found",
        "s3-denied",
        "404",
        "not-found",
        "broken-metadata",
    ],
)
def test_only_unreachable_servers_and_5xx_answers_are_outages(error, outage, closed_port):
    assert is_unavailable(error(closed_port)) is outage


def test_an_unreachable_service_is_one_short_line(closed_port):
    line = describe_error(refused(f"http://127.0.0.1:{closed_port}/flows/TinyFlow/runs/1"))
    assert line.startswith("the metadata service") and line.endswith("cannot be reached (connection refused)"), line
    assert "HTTPConnectionPool" not in line and "\n" not in line


def test_an_unreachable_s3_endpoint_is_named_as_the_datastore(closed_port):
    line = describe_error(EndpointConnectionError(endpoint_url=f"http://127.0.0.1:{closed_port}/bucket"))
    assert line.startswith("the S3 datastore") and line.endswith("cannot be reached (could not connect)"), line


S3_GET = """
from metaflow import S3
from modelgate.metaflow_io.outages import describe_error, is_unavailable
try:
    with S3(s3root="s3://bucket/prefix") as s3:
        s3.get("key")
except Exception as exc:
    print(type(exc).__name__, is_unavailable(exc))
    print(describe_error(exc))
"""


def test_metaflows_own_s3_error_for_an_unreachable_endpoint_is_an_outage(closed_port, tmp_path):
    # Metaflow's S3 client reads its configuration at import: a process of its own, no retries.
    env = {
        **os.environ,
        "METAFLOW_S3_ENDPOINT_URL": f"http://127.0.0.1:{closed_port}",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_DEFAULT_REGION": "us-east-1",
        "METAFLOW_S3_RETRY_COUNT": "0",
        "METAFLOW_S3_TRANSIENT_RETRY_COUNT": "0",
        "METAFLOW_S3_CLIENT_RETRY_CONFIG": '{"max_attempts": 1, "mode": "standard"}',
    }
    done = subprocess.run(
        [sys.executable, "-c", S3_GET], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.splitlines() == [
        "MetaflowS3Exception True",
        f"the S3 datastore at http://127.0.0.1:{closed_port} cannot be reached (could not connect)",
    ], done.stderr


def test_a_run_that_cannot_be_read_for_an_outage_is_raised_not_skipped(closed_port):
    """Skipping it (as for a run with broken metadata) could hide the champion: the gate would pass by default."""
    from modelgate.errors import MetaflowUnavailable
    from modelgate.metaflow_io.runs import UnreadableRunWarning, _read

    class Run:
        pathspec = "TinyFlow/7"

    def outage(run):
        raise refused(f"http://127.0.0.1:{closed_port}/flows/TinyFlow/runs/7")

    def broken(run):
        raise ValueError("Expecting value: line 1 column 1 (char 0)")

    with pytest.raises(
        MetaflowUnavailable, match=r"^cannot read run TinyFlow/7: the metadata service .*connection refused"
    ):
        _read(Run(), outage)
    with pytest.warns(UnreadableRunWarning, match="skipped run TinyFlow/7"):
        assert _read(Run(), broken) == (False, None)


def test_other_errors_are_cut_to_one_line_of_300_characters():
    line = describe_error(RuntimeError("x" * 1000 + "\nsecond line"))
    assert len(line) <= 300 and "\n" not in line


# -- a gate and promote when the metadata service cannot be reached -----------------------------
@pytest.fixture
def service_down(monkeypatch, closed_port) -> str:
    """Metaflow configured for a metadata service that refuses connections (read at import: subprocesses)."""
    url = f"http://127.0.0.1:{closed_port}"
    monkeypatch.setenv("METAFLOW_DEFAULT_METADATA", "service")
    monkeypatch.setenv("METAFLOW_SERVICE_URL", url)
    monkeypatch.setenv("METAFLOW_SERVICE_RETRY_COUNT", "1")  # Metaflow's own retries: 1 s, 2 s, ... apart
    return url


def test_a_gate_that_cannot_reach_the_service_is_exit_1_in_one_line(pytester, service_down):
    pytester.makepyfile("def test_anything(evaluation):\n    assert evaluation.n > 0\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--model-run", "TinyFlow/1")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # an outage: no pass, and not "bad input" (4)
    output = result.outlines + result.errlines
    assert not any("Traceback" in line or "HTTPConnectionPool" in line for line in output), output
    [line] = [line for line in output if "modelgate:" in line]
    assert line == (
        f"Exit: modelgate: FAILED: cannot read candidate run TinyFlow/1: the metadata service at "
        f"{service_down} cannot be reached (connection refused); no test ran and no tag was changed"
    )


def modelgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelgate", *args], capture_output=True, text=True, timeout=120)


def test_promote_that_cannot_reach_the_service_is_exit_3_in_one_line(service_down):
    done = modelgate("promote", "TinyFlow/1", "--tag", "deployed")
    assert done.returncode == 3, done.stderr
    assert done.stdout == "" and done.stderr.splitlines() == [
        f"modelgate promote: failed: cannot read promoted run TinyFlow/1: the metadata service at {service_down} "
        "cannot be reached (connection refused)"
    ]


@pytest.mark.parametrize(
    ("args", "code", "stream", "says"),
    [
        (
            (),
            4,
            "stderr",
            "modelgate: error: name a command: promote, history (python -m modelgate --help describes each)",
        ),
        (
            ("deploy", "F/1"),
            4,
            "stderr",
            "modelgate: error: argument COMMAND: invalid choice: 'deploy' (choose from 'promote', 'history')",
        ),
        (("--bogus", "promote"), 4, "stderr", "modelgate: error: unknown option --bogus (options: --help)"),
        (("promote",), 4, "stderr", "modelgate promote: error: the following arguments are required: Flow/run_id"),
        (
            ("promote", "--bogus"),
            4,
            "stderr",
            "modelgate promote: error: unknown option --bogus "
            "(options: --champion-scope, --force, --gate-config, --help, --tag)",
        ),
        (
            ("promote", "F/1", "--tga", "x"),
            4,
            "stderr",
            "modelgate promote: error: unknown option --tga; did you mean --tag?",
        ),
        (
            ("promote", "F/1", "--champion-scope", "galaxy"),
            4,
            "stderr",
            "modelgate promote: error: argument --champion-scope: invalid choice: 'galaxy'",
        ),
        (
            ("promote", "F/1"),
            4,
            "stderr",
            "modelgate promote: error: name the tag to move: --tag deployed, or champion_tag in [tool.modelgate]",
        ),
    ],
    ids=[
        "no-command",
        "unknown-command",
        "unknown-option",
        "no-run",
        "promote-unknown-option",
        "promote-close-option",
        "bad-scope",
        "no-tag",
    ],
)
def test_the_command_line_says_its_usage_in_one_line(args, code, stream, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no pyproject.toml with a champion_tag above
    done = modelgate(*args)
    text = getattr(done, stream)
    assert done.returncode == code, done.stderr
    assert text.startswith(says) and len(text.splitlines()) == 1, text


def test_help_describes_each_command():
    done = modelgate("--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: python -m modelgate [-h] COMMAND ..."), done.stderr
    assert re.search(r"promote\s+move the deployed-model tag \(champion_tag\) to a run the gate\s+passed", done.stdout)
    done = modelgate("promote", "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: python -m modelgate promote [-h] [--tag TAG]")
    assert "--champion-scope" in done.stdout and "Exit 0 promoted" in done.stdout
