"""The gate on three Metaflow deployments, with real servers.

Each test body runs on ``local`` (local metadata and datastore), ``service``
(Netflix's metadata service over HTTP, on its own Postgres) and ``s3`` (a
metadata service plus an S3 datastore on moto's server). Flows, gate sessions
and tag reads run in subprocesses with the deployment's environment
(tests/deployments/servers.py), because this process imported Metaflow with the local
configuration. The three TinyFlow runs of a deployment (``tiny_runs``, oldest
first) are shared: each test uses its own runs or its own tag.

Deselect the server-backed ones with ``-m "not service and not s3"``.
"""

import itertools
import json
import urllib.request

import pytest
from servers import BUCKET, TINY_FLOW, explain, header, tag_lines, write_suite

from helpers import PASSING
from modelgate.names import DEFAULT_TAG

pytestmark = pytest.mark.slow  # flows and gate sessions in subprocesses

LOCAL = pytest.param("local", id="local")
SERVICE = pytest.param("service", id="service", marks=pytest.mark.service)
S3 = pytest.param("s3", id="s3", marks=[pytest.mark.service, pytest.mark.s3])
every_deployment = pytest.mark.parametrize("deployment", [LOCAL, SERVICE, S3], indirect=True)
service_deployments = pytest.mark.parametrize("deployment", [SERVICE, S3], indirect=True)

FAILING = "\ndef test_too_strict(gate):\n    gate.beats('roc_auc', margin=0.99)\n"
CHAMPION_SUITE = """
def test_not_much_worse_than_champion(gate):
    gate.beats("roc_auc", baseline="champion", margin=-0.02)
"""
_tags = itertools.count()


@pytest.fixture
def tag():
    """A tag of this test's own: only the runs it tags carry it."""
    return f"deployments_test_{next(_tags)}"


@every_deployment
def test_a_passing_gate_tags_the_run(deployment, tiny_runs, tmp_path):
    run = tiny_runs[0]
    result = deployment.gate(write_suite(tmp_path, PASSING), "--model-run", run)
    assert result.returncode == 0, explain(result)
    assert tag_lines(result) == [f"modelgate: tag '{DEFAULT_TAG}' applied to {run}: all 2 quality tests passed"]
    assert deployment.tags(run) == {DEFAULT_TAG}  # read back by a new Metaflow client


@every_deployment
def test_a_failing_gate_does_not_tag_and_revokes_an_earlier_tag(deployment, tiny_runs, tmp_path):
    run = tiny_runs[1]
    assert deployment.add_tags(run, DEFAULT_TAG, "team:nlp") == {DEFAULT_TAG, "team:nlp"}
    result = deployment.gate(write_suite(tmp_path, PASSING + FAILING), "--model-run", run)
    assert result.returncode == 1, explain(result)
    [line] = tag_lines(result)
    assert line.startswith(f"modelgate: tag '{DEFAULT_TAG}' revoked from {run}"), line
    assert "1 quality test failed" in line
    assert deployment.tags(run) == {"team:nlp"}  # the other user tag stays


@every_deployment
def test_the_champion_is_the_newest_other_tagged_run(deployment, tiny_runs, tmp_path, tag):
    oldest, middle, newest = tiny_runs.all()
    # Tag the newest first: on local metadata a tag rewrites the run's
    # timestamp, so Metaflow's own order would crown the one tagged last.
    deployment.add_tags(newest, tag)
    deployment.add_tags(middle, tag)
    result = deployment.gate(write_suite(tmp_path, CHAMPION_SUITE), "--model-run", oldest, "--gate-tag", tag)
    assert result.returncode == 0, explain(result)  # the same model: not much worse than the champion
    assert header(result, "champion") == f"champion: {newest}"
    assert tag in deployment.tags(oldest)
    assert tag in deployment.tags(newest) and tag in deployment.tags(middle)  # the champion keeps its tag


@every_deployment
def test_latest_picks_the_newest_run(deployment, tiny_runs, tmp_path):
    tiny_runs.all()
    # A run of its own, made last: other test files make TinyFlow runs on these deployments too.
    newest = deployment.run_flow(TINY_FLOW)
    result = deployment.gate(
        write_suite(tmp_path, PASSING), "--model-run", "latest", "--model-flow", "TinyFlow", "--gate-dry-run"
    )
    assert result.returncode == 0, explain(result)
    assert header(result, "model run").startswith(f"model run: {newest} "), explain(result)
    assert tag_lines(result) == [
        f"modelgate: dry run: would apply tag '{DEFAULT_TAG}' to {newest}: all 2 quality tests passed"
    ]


