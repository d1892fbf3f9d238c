"""Metaflow I/O: resolve a run spec, load artifacts.

Every function here turns Metaflow's failures into a :class:`GateUsageError`
with one line a person can act on. Metaflow is imported lazily.

Namespaces: an explicit ``Flow/run_id`` resolves in the global namespace (a CI
job running as root, or another user's run, must still be found). ``latest``
resolves in the namespace given, by default the current user's, else global.
Metaflow's client asks for the user name whenever it builds an object in the
default namespace, and raises when it cannot guess one (root in CI), so all
access goes through :func:`global_namespace`.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from .errors import GateUsageError

LATEST = ("latest", "latest-successful")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_RUN_ID = r"[A-Za-z0-9_.:\-]+"


@dataclass(frozen=True)
class RunSpec:
    flow: str
    run_id: str | None = None  # None with ``latest`` set
    latest: str | None = None  # "latest" or "latest-successful"

    @property
    def pathspec(self) -> str | None:
        return f"{self.flow}/{self.run_id}" if self.run_id else None

    def __str__(self) -> str:
        return self.pathspec or f"{self.flow}/{self.latest}"


def parse_run_spec(spec: str, flow: str | None = None) -> RunSpec:
    """``Flow/run_id``; a bare ``run_id``, ``latest`` or ``latest-successful`` with ``flow``."""
    spec = (spec or "").strip()
    if flow is not None and not re.fullmatch(_NAME, flow):
        raise GateUsageError(f"--model-flow {flow!r} is not a flow name")
    if "/" in spec:
        parts = spec.split("/")
        if len(parts) != 2 or not re.fullmatch(_NAME, parts[0]) or not parts[1]:
            raise GateUsageError(
                f"--model-run {spec!r} is not a run spec: use Flow/run_id, or a run id, "
                "'latest' or 'latest-successful' with --model-flow"
            )
        if flow is not None and flow != parts[0]:
            raise GateUsageError(f"--model-run {spec!r} names flow {parts[0]}, but --model-flow is {flow}")
        flow, spec = parts
        if spec in LATEST:
            return RunSpec(flow, latest=spec)
    elif flow is None:
        raise GateUsageError(
            f"--model-run {spec!r} names no flow: use Flow/run_id, or add --model-flow"
        )
    if spec in LATEST:
        return RunSpec(flow, latest=spec)
    if not re.fullmatch(_RUN_ID, spec):
        raise GateUsageError(f"--model-run: {spec!r} is not a run id")
    return RunSpec(flow, run_id=spec)


@contextmanager
def global_namespace() -> Iterator[None]:
    """Run Metaflow client calls in the global namespace, then restore the caller's."""
    from metaflow.client import core

    saved = core.current_namespace  # may be False: "not resolved yet"
    core.current_namespace = None
    try:
        yield
    finally:
        core.current_namespace = saved


def current_user_namespace() -> str | None:
    """``user:NAME`` (or ``production:TOKEN``), or None when Metaflow cannot tell."""
    from metaflow.exception import MetaflowUnknownUser
    from metaflow.util import resolve_identity

    try:
        return resolve_identity()
    except MetaflowUnknownUser:
        return None


def resolve_namespace(namespace: str | None) -> str | None:
    """The namespace ``latest`` searches: None means global.

    ``None`` (not given): the current user's, else global. ``"global"``: global.
    ``"user"``: the current user's, and an error when Metaflow cannot tell who
    that is. Anything else is taken as a namespace tag (``user:alice``).
    """
    if namespace == "global":
        return None
    if namespace in (None, "", "user"):
        found = current_user_namespace()
        if found is None and namespace == "user":
            raise GateUsageError(
                "--namespace=user: Metaflow cannot tell who you are (running as root?); "
                "set METAFLOW_USER or pass --namespace=global"
            )
        return found
    return namespace


def _metaflow_errors():
    from metaflow.exception import MetaflowException

    return MetaflowException


def resolve_run(spec: RunSpec, namespace: str | None = None) -> str:
    """The pathspec of a finished, successful run, or a GateUsageError."""
    from metaflow import Flow, Run
    from metaflow.exception import MetaflowNotFound

    with global_namespace():
        try:
            if spec.run_id is not None:
                run = Run(spec.pathspec)
                where = ""
            else:
                ns = resolve_namespace(namespace)
                where = f" in namespace {ns}" if ns else " in the global namespace"
                run = _latest(Flow(spec.flow), spec.latest, ns)
                if run is None:
                    raise GateUsageError(f"flow {spec.flow} has no {_describe(spec.latest)} run{where}")
        except MetaflowNotFound:
            if spec.run_id is not None and not _flow_exists(spec.flow):
                raise GateUsageError(f"unknown flow {spec.flow!r}: Metaflow has no runs of it") from None
            what = f"run {spec}" if spec.run_id else f"flow {spec.flow!r}"
            raise GateUsageError(f"unknown {what}: Metaflow has no such object") from None
        except _metaflow_errors() as exc:
            raise GateUsageError(f"cannot read {spec} from Metaflow: {one_line(exc)}") from None
        try:
            if run.successful:
                return run.pathspec
            failed = _failed_step(run)
        except _metaflow_errors() as exc:
            raise GateUsageError(f"cannot read the state of {run.pathspec}: {one_line(exc)}") from None
    if failed:
        raise GateUsageError(f"run {run.pathspec} failed in step {failed!r}: only a successful run can be gated")
    raise GateUsageError(f"run {run.pathspec} has not finished: gate a finished, successful run")


