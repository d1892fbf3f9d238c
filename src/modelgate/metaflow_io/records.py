"""Every verdict on record, where the deployment keeps its runs.

A gate's verdict is written as **metadata of the candidate's end task**, through
Metaflow's metadata provider: the local metadata of a laptop, or the metadata
service of a deployment (the same call, the same Postgres that holds the runs).
Why there:

* it is found from the candidate run alone (``Task(...).metadata``), whichever front
  end gated it (a pytest session has no run of its own to hold artifacts);
* it is append-only: a record is never overwritten, and each gate adds one (a field
  name of its own, ``modelgate-record-<id>``, of type ``modelgate-record``);
* it needs nothing the deployment does not already have (no bucket path to agree on,
  no extra run per gate), and Metaflow's UI shows a task's metadata.

A record holds the verdict (every check's estimate, bound, margin, method and
outcome: :meth:`Verdict.to_dict`), the config and its hash, a fingerprint of the
validation data, the champion's pathspec, the tag action, the front end, the user,
the time and the modelgate version. :func:`history` reads them back, oldest first;
:func:`holdout_uses` counts the candidates gated on one validation set.
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import json
import os
import time
import uuid
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import GateUsageError
from ..names import CHAMPION
from ..report.render import champion_shown
from .runs import get_run, global_namespace

if TYPE_CHECKING:
    from ..config import GateConfig
    from ..verdict import Verdict

__all__ = [
    "FRONT_ENDS",
    "RECORD_TYPE",
    "build_record",
    "champion_shown",
    "config_fingerprint",
    "data_fingerprint",
    "history",
    "holdout_uses",
    "records_of",
    "tag_not_written",
    "write_record",
]

RECORD_TYPE = "modelgate-record"
FIELD_PREFIX = "modelgate-record-"
SCHEMA = 1
FRONT_ENDS = ("pytest", "@gate", "Gate", "GateFlow")
HOLDOUT_SCAN = 200  # the newest runs of a flow that holdout_uses reads


# ------------------------------------------------------------------ what a record holds


def _plain(value: Any) -> Any:
    """A config value as JSON: dataclasses as their fields, paths and enums as text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "source"}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def config_fingerprint(config: GateConfig) -> tuple[dict[str, Any], str]:
    """The config as plain JSON (every setting and check, the smoke cases' file content
    hashed, not its path) and its hash: the same gate gives the same hash wherever its
    file lies."""
    plain = _plain(config)
    cases = config.smoke_cases
    plain["smoke_cases"] = None
    if cases is not None:
        try:
            plain["smoke_cases"] = "sha256:" + hashlib.sha256(Path(cases).read_bytes()).hexdigest()[:16]
        except OSError:
            plain["smoke_cases"] = f"unreadable: {cases}"
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"))
    return plain, "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def data_fingerprint(frame: Any) -> str:
    """A hash of the validation frame's content that does not depend on the order of its
    rows or columns: the same validation set gives the same fingerprint in every run."""
    import numpy as np
    import pandas as pd

    if not hasattr(frame, "columns"):
        frame = pd.DataFrame({"value": list(frame)})
    ordered = frame[sorted(frame.columns, key=str)]
    try:
        rows = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    except TypeError:  # a cell pandas cannot hash (an array, a list): hash its text, in full
        as_text = ordered.apply(lambda column: column.map(_cell_text) if column.dtype == object else column.astype(str))
        rows = pd.util.hash_pandas_object(as_text, index=False).to_numpy()
    digest = hashlib.sha256(json.dumps([str(c) for c in ordered.columns]).encode())
    digest.update(np.sort(rows.astype(np.uint64)).tobytes())  # sorted: the row order does not count
    return "sha256:" + digest.hexdigest()[:16]


def _cell_text(value: Any) -> str:
    """A cell pandas cannot hash, as text that changes with every value it holds: an array by
    a digest of its bytes (numpy prints a long one as ``[0. 1. ... 1999.]`` and rounds its
    numbers, so two embeddings that differ would read the same), a list or tuple item by item."""
    import numpy as np

    if isinstance(value, np.ndarray):
        content = np.ascontiguousarray(value)
        if content.dtype == object:
            return "[" + ", ".join(_cell_text(v) for v in content.ravel().tolist()) + f"]{content.shape}"
        digest = hashlib.sha256(content.tobytes()).hexdigest()[:32]
        return f"ndarray({content.dtype.str}, {content.shape}, sha256:{digest})"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_cell_text(v) for v in value) + "]"
    return str(value)


