"""Every verdict on record where the deployment keeps its runs: the pytest session and GateFlow
write their records through the run's own metadata provider (local files, or Netflix's
metadata service over HTTP, with S3 holding the artifacts), and ``python -m modelgate
history`` reads them back from a new process.

Each test uses a tag of its own on the shared TinyFlow runs (tests/deployments/conftest.py).
"""

import itertools
import json

import pytest
from servers import explain, write_suite

from helpers import FLOWS, PASSING

pytestmark = pytest.mark.slow  # flows and gate sessions in subprocesses

LOCAL = pytest.param("local", id="local")
SERVICE = pytest.param("service", id="service", marks=pytest.mark.service)
S3 = pytest.param("s3", id="s3", marks=[pytest.mark.service, pytest.mark.s3])
_tags = itertools.count()

GATEFLOW = """\
from modelgate.flow import GateFlow


class TinyGateFlow(GateFlow): ...


if __name__ == "__main__":
    TinyGateFlow()
"""


def history(deployment, run: str) -> list[dict]:
    done = deployment._python(["-m", "modelgate", "history", run, "--json"], deployment.workdir, 300)
    assert done.returncode == 0, explain(done)
    return json.loads(done.stdout)


@pytest.mark.parametrize("deployment", [LOCAL, SERVICE, S3], indirect=True)
def test_the_sessions_verdict_is_on_record_before_its_tag(deployment, tiny_runs, tmp_path):
    run, tag = tiny_runs[2], f"records_test_{next(_tags)}"
    result = deployment.gate(write_suite(tmp_path, PASSING), "--model-run", run, "--gate-tag", tag)
    assert result.returncode == 0, explain(result)
    assert tag in deployment.tags(run)
    mine = [r for r in history(deployment, run) if r["tag"]["name"] == tag]
    assert len(mine) == 1, mine
    (record,) = mine
    assert (record["front_end"], record["passed"], record["tag"]["action"]) == ("pytest", True, "apply")
    assert [r["passed"] for r in record["verdict"]["results"]] == [True, True]
    assert record["data_fingerprint"].startswith("sha256:") and record["config_hash"]


@pytest.mark.parametrize("deployment", [SERVICE, S3], indirect=True)
def test_gateflow_records_and_tags_through_the_service(deployment, tiny_runs, tmp_path):
    """The shipped GateFlow, in two shards, on the service (and S3): its record on the
    candidate's end task, read back over HTTP, and the tag."""
    run, tag = tiny_runs[2], f"records_test_{next(_tags)}"
    folder = tmp_path / "gate"
    folder.mkdir()
    (folder / "tiny_gate.py").write_text(GATEFLOW)
    gate_file = json.dumps(str(FLOWS / "gate_tiny.toml"))
    (folder / "gateflow.toml").write_text(f'[gateflow]\ngate = {gate_file}\ntag = "{tag}"\nshards = 2\n')
    done = deployment._python([str(folder / "tiny_gate.py"), "run", "--model-run", run], deployment.workdir, 600)
    assert done.returncode == 0, explain(done)
    assert tag in deployment.tags(run)
    mine = [r for r in history(deployment, run) if r["tag"]["name"] == tag]
    assert [(r["front_end"], r["passed"], r["tag"]["action"]) for r in mine] == [("GateFlow", True, "apply")]
    assert mine[0]["tag"]["reason"].startswith("GateFlow TinyGateFlow/")
    assert mine[0]["data_fingerprint"].startswith("sha256:") and mine[0]["modelgate_version"]