@service_deployments
def test_run_ids_are_small_integers_and_the_service_holds_the_tags(deployment, tiny_runs):
    runs = tiny_runs.all()
    assert [run.split("/") for run in runs] == [["TinyFlow", "1"], ["TinyFlow", "2"], ["TinyFlow", "3"]]
    # The tags the client reads are the service's, over HTTP.
    tagged = deployment.add_tags(runs[2], "read-over-http")
    url = deployment.env["METAFLOW_SERVICE_URL"]
    with urllib.request.urlopen(f"{url}/flows/TinyFlow/runs/3", timeout=10) as answer:
        record = json.load(answer)
    assert set(record["tags"]) == tagged and "read-over-http" in tagged
    assert f"user:{deployment.env['METAFLOW_USER']}" in record["system_tags"]


@pytest.mark.parametrize("deployment", [S3], indirect=True)
def test_the_artifacts_are_in_s3(deployment, tiny_runs):
    import boto3

    tiny_runs[0]  # wait for the first run
    env = deployment.env
    s3 = boto3.client(
        "s3",
        endpoint_url=env["METAFLOW_S3_ENDPOINT_URL"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    prefix = env["METAFLOW_DATASTORE_SYSROOT_S3"].removeprefix(f"s3://{BUCKET}/")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/TinyFlow/")["Contents"]]
    assert any("/TinyFlow/1/end/" in key for key in keys), keys[:20]  # the end step's artifacts
    local = deployment.workdir / ".metaflow" / "TinyFlow"  # where a local datastore would put the run
    assert sorted(p.name for p in local.iterdir()) == ["latest_run"]  # only the run id, for `resume`


# -- tag writes retry the service's 5xx answers ------------------------------------------
class FaultyProxy:
    """A real HTTP proxy in front of the real metadata service that answers 500 to
    the next ``times`` requests of one method and path (or another status), then passes everything through."""

    def __init__(self, upstream: str) -> None:
        import http.server
        import threading

        self.upstream, self.method, self.path, self.times, self.served_500, self.seen = upstream, "GET", "", 0, 0, []
        self.status = 500
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
                proxy.seen.append((self.command, self.path))
                if self.command == proxy.method and self.path == proxy.path and proxy.times > 0:
                    proxy.times -= 1
                    proxy.served_500 += 1
                    return self._answer(proxy.status, {}, b'{"message": "injected by the test proxy"}')
                request = urllib.request.Request(
                    proxy.upstream + self.path,
                    data=body,
                    method=self.command,
                    headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        self._answer(answer.status, answer.headers, answer.read())
                except urllib.error.HTTPError as error:
                    self._answer(error.code, error.headers, error.read())

            def _answer(self, status, headers, payload):
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def fail(self, path: str, times: int, method: str = "GET", status: int = 500) -> None:
        self.method, self.path, self.times, self.served_500, self.status = method, path, times, 0, status

    def __enter__(self) -> "FaultyProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


APPLY_TAG = """
import sys
from modelgate.metaflow_io.tagging import apply_tag
apply_tag(sys.argv[1], sys.argv[2])
"""


@pytest.mark.parametrize("deployment", [SERVICE], indirect=True)
def test_a_tag_write_retries_the_services_5xx_answers(deployment, tiny_runs):
    run = tiny_runs[2]
    with FaultyProxy(deployment.env["METAFLOW_SERVICE_URL"]) as proxy:
        proxy.fail(f"/flows/{run.replace('/', '/runs/')}", times=2)  # the run's record: 500, 500, then the real one
        done = deployment.with_env(METAFLOW_SERVICE_URL=proxy.url).python(APPLY_TAG, run, "written_after_500s")
    assert done.returncode == 0, done.stderr
    assert proxy.served_500 == 2
    assert ("PATCH", f"/flows/{run.replace('/', '/runs/')}/tag/mutate") in proxy.seen  # through the proxy
    assert "written_after_500s" in deployment.tags(run)


HAS_TAG = """
import sys
from modelgate.metaflow_io.tagging import has_tag
print(has_tag(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.parametrize("deployment", [SERVICE], indirect=True)
def test_a_tag_read_retries_the_services_5xx_answers(deployment, tiny_runs):
    run = tiny_runs[2]
    deployment.add_tags(run, "read_after_500s")
    with FaultyProxy(deployment.env["METAFLOW_SERVICE_URL"]) as proxy:
        proxy.fail(f"/flows/{run.replace('/', '/runs/')}", times=2)  # what the gate reads before deciding
        done = deployment.with_env(METAFLOW_SERVICE_URL=proxy.url).python(HAS_TAG, run, "read_after_500s")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"] and proxy.served_500 == 2


@pytest.mark.parametrize("deployment", [SERVICE], indirect=True)
def test_a_tag_write_survives_5xx_answers_to_the_write_itself(deployment, tiny_runs):
    run = tiny_runs[2]
    mutate = f"/flows/{run.replace('/', '/runs/')}/tag/mutate"
    with FaultyProxy(deployment.env["METAFLOW_SERVICE_URL"]) as proxy:
        proxy.fail(mutate, times=2, method="PATCH")  # the write: 500, 500, then the real one
        done = deployment.with_env(METAFLOW_SERVICE_URL=proxy.url).python(APPLY_TAG, run, "written_after_patch_500s")
    assert done.returncode == 0, done.stderr
    assert proxy.served_500 == 2 and proxy.seen.count(("PATCH", mutate)) == 3
    assert "written_after_patch_500s" in deployment.tags(run)


@pytest.mark.parametrize("deployment", [SERVICE], indirect=True)
def test_tag_write_retries_are_bounded(deployment, tiny_runs):
    import time

    run = tiny_runs[2]
    with FaultyProxy(deployment.env["METAFLOW_SERVICE_URL"]) as proxy:
        proxy.fail(f"/flows/{run.replace('/', '/runs/')}", times=1000)  # the service keeps failing
        begin = time.monotonic()
        done = deployment.with_env(METAFLOW_SERVICE_URL=proxy.url).python(APPLY_TAG, run, "never_written")
        seconds = time.monotonic() - begin
    assert done.returncode == 1
    assert "ServiceException" in done.stderr and "code 500" in done.stderr, done.stderr[-2000:]
    assert proxy.served_500 == 3  # three attempts, then the error
    assert seconds < 30, seconds  # 0.5 s and 2 s of backoff (plus jitter) beyond the process's start
    assert "never_written" not in deployment.tags(run)


# -- an outage is not bad input: one line, exit 1, no tag ----------------------------------------
@pytest.mark.parametrize("deployment", [SERVICE], indirect=True)
def test_a_service_that_keeps_answering_503_is_an_outage_not_bad_input(deployment, tiny_runs, tmp_path):
    run = tiny_runs[2]
    with FaultyProxy(deployment.env["METAFLOW_SERVICE_URL"]) as proxy:
        proxy.fail(f"/flows/{run.replace('/', '/runs/')}", times=1000, status=503)  # Metaflow retries 503 itself
        result = deployment.with_env(METAFLOW_SERVICE_URL=proxy.url, METAFLOW_SERVICE_RETRY_COUNT="2").gate(
            write_suite(tmp_path, PASSING), "--model-run", run
        )
    assert result.returncode == 1, explain(result)  # not 4: the run spec is fine
    [line] = [l for l in (result.stdout + result.stderr).splitlines() if "modelgate:" in l]
    assert line == (
        f"Exit: modelgate: FAILED: cannot read candidate run {run}: the metadata service at {proxy.url} "
        f"failed: Metadata request (/flows/{run.replace('/', '/runs/')}) failed; "
        "no test ran and no tag was changed"
    ), explain(result)
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("deployment", [S3], indirect=True)
def test_an_s3_datastore_that_cannot_be_reached_is_an_outage_not_bad_input(deployment, tiny_runs, tmp_path):
    import socket

    run = tiny_runs[0]
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    before = deployment.tags(run)
    cache = tmp_path / "client-cache"  # empty: the artifacts must come from S3, not from earlier sessions' cache
    cache.mkdir(mode=0o700)
    down = deployment.with_env(
        METAFLOW_S3_ENDPOINT_URL=closed,
        METAFLOW_CLIENT_CACHE_PATH=str(cache),
        METAFLOW_S3_RETRY_COUNT="0",
        METAFLOW_S3_TRANSIENT_RETRY_COUNT="0",
        METAFLOW_S3_CLIENT_RETRY_CONFIG='{"max_attempts": 1, "mode": "standard"}',
    )
    result = down.gate(write_suite(tmp_path, PASSING), "--model-run", run)
    assert result.returncode == 1, explain(result)  # the metadata is there; its artifacts cannot be read
    output = result.stdout + result.stderr
    assert "Traceback" not in output, explain(result)
    [line] = [l for l in output.splitlines() if "modelgate:" in l and "FAILED" in l]
    assert f"the S3 datastore at {closed} cannot be reached (could not connect)" in line, line
    assert deployment.tags(run) == before
