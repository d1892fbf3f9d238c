"""GateFlow compiles into an Argo Workflows template, offline.

``python examples/gateflow.py --package-suffixes .py,.toml,.csv --datastore s3
argo-workflows create --only-json`` against the ``s3`` deployment of
tests/deployments/servers.py (the metadata service and moto's S3 server, on loopback),
with the ``kubernetes`` package installed and placeholder Argo settings: no
cluster is contacted (``--only-json`` skips the metadata service's version check
and the production token lookup), but the code package is really uploaded to
the S3 endpoint, which is where the template's tasks download it from.

``--only-json`` prints the WorkflowTemplate only (Metaflow does not print the
Argo Events Sensor it would deploy for ``@trigger_on_finish``); the sensor is
read from the same compilation, in a second process that runs the same command
and writes the sensor Metaflow compiled (its ``make_flow`` wrapped, not replaced).
"""

import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from helpers import EXAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.s3]

GATEFLOW = EXAMPLES / "gateflow.py"
COMMAND = ["--package-suffixes", ".py,.toml,.csv", "--datastore", "s3", "argo-workflows", "create", "--only-json"]
IMAGE = "registry.invalid/modelgate-gate:test"  # an image with modelgate[tensorflow] in a real deployment
ARGO_SETTINGS = {  # placeholders: nothing here is contacted
    "METAFLOW_KUBERNETES_NAMESPACE": "modelgate-tests",
    "METAFLOW_KUBERNETES_CONTAINER_IMAGE": IMAGE,
    "METAFLOW_ARGO_EVENTS_EVENT": "metaflow-event",
    "METAFLOW_ARGO_EVENTS_EVENT_BUS": "default",
    "METAFLOW_ARGO_EVENTS_EVENT_SOURCE": "argo-events-webhook",
    "METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT": "operate-workflow-sa",
    "METAFLOW_ARGO_EVENTS_WEBHOOK_URL": "http://argo-events-webhook.invalid:12000/metaflow-event",
}

_WITH_SENSOR = """
import json, runpy, sys
from metaflow.plugins.argo import argo_workflows_cli

out, flow_file, *args = sys.argv[1:]
compile_flow = argo_workflows_cli.make_flow

def make_flow(*a, **k):  # Metaflow's own, keeping what it compiled
    flow = compile_flow(*a, **k)
    with open(out, "w") as f:
        json.dump({"template": flow._workflow_template.to_json(), "sensor": flow._sensor.to_json() if flow._sensor else None}, f)
    return flow

argo_workflows_cli.make_flow = make_flow
sys.argv = [flow_file, *args]
runpy.run_path(flow_file, run_name="__main__")
"""

S3_DEPLOYMENT = pytest.mark.parametrize("deployment", ["s3"], indirect=True)


def _python(env: dict, cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def compiled(deployment_servers, tmp_path_factory):
    """(deployment, the --only-json template, the template and sensor of the second compilation)."""
    servers, _ = deployment_servers
    deployment = servers.deployments["s3"]
    env = {**deployment.env, **ARGO_SETTINGS}
    template = json.loads(_python(env, deployment.workdir, str(GATEFLOW), *COMMAND))
    out = tmp_path_factory.mktemp("argo") / "compiled.json"
    _python(env, deployment.workdir, "-c", _WITH_SENSOR, str(out), str(GATEFLOW), *COMMAND)
    return deployment, template, json.loads(out.read_text())


def _templates(template: dict) -> dict:
    return {t["name"]: t for t in template["spec"]["templates"]}


@S3_DEPLOYMENT
def test_the_template_runs_the_checks_in_a_foreach(compiled, deployment):
    _, template, _ = compiled
    assert template["kind"] == "WorkflowTemplate" and template["metadata"]["name"] == "gateflow"
    assert template["metadata"]["namespace"] == ARGO_SETTINGS["METAFLOW_KUBERNETES_NAMESPACE"]
    templates = _templates(template)
    assert {"start", "check", "join", "end"} <= set(templates)
    dag = {task["name"]: task for task in templates["GateFlow"]["dag"]["tasks"]}
    foreach = dag["start-foreach-kinds"]  # the split over self.kinds: one Argo task an item
    assert foreach["withParam"].startswith("{{tasks.start.outputs.parameters.")
    assert [t["template"] for t in templates["start-foreach-kinds"]["dag"]["tasks"]] == ["check"]
    assert dag["join"]["depends"] == "start-foreach-kinds.Succeeded"
    assert dag["end"]["depends"] == "join.Succeeded"
    # the parameter for gating by hand, and the image every step runs in
    parameters = {p["name"]: p for p in template["spec"]["arguments"]["parameters"]}
    assert json.loads(parameters["model-run"]["value"]) == ""
    for name in ("start", "check", "join", "end"):
        assert templates[name]["container"]["image"] == IMAGE
        assert "--metadata=service" in templates[name]["container"]["command"][-1]


@S3_DEPLOYMENT
def test_an_nlpflow_run_finishing_triggers_it(compiled, deployment):
    _, template, again = compiled
    annotations = template["metadata"]["annotations"]
    assert json.loads(annotations["metaflow/triggers"]) == [{"name": "metaflow.NLPFlow.end", "type": "run"}]
    assert annotations["metaflow/sensor_name"] == "gateflow"
    assert _templates(again["template"])["GateFlow"] == _templates(template)["GateFlow"]  # the same flow compiled

    sensor = again["sensor"]
    assert sensor["kind"] == "Sensor" and sensor["metadata"]["name"] == "gateflow"
    assert sensor["spec"]["eventBusName"] == ARGO_SETTINGS["METAFLOW_ARGO_EVENTS_EVENT_BUS"]
    (dependency,) = sensor["spec"]["dependencies"]
    assert dependency["eventName"] == ARGO_SETTINGS["METAFLOW_ARGO_EVENTS_EVENT"]
    assert dependency["eventSourceName"] == ARGO_SETTINGS["METAFLOW_ARGO_EVENTS_EVENT_SOURCE"]
    expressions = [e["expr"] for e in dependency["filters"]["exprs"]]
    assert "name == 'metaflow.NLPFlow.end'" in expressions  # NLPFlow's finish event, nothing else
    (trigger,) = sensor["spec"]["triggers"]
    workflow = trigger["template"]["k8s"]["source"]["resource"]
    assert workflow["kind"] == "Workflow" and workflow["spec"]["workflowTemplateRef"]["name"] == "gateflow"
    assert sensor["spec"]["template"]["serviceAccountName"] == ARGO_SETTINGS["METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT"]


@S3_DEPLOYMENT
def test_the_code_package_ships_the_gate_config(compiled, deployment):
    import boto3

    deployment, template, _ = compiled
    env = deployment.env
    root = env["METAFLOW_DATASTORE_SYSROOT_S3"]
    urls = set(re.findall(re.escape(root) + r"/GateFlow/data/[0-9a-f]{2}/[0-9a-f]{40}", json.dumps(template)))
    assert len(urls) == 1, urls  # every step downloads the one package
    bucket, key = urls.pop().removeprefix("s3://").split("/", 1)
    s3 = boto3.client(
        "s3",
        endpoint_url=env["METAFLOW_S3_ENDPOINT_URL"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
    )
    package = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(package), mode="r:gz") as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers()}
        names = set(members)
        shipped = tar.extractfile(members["pyproject.toml"]).read()
    assert {"gateflow.py", "pyproject.toml", "gate/smoke_cases.csv"} <= names
    assert shipped == (EXAMPLES / "pyproject.toml").read_bytes()  # the gate the pytest suite reads