def _failed_step(run) -> str | None:
    """The first step with a task whose last attempt ended in failure, if any."""
    # Only on the error path: it reads every task's metadata.
    for step in run:
        for task in step:
            if task.metadata_dict.get("attempt_ok") == "False":
                return step.id
    return None


def _describe(latest: str) -> str:
    return "successful" if latest == "latest-successful" else "finished"


def _latest(flow, which: str, namespace: str | None):
    """The newest run by its end step's finish time ("latest": any run whose end
    step ran, which resolve_run then refuses if it failed; "latest-successful":
    the newest successful one). Not Metaflow's newest-first order: with local
    metadata, tagging rewrites a run's timestamp (DESIGN section 5)."""
    runs = flow.runs(namespace) if namespace else flow.runs()
    return _newest_finished(runs, successful_only=which == "latest-successful")


def _newest_finished(runs, *, successful_only: bool, exclude: str | None = None):
    best, best_time = None, None
    for run in runs:
        if run.pathspec == exclude or (successful_only and not run.successful):
            continue
        finished = run.finished_at  # the end step's; None while it has not run
        if finished is not None and (best_time is None or finished > best_time):
            best, best_time = run, finished
    return best


def _flow_exists(name: str) -> bool:
    from metaflow import Flow
    from metaflow.exception import MetaflowNotFound

    try:
        Flow(name)
        return True
    except MetaflowNotFound:
        return False


def one_line(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "message", "") or exc).split())
    return text or type(exc).__name__


def get_run(pathspec: str):
    """The Metaflow Run object for a resolved pathspec (global namespace)."""
    from metaflow import Run

    with global_namespace():
        return Run(pathspec)


def split_artifact(name: str) -> tuple[str | None, str]:
    """``"model_dict"`` -> (None, "model_dict"): the end step's; ``"start/valdf"`` -> ("start", "valdf")."""
    if name.count("/") > 1 or not name.strip("/") or name.startswith("/") or name.endswith("/"):
        raise GateUsageError(f"artifact {name!r} is not 'name' or 'step/name'")
    step, _, artifact = name.rpartition("/")
    return (step or None), artifact


def check_artifact(pathspec: str, name: str) -> None:
    """A GateUsageError when the run has no such artifact (nothing is loaded)."""
    _task_data(pathspec, name)


def load_artifact(pathspec: str, name: str) -> Any:
    data, artifact = _task_data(pathspec, name)
    with global_namespace():
        try:
            return getattr(data, artifact)
        except Exception as exc:  # unpickling can raise anything (a missing module, say)
            raise GateUsageError(
                f"cannot load artifact {name!r} of {pathspec}: {type(exc).__name__}: {one_line(exc)}"
            ) from None


def _task_data(pathspec: str, name: str):
    step, artifact = split_artifact(name)
    with global_namespace():
        run = get_run(pathspec)
        try:
            task = run[step].task if step else run.end_task
        except KeyError:
            steps = ", ".join(s.id for s in run)
            raise GateUsageError(f"run {pathspec} has no step {step!r} (steps: {steps})") from None
        data = task.data if task is not None else None
        if data is None or artifact not in data:
            where = f"step {step!r}" if step else "its end step"
            have = ", ".join(sorted(a for a in dir(data) if not a.startswith("_"))) if data else ""
            hint = f" (it has: {have})" if have else ""
            raise GateUsageError(f"run {pathspec} has no artifact {artifact!r} in {where}{hint}")
        return data, artifact


def find_champion(candidate: str, tag: str) -> str | None:
    """The deployed model to beat: the newest successful run of the candidate's
    flow that carries ``tag``, other than the candidate itself."""
    return deployed_run(candidate.split("/")[0], tag, exclude=candidate)


def deployed_run(flow_name: str, tag: str = "deployment_candidate", *, exclude: str | None = None) -> str | None:
    """Pathspec of the newest successful run of ``flow_name`` carrying ``tag``, or None.

    "Newest" is by the end step's finish time, not the run's timestamp: with
    local metadata, adding a tag rewrites the run's timestamp (DESIGN section
    5), so Metaflow's own newest-first order crowns whichever run was tagged last.
    """
    from metaflow import Flow
    from metaflow.exception import MetaflowNotFound

    with global_namespace():
        try:
            best = _newest_finished(Flow(flow_name).runs(tag), successful_only=True, exclude=exclude)
        except MetaflowNotFound:
            return None
        except _metaflow_errors() as exc:
            raise GateUsageError(f"cannot look up tagged runs of {flow_name}: {one_line(exc)}") from None
    return best.pathspec if best is not None else None


def resolve_baseline_run(spec: str, candidate: str | None) -> str:
    """A baseline run named by the user: ``Flow/run_id``, or a run id of the candidate's flow."""
    flow = None if "/" in spec or candidate is None else candidate.split("/")[0]
    pathspec = resolve_run(parse_run_spec(spec, flow))
    if pathspec == candidate:
        raise GateUsageError(f"baseline run {spec} is the candidate run itself")
    return pathspec


def resolve_champion(candidate: str | None, tag: str, baseline_run: str | None = None) -> tuple[str | None, str]:
    """The champion's pathspec (or ``--baseline-run``'s), or None and why there is none."""
    if baseline_run:
        return resolve_baseline_run(baseline_run, candidate), ""
    if candidate is None:
        return None, "no champion: the gate was not told which run it is evaluating"
    champion = find_champion(candidate, tag)
    if champion is None:
        flow = candidate.split("/")[0]
        return None, f"no champion yet: no other successful run of {flow} carries the tag {tag!r}"
    return champion, ""