def build_record(
    verdict: Verdict | Mapping[str, Any],
    config: GateConfig,
    *,
    front_end: str,
    data: str,
    champion: str | None,
    tag_action: str,
    tag_reason: str = "",
    champion_label: str = CHAMPION,
) -> dict[str, Any]:
    """One record: what was decided, on what, by whom and how. ``champion_label`` says what
    ``champion`` is when it is not the champion (a run named with ``--gate-baseline-run``)."""
    from .. import __version__

    if front_end not in FRONT_ENDS:
        raise ValueError(f"front_end must be one of {', '.join(FRONT_ENDS)}, not {front_end!r}")
    plain, digest = config_fingerprint(config)
    as_dict = verdict.to_dict() if hasattr(verdict, "to_dict") else dict(verdict)
    return {
        "schema": SCHEMA,
        "id": uuid.uuid4().hex,
        "time": time.time(),
        "run": as_dict.get("run"),
        "verdict": as_dict,
        "passed": as_dict.get("passed"),
        "config": plain,
        "config_hash": digest,
        "data_fingerprint": data,
        "champion": champion,
        "champion_label": champion_label,
        "tag": {"name": config.settings.tag, "action": tag_action, "reason": tag_reason},
        "front_end": front_end,
        "user": _user(),
        "modelgate_version": __version__,
    }


def tag_not_written(record: Mapping[str, Any], error: str) -> dict[str, Any]:
    """The record that follows ``record`` when the tag change it announced could not be
    written (an outage, a lost write, an interrupt): records are never overwritten, so the
    history says in a record of its own, naming the first (``corrects``), that no tag was
    changed and that the session reached no verdict (``passed`` null, status ``error``)."""
    tag = dict(record.get("tag") or {})
    announced = tag.get("action", "none")
    tag.update(action="none", reason=f"could not {announced} the tag: {error}")
    verdict = dict(record.get("verdict") or {})
    verdict.update(status="error", passed=None, error=error)
    if isinstance(verdict.get("tag"), Mapping):
        verdict["tag"] = {**verdict["tag"], "action": "none", "reason": tag["reason"], "line": f"FAILED: {error}"}
    return {
        **record,
        "id": uuid.uuid4().hex,
        "time": max(time.time(), float(record.get("time") or 0.0) + 1e-6),  # after the record it corrects
        "verdict": verdict,
        "passed": None,
        "tag": tag,
        "corrects": record.get("id"),
    }


