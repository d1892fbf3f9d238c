"""Run specs as plain calls of ``parse_run_spec``: no Metaflow, no session.

Every accepted form, and every refusal with the message the user reads after
``ERROR: modelgate: `` (test_bad_input.py shows a few of them end to end, exit 4).
"""

import pytest

from modelgate.errors import GateUsageError
from modelgate.metaflow_io.runs import RunSpec, parse_run_spec

NOT_A_RUN_SPEC = "is not a run spec: use Flow/run_id, or a run id, 'latest' or 'latest-successful' with --model-flow"
RUN_ID_RULE = "is not a run id (letters, digits, '_', '-', ':' and '.', not starting with '.')"


def flow_name_hint(name: str) -> str:
    return (
        f"--model-run {name!r} looks like a flow name: give {name}/<run id>, "
        f"or --model-flow {name} with a run id or 'latest'"
    )


# --- accepted ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, flow, expected",
    [
        ("TinyFlow/123", None, RunSpec("TinyFlow", run_id="123")),
        ("  TinyFlow/123\n", None, RunSpec("TinyFlow", run_id="123")),  # a pasted spec
        ("TinyFlow/123", "TinyFlow", RunSpec("TinyFlow", run_id="123")),  # the same flow twice is fine
        ("123", "TinyFlow", RunSpec("TinyFlow", run_id="123")),
        ("argo-nlp.x:1_2", "TinyFlow", RunSpec("TinyFlow", run_id="argo-nlp.x:1_2")),  # scheduler run ids
        ("latest", "TinyFlow", RunSpec("TinyFlow", latest="latest")),
        ("latest-successful", "TinyFlow", RunSpec("TinyFlow", latest="latest-successful")),
        ("TinyFlow/latest", None, RunSpec("TinyFlow", latest="latest")),
        ("TinyFlow/latest-successful", None, RunSpec("TinyFlow", latest="latest-successful")),
        ("TinyFlow/latest", "TinyFlow", RunSpec("TinyFlow", latest="latest")),
        ("_private_flow/7", None, RunSpec("_private_flow", run_id="7")),
    ],
    ids=[
        "pathspec",
        "whitespace",
        "pathspec-and-flow",
        "bare-id",
        "scheduler-id",
        "latest",
        "latest-successful",
        "flow-slash-latest",
        "flow-slash-latest-successful",
        "flow-slash-latest-and-flow",
        "underscore-flow",
    ],
)
def test_accepted_specs(spec, flow, expected):
    assert parse_run_spec(spec, flow) == expected


def test_a_run_spec_names_its_run():
    run = parse_run_spec("123", "TinyFlow")
    assert (run.pathspec, str(run)) == ("TinyFlow/123", "TinyFlow/123")
    latest = parse_run_spec("latest-successful", "TinyFlow")
    assert latest.pathspec is None and latest.run_id is None  # resolved later, against Metaflow
    assert str(latest) == "TinyFlow/latest-successful"


# --- refused: one line each, naming what was given --------------------------------


@pytest.mark.parametrize(
    "spec, flow, message",
    [
        ("TinyFlow/1/2", None, f"--model-run 'TinyFlow/1/2' {NOT_A_RUN_SPEC}"),
        ("Tiny Flow/12", None, f"--model-run 'Tiny Flow/12' {NOT_A_RUN_SPEC}"),
        ("1Flow/12", None, f"--model-run '1Flow/12' {NOT_A_RUN_SPEC}"),
        ("TinyFlow/", None, f"--model-run 'TinyFlow/' {NOT_A_RUN_SPEC}"),
        ("/12", None, f"--model-run '/12' {NOT_A_RUN_SPEC}"),
        ("OtherFlow/12", "TinyFlow", "--model-run 'OtherFlow/12' names flow OtherFlow, but --model-flow is TinyFlow"),
        ("12345", None, "--model-run '12345' names no flow: use Flow/run_id, or add --model-flow"),
        ("latest", None, "--model-run 'latest' names no flow: use Flow/run_id, or add --model-flow"),
        (
            "latest-successful",
            None,
            "--model-run 'latest-successful' names no flow: use Flow/run_id, or add --model-flow",
        ),
        ("model", None, "--model-run 'model' names no flow: use Flow/run_id, or add --model-flow"),
        ("", None, "--model-run '' names no flow: use Flow/run_id, or add --model-flow"),
        ("   ", None, "--model-run '' names no flow: use Flow/run_id, or add --model-flow"),
        ("TinyFlow", None, flow_name_hint("TinyFlow")),
        ("ReviewClfFlow", None, flow_name_hint("ReviewClfFlow")),
        ("myflow", None, flow_name_hint("myflow")),  # lower case, but it says flow
        ("TinyFlow", "TinyFlow", flow_name_hint("TinyFlow")),  # the flow given as the run too
        ("TinyFlow/.", None, f"--model-run 'TinyFlow/.': '.' {RUN_ID_RULE}"),
        ("TinyFlow/..", None, f"--model-run 'TinyFlow/..': '..' {RUN_ID_RULE}"),
        ("TinyFlow/.hidden", None, f"--model-run 'TinyFlow/.hidden': '.hidden' {RUN_ID_RULE}"),
        (".", "TinyFlow", f"--model-run '.': '.' {RUN_ID_RULE}"),
        ("a b", "TinyFlow", f"--model-run 'a b': 'a b' {RUN_ID_RULE}"),
        ("12", "Tiny Flow", "--model-flow 'Tiny Flow' is not a flow name"),
        ("12", "1Flow", "--model-flow '1Flow' is not a flow name"),
        ("latest", "TinyFlow/1", "--model-flow 'TinyFlow/1' is not a flow name"),
    ],
    ids=[
        "too-many-parts",
        "space-in-flow",
        "flow-starts-with-digit",
        "empty-run-id",
        "empty-flow",
        "two-flows",
        "bare-id-without-flow",
        "latest-without-flow",
        "latest-successful-without-flow",
        "a-word-without-flow",
        "empty",
        "blank",
        "flow-name",
        "flow-name-2",
        "lower-case-flow-name",
        "flow-name-with-model-flow",
        "dot",
        "dot-dot",
        "leading-dot",
        "bare-dot",
        "space-in-run-id",
        "bad-model-flow",
        "model-flow-starts-with-digit",
        "model-flow-is-a-pathspec",
    ],
)
def test_refused_specs(spec, flow, message):
    with pytest.raises(GateUsageError) as info:
        parse_run_spec(spec, flow)
    assert str(info.value) == message
