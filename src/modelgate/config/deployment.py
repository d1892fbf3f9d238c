"""GateFlow's deployment file: which training flow it gates, and with which gate.

A TOML file, read once when the flow is launched or deployed (a Metaflow
``Config``), whose value then travels with the deployment: the gate's table and
its smoke-case file are copied into it, so no file needs to be in the code
package::

    [gateflow]
    flow = "NLPFlow"            # the training flow: its finished runs trigger the gate
    project = "nlp"             # its @project name, when it has one
    gate = "pyproject.toml"     # the file with the [tool.modelgate] table
    tag = "deployment_candidate"  # optional: the tag to apply (else the gate's)
    shards = 4                  # or rows_per_shard = 250000

Without ``gate``, the ``[tool.modelgate]`` table of the deployment file itself is
the gate. ``gate`` is relative to the folder of the flow file (GateFlow looks for
``gateflow.toml`` there too, as ``@gate`` reads its config); the smoke-case file
is relative to the gate file's folder, as everywhere else.
"""

from __future__ import annotations

import base64
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import tables
from ..errors import GateUsageError
from .gate_config import GateConfig, parse_table
from .loading import gate_table
from .settings import validate_tag

__all__ = ["DEPLOYMENT_KEYS", "deployment_gate", "read_deployment"]

DEPLOYMENT_KEYS = ("flow", "project", "gate", "tag", "shards", "rows_per_shard")
WHERE = "[gateflow]"


def read_deployment(text: str, folder: Path) -> dict[str, Any]:
    """The deployment file's text as the plain value GateFlow's ``Config`` holds:
    ``flow``, ``project``, ``tag``, ``shards``, ``rows_per_shard``, and the gate
    (``gate``: its table; ``gate_source``: its file; ``smoke_file``: the smoke
    cases' name and bytes). GateUsageError naming the key for anything wrong."""
    import tomllib

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise GateUsageError(f"the GateFlow deployment file is not valid TOML: {exc}") from None
    stray = sorted(set(document) - {"gateflow", "tool"})
    if stray:
        raise GateUsageError(f"the GateFlow deployment file: unknown table [{stray[0]}] (expected [gateflow])")
    raw = document.get("gateflow", {})
    if not isinstance(raw, dict):
        raise tables.type_error(WHERE, "a table", raw)
    unknown = sorted(set(raw) - set(DEPLOYMENT_KEYS))
    if unknown:
        raise GateUsageError(f"{WHERE}: unknown key {unknown[0]!r} (known: {', '.join(DEPLOYMENT_KEYS)})")
    value: dict[str, Any] = {
        key: tables.string(f"{WHERE}.{key}", raw[key]) if key in raw else "" for key in ("flow", "project")
    }
    if "tag" in raw:
        if not isinstance(raw["tag"], str):
            raise tables.type_error(f"{WHERE}.tag", "a non-empty string", raw["tag"])
        value["tag"] = validate_tag(raw["tag"], f"{WHERE}.tag")
    value["shards"] = tables.whole(f"{WHERE}.shards", raw.get("shards", 0), 0)
    value["rows_per_shard"] = tables.whole(f"{WHERE}.rows_per_shard", raw.get("rows_per_shard", 0), 0)
    if value["shards"] and value["rows_per_shard"]:
        raise GateUsageError(f"{WHERE}: give shards or rows_per_shard, not both")
    source = folder / "gateflow.toml"  # an inline gate is read from here: its smoke cases are beside it
    inline = gate_table(document, source)
    if "gate" in raw:
        if inline is not None:
            raise GateUsageError(f"give {WHERE}.gate or a [tool.modelgate] table in the deployment file, not both")
        source = folder / tables.string(f"{WHERE}.gate", raw["gate"])
        if not source.is_file():
            raise GateUsageError(f"{WHERE}.gate: no file {source}")
        from .loading import read_toml

        table = gate_table(read_toml(source), source)
        if table is None:
            raise GateUsageError(f"{WHERE}.gate: {source} has no [tool.modelgate] table")
    elif inline is None:
        raise GateUsageError(f"the GateFlow deployment file has no gate: set {WHERE}.gate or add [tool.modelgate]")
    else:
        table = inline
    config = parse_table(table, source.resolve())  # every mistake in the gate, now, before anything runs
    value["gate"] = table
    value["gate_source"] = str(source.resolve())
    value["smoke_file"] = None
    if config.smoke_cases is not None:
        if not config.smoke_cases.is_file():
            raise GateUsageError(f"[tool.modelgate].smoke_cases: no file {config.smoke_cases}")
        value["smoke_file"] = {
            "name": config.smoke_cases.name,
            "bytes": base64.b64encode(config.smoke_cases.read_bytes()).decode("ascii"),
        }
    return value


def deployment_gate(value: Any) -> GateConfig:
    """The gate of a deployment value (:func:`read_deployment`'s), in a task that may run
    anywhere: the smoke cases are written to a private folder and read from there."""
    if hasattr(value, "to_dict"):  # Metaflow's ConfigValue: plain dicts and lists again
        value = value.to_dict()
    if not isinstance(value, dict) or not isinstance(value.get("gate"), dict):
        raise GateUsageError(
            "GateFlow has no deployment config: launch it with --config gate <file> "
            "(or keep gateflow.toml beside the flow file)"
        )
    config = parse_table(value["gate"], Path(value.get("gate_source") or "gateflow.toml"))
    if value.get("tag"):
        config = replace(config, settings=replace(config.settings, tag=value["tag"]))
    smoke = value.get("smoke_file")
    if smoke:
        folder = Path(tempfile.mkdtemp(prefix="modelgate-smoke-"))
        path = folder / smoke["name"]
        path.write_bytes(base64.b64decode(smoke["bytes"]))
        config = replace(config, smoke_cases=path)
    elif config.smoke_cases is not None:
        raise GateUsageError(f"the deployment config lost the gate's smoke cases ({config.smoke_cases})")
    return config
