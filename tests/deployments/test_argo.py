"""GateFlow compiles into an Argo Workflows template, offline.

``python examples/gateflow.py --datastore s3 argo-workflows create --only-json`` (the
example's ``NLPGateFlow``, modelgate's GateFlow configured by ``examples/gateflow.toml``)
against the ``s3`` deployment of tests/deployments/servers.py (the metadata service and
moto's S3 server, on loopback), with the ``kubernetes`` package installed and placeholder
Argo settings: no cluster is contacted (``--only-json`` skips the metadata service's
version check and the production token lookup), but the code package is really uploaded
to the S3 endpoint, which is where the template's tasks download it from.

No ``--package-suffixes``: the gate travels in the value of the ``gate`` Config, which
Metaflow writes into the code package (``.mf_meta/CONFIG``) and the template's
containers read from there (``METAFLOW_FLOW_CONFIG_VALUE`` names it ``kv.gate``).

``--only-json`` prints the WorkflowTemplate only (Metaflow does not print the Argo
Events Sensor it would deploy for ``@trigger_on_finish``), so each compilation runs in
a process that writes the sensor Metaflow compiled too (its ``make_flow`` wrapped, not
replaced). Three compilations: the example (no ``@project``), and the example deployed
for NLPFlow's ``@project("nlp")`` with ``--config gate FILE``, on ``--branch exp`` and
``--production``.
"""

import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from helpers import EXAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.s3]

GATEFLOW = EXAMPLES / "gateflow.py"
COMMAND = ["--datastore", "s3", "argo-workflows", "create", "--only-json"]
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
# NLPFlow with @project(name="nlp"): the example's deployment file with a project
PROJECT_DEPLOYMENT = '[gateflow]\nflow = "NLPFlow"\nproject = "nlp"\ngate = "pyproject.toml"\n'

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