def _user() -> str:
    for name in ("METAFLOW_USER", "USER", "USERNAME"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        return getpass.getuser()
    except Exception:  # no name for this uid (a container's root)
        return "unknown"


# ------------------------------------------------------------------ where records live


def _provider(flow_name: str) -> Any:
    """Metaflow's metadata provider of this process (local or service), for ``flow_name``."""
    import types

    from metaflow.client.core import get_metadata
    from metaflow.exception import MetaflowUnknownUser
    from metaflow.metaflow_environment import MetaflowEnvironment
    from metaflow.plugins import METADATA_PROVIDERS

    kind = get_metadata().split("@", 1)[0]
    provider = next((m for m in METADATA_PROVIDERS if m.TYPE == kind), None)
    if provider is None:
        raise GateUsageError(f"no Metaflow metadata provider named {kind!r}")
    flow = types.SimpleNamespace(name=flow_name)
    environment = MetaflowEnvironment(flow)
    try:
        return provider(environment, flow, None, None)
    except MetaflowUnknownUser:
        # Its constructor works out the system tags of a run it would start, which needs a
        # user name (root has none for Metaflow); registering metadata on a task does not.
        made = provider.__new__(provider)
        made._task_id_seq, made.sticky_tags, made.sticky_sys_tags = -1, set(), set()
        made._flow_name, made._event_logger, made._monitor = flow_name, None, None
        made._environment, made._runtime = environment, os.environ.get("METAFLOW_RUNTIME_NAME", "dev")
        return made


def write_record(where: str, record: Mapping[str, Any]) -> None:
    """Append ``record`` to the metadata of a task: ``where`` is a task's pathspec
    (Flow/run_id/step/task_id: the task a gate runs in), or a run's (Flow/run_id: its end
    task, for a gate outside the run). Raises on any failure, after reading it back: a
    verdict that cannot be recorded is no verdict to tag on."""
    from metaflow import Task
    from metaflow.metadata_provider import MetaDatum

    parts = where.split("/")
    if len(parts) == 2:
        run = get_run(where)
        with global_namespace():
            end = run.end_task
        if end is None:
            raise GateUsageError(f"{where} has no end task to record the verdict on")
        parts = end.pathspec.split("/")
    flow_name, run_id, step_name, task_id = parts
    datum = MetaDatum(
        field=FIELD_PREFIX + str(record["id"]),
        value=json.dumps(record, sort_keys=True, default=str),
        type=RECORD_TYPE,
        tags=[],
    )
    _provider(flow_name).register_metadata(run_id, step_name, task_id, [datum])
    with global_namespace():  # read back, as tag writes are
        written = Task("/".join(parts), _namespace_check=False).metadata
    if not any(m.name == datum.field for m in written):
        raise OSError(f"the verdict record written to {'/'.join(parts)} cannot be read back")


def records_of(task: Any) -> list[dict[str, Any]]:
    """The records in one task's metadata (a ``metaflow.Task``), in the order it lists them."""
    found = []
    for datum in task.metadata:
        if datum.type != RECORD_TYPE:
            continue
        try:
            value = json.loads(datum.value)
        except ValueError:
            continue  # not ours after all: never a reason to fail a history
        if _is_record(value):
            found.append(value)
    return found


def _is_record(value: Any) -> bool:
    """A record as :func:`build_record` writes it, as far as a history reads it: a table
    whose time is a number and whose tag is a table (a field of another shape would stop
    the history's sort or its table, and with it every other record of the run)."""
    if not isinstance(value, dict) or not isinstance(value.get("tag", {}), dict):
        return False
    when = value.get("time", 0)
    return isinstance(when, (int, float)) and not isinstance(when, bool) and when == when  # not NaN


def history(pathspec: str) -> list[dict[str, Any]]:
    """Every verdict recorded on the run ``pathspec`` (Flow/run_id), oldest first: on its end
    task (the pytest gate, GateFlow) and on the tasks gates ran in (``@gate``, ``Gate``)."""
    return _run_records(get_run(pathspec))


def _run_records(run: Any) -> list[dict[str, Any]]:
    """The records on every task of a client ``Run``, oldest first."""
    records = []
    with global_namespace():
        for step in run:
            for task in step:
                records += records_of(task)
    return sorted(records, key=lambda r: (r.get("time", 0), str(r.get("id", ""))))


def holdout_warning(candidate: str, fingerprint: str, limit: int) -> str:
    """A warning when the validation data of ``fingerprint`` has gated more candidates of
    ``candidate``'s flow than ``limit`` (``max_holdout_reuse``), else ""; counting is
    advice, so a failure to count is said, never raised."""
    from .outages import describe_error

    try:
        uses, _ = holdout_uses(candidate.split("/")[0], fingerprint)
    except Exception as exc:  # an outage here changes no verdict
        return f"holdout reuse not counted: {describe_error(exc)}"
    if uses <= limit:
        return ""
    return (
        f"holdout reuse: this validation data ({fingerprint}) has gated {uses} candidates, more than "
        f"max_holdout_reuse = {limit}: repeated gating on one holdout slowly overfits it; refresh it"
    )


def holdout_uses(flow_name: str, fingerprint: str, *, limit: int = HOLDOUT_SCAN) -> tuple[int, list[str]]:
    """How many runs of ``flow_name`` (the newest ``limit``) were gated on the validation
    data of ``fingerprint``, and their pathspecs."""
    from metaflow import Flow

    runs: list[str] = []
    with global_namespace():
        for k, run in enumerate(Flow(flow_name).runs()):
            if k >= limit:
                break
            try:
                found = any(r.get("data_fingerprint") == fingerprint for r in _run_records(run))
            except Exception:  # an unfinished run, a run whose end task is gone: not gated
                continue
            if found:
                runs.append(run.pathspec)
    return len(runs), runs