def _compile(deployment, out: Path, *args: str) -> dict:
    """Compile examples/gateflow.py with *args: {"printed": the --only-json template,
    "template" and "sensor": what Metaflow compiled}."""
    done = subprocess.run(
        [sys.executable, "-c", _WITH_SENSOR, str(out), str(GATEFLOW), *args],
        env={**deployment.env, **ARGO_SETTINGS},
        cwd=deployment.workdir,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return {"printed": json.loads(done.stdout), **json.loads(out.read_text())}


@pytest.fixture(scope="module")
def s3_deployment(deployment_servers):
    servers, _ = deployment_servers
    return servers.deployments["s3"]


@pytest.fixture(scope="module")
def compiled(s3_deployment, tmp_path_factory):
    """The example as it is: gates NLPFlow, which has no @project."""
    return _compile(s3_deployment, tmp_path_factory.mktemp("argo") / "compiled.json", *COMMAND)


@pytest.fixture(scope="module")
def project_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("argo-project") / "nlp.toml"
    path.write_text(PROJECT_DEPLOYMENT)
    return path


@pytest.fixture(scope="module")
def on_branch(s3_deployment, project_file):
    """Deployed for NLPFlow's @project("nlp"), on branch exp."""
    options = ["--config", "gate", str(project_file), "--branch", "exp"]
    return _compile(s3_deployment, project_file.with_name("branch.json"), *options, *COMMAND)


@pytest.fixture(scope="module")
def in_production(s3_deployment, project_file):
    """Deployed for NLPFlow's @project("nlp"), in production."""
    options = ["--config", "gate", str(project_file), "--production"]
    return _compile(s3_deployment, project_file.with_name("production.json"), *options, *COMMAND)


def _templates(template: dict) -> dict:
    return {t["name"]: t for t in template["spec"]["templates"]}


def _package(deployment, template: dict) -> dict[str, bytes]:
    """The code package every step of the template downloads: {member name: bytes}."""
    import boto3

    env = deployment.env
    root = env["METAFLOW_DATASTORE_SYSROOT_S3"]
    urls = set(re.findall(re.escape(root) + r"/NLPGateFlow/data/[0-9a-f]{2}/[0-9a-f]{40}", json.dumps(template)))
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
        return {m.name.removeprefix("./"): tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def _filters(dependency: dict) -> dict[str, str]:
    """The sensor dependency's filters: {payload field: expression}."""
    return {e["fields"][0]["path"]: e["expr"] for e in dependency["filters"]["exprs"]}


@S3_DEPLOYMENT
def test_the_template_scores_shards_in_a_foreach(compiled, deployment):
    template = compiled["printed"]
    assert template == compiled["template"]  # what --only-json printed is what was compiled
    assert template["kind"] == "WorkflowTemplate" and template["metadata"]["name"] == "nlpgateflow"
    assert template["metadata"]["namespace"] == ARGO_SETTINGS["METAFLOW_KUBERNETES_NAMESPACE"]
    templates = _templates(template)
    assert {"start", "score", "join", "end"} <= set(templates)
    dag = {task["name"]: task for task in templates["NLPGateFlow"]["dag"]["tasks"]}
    foreach = dag["start-foreach-shard-plan"]  # the split over self.shard_plan: one Argo task a shard
    assert foreach["withParam"].startswith("{{tasks.start.outputs.parameters.")
    assert [t["template"] for t in templates["start-foreach-shard-plan"]["dag"]["tasks"]] == ["score"]
    assert dag["join"]["depends"] == "start-foreach-shard-plan.Succeeded"
    assert dag["end"]["depends"] == "join.Succeeded"
    # the parameters for gating by hand and for the shards (and the trigger's event, the
    # payload of NLPFlow's finish); the gate Config is no parameter
    parameters = {p["name"]: p for p in template["spec"]["arguments"]["parameters"]}
    assert {"model-run", "shards", "rows-per-shard"} < set(parameters)
    assert {name for name in parameters if name.startswith("metaflowNLPFlowend_")} | {
        "model-run",
        "shards",
        "rows-per-shard",
    } == set(parameters)
    assert json.loads(parameters["model-run"]["value"]) == ""
    assert json.loads(parameters["shards"]["value"]) == 0
    assert json.loads(parameters["rows-per-shard"]["value"]) == 0
    for name in ("start", "score", "join", "end"):
        container = templates[name]["container"]
        assert container["image"] == IMAGE
        assert "--metadata=service" in container["command"][-1]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert json.loads(env["METAFLOW_FLOW_CONFIG_VALUE"]) == {"gate": "kv.gate"}  # read from the package


@S3_DEPLOYMENT
def test_the_code_package_carries_the_gate_in_the_config_value(compiled, deployment):
    members = _package(deployment, compiled["template"])
    names = {name.rsplit("/", 1)[-1] for name in members}
    assert "gateflow.py" in names
    # nothing but code: the gate, its smoke cases and the deployment file are not shipped
    assert not names & {"pyproject.toml", "smoke_cases.csv", "gateflow.toml"}, sorted(members)
    (config_file,) = [name for name in members if name.endswith(".mf_meta/CONFIG")]
    value, plain = json.loads(members[config_file])["user_configs"]["gate"]
    assert plain is False
    assert value["flow"] == "NLPFlow" and value["project"] == ""
    assert value["gate"]["model_artifact"] == "model_dict"  # examples/pyproject.toml's gate
    assert value["gate"]["smoke_cases"] == "gate/smoke_cases.csv"
    assert value["smoke_file"]["name"] == "smoke_cases.csv" and value["smoke_file"]["bytes"]
    assert value["gate_source"] == str((EXAMPLES / "pyproject.toml").resolve())


@S3_DEPLOYMENT
def test_a_step_reads_the_gate_from_the_package_alone(on_branch, deployment, tmp_path):
    """The package of the project deployment, extracted as a step's container does (no
    gateflow.toml, no pyproject.toml in it): the flow starts with the template's
    METAFLOW_FLOW_CONFIG_VALUE, and keeps its @project (``--branch`` is an option only
    then); without it, it looks for the deployment file and stops."""
    from modelgate.config.deployment import deployment_gate

    members = _package(deployment, on_branch["template"])
    for name, data in members.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    container = _templates(on_branch["template"])["start"]["container"]
    config_value = {e["name"]: e.get("value") for e in container["env"]}["METAFLOW_FLOW_CONFIG_VALUE"]
    code = tmp_path / ".mf_code"
    env = {
        **deployment.env,
        "METAFLOW_EXTRACTED_ROOT": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(code), deployment.env.get("PYTHONPATH")])),
    }
    show = [sys.executable, "gateflow.py", "--branch", "exp", "--quiet", "show"]  # the step's options
    done = subprocess.run(
        show, env={**env, "METAFLOW_FLOW_CONFIG_VALUE": config_value}, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "Step score" in done.stdout
    done = subprocess.run(show, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0 and "gateflow.toml' could not be read" in done.stderr

    # what the steps make of the value: the gate, and its smoke cases written out again
    value, _ = json.loads(members[".mf_meta/CONFIG"])["user_configs"]["gate"]
    config = deployment_gate(value)
    assert config.settings.model_artifact == "model_dict"
    assert config.smoke_cases.read_bytes() == (EXAMPLES / "gate" / "smoke_cases.csv").read_bytes()


@S3_DEPLOYMENT
def test_an_nlpflow_run_finishing_triggers_it(compiled, deployment):
    template = compiled["template"]
    annotations = template["metadata"]["annotations"]
    assert json.loads(annotations["metaflow/triggers"]) == [{"name": "metaflow.NLPFlow.end", "type": "run"}]
    assert annotations["metaflow/sensor_name"] == "nlpgateflow"
    assert "metaflow/project_name" not in annotations  # no @project: gone with the empty project

    sensor = compiled["sensor"]
    assert sensor["kind"] == "Sensor" and sensor["metadata"]["name"] == "nlpgateflow"
    assert sensor["spec"]["eventBusName"] == ARGO_SETTINGS["METAFLOW_ARGO_EVENTS_EVENT_BUS"]
    (dependency,) = sensor["spec"]["dependencies"]
    assert dependency["eventName"] == ARGO_SETTINGS["METAFLOW_ARGO_EVENTS_EVENT"]
    assert dependency["eventSourceName"] == ARGO_SETTINGS["METAFLOW_ARGO_EVENTS_EVENT_SOURCE"]
    filters = _filters(dependency)
    assert filters["body.payload.name"] == "name == 'metaflow.NLPFlow.end'"  # NLPFlow's finish event
    assert "body.payload.project_name" not in filters and "body.payload.branch_name" not in filters
    (trigger,) = sensor["spec"]["triggers"]
    workflow = trigger["template"]["k8s"]["source"]["resource"]
    assert workflow["kind"] == "Workflow" and workflow["spec"]["workflowTemplateRef"]["name"] == "nlpgateflow"
    assert sensor["spec"]["template"]["serviceAccountName"] == ARGO_SETTINGS["METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT"]


def _assert_project_deployment(compiled: dict, branch: str) -> None:
    """Deployed on @project nlp's branch: the template is the branch's, and so is the event it waits for."""
    name = f"nlp.{branch}.nlpgateflow"  # nlp.<branch>.NLPGateFlow, in Argo's lower case
    sensor_name = name.replace(".", "-")  # Argo Events allows no dots in a sensor's name
    event = f"metaflow.nlp.{branch}.NLPFlow.end"  # NLPFlow's runs on the same branch of project nlp
    template = compiled["template"]
    assert compiled["printed"] == template
    assert template["metadata"]["name"] == name
    annotations = template["metadata"]["annotations"]
    assert annotations["metaflow/project_name"] == "nlp"
    assert annotations["metaflow/branch_name"] == branch
    assert annotations["metaflow/project_flow_name"] == f"nlp.{branch}.NLPGateFlow"
    assert json.loads(annotations["metaflow/triggers"]) == [{"name": event, "type": "run"}]
    assert annotations["metaflow/sensor_name"] == sensor_name
    assert {"start", "score", "join", "end"} <= set(_templates(template))

    sensor = compiled["sensor"]
    assert sensor["metadata"]["name"] == sensor_name
    (dependency,) = sensor["spec"]["dependencies"]
    filters = _filters(dependency)
    assert filters["body.payload.name"] == f"name == '{event}'"
    assert filters["body.payload.project_name"] == "field == 'nlp'"
    assert filters["body.payload.branch_name"] == f"field == '{branch}'"
    (trigger,) = sensor["spec"]["triggers"]
    assert trigger["template"]["k8s"]["source"]["resource"]["spec"]["workflowTemplateRef"]["name"] == name


@S3_DEPLOYMENT
def test_a_project_branch_deployment_waits_for_the_branch_runs(on_branch, deployment):
    _assert_project_deployment(on_branch, "test.exp")


@S3_DEPLOYMENT
def test_a_production_deployment_waits_for_production_runs(in_production, deployment):
    _assert_project_deployment(in_production, "prod")
