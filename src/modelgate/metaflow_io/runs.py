"""Metaflow I/O: resolve a run spec, load artifacts.

Every function here turns Metaflow's failures into a :class:`GateUsageError`
with one line a person can act on, naming the run it is about by its role:
the *candidate* (the run being gated), the *champion*, or a *baseline*; an
outage (the metadata service or S3 unreachable, a 5xx) is a
:class:`~modelgate.errors.MetaflowUnavailable` instead (:mod:`modelgate.outages`).
Metaflow is imported lazily.

Namespaces: an explicit ``Flow/run_id`` resolves in the global namespace (a CI
job running as root, or another user's run, must still be found). ``latest``
resolves in the namespace given, by default the current user's, else global.
Metaflow's client asks for the user name whenever it builds an object in the
default namespace, and raises when it cannot guess one (root in CI), so all
access goes through :func:`global_namespace`.

Unreadable runs: Metaflow lists a flow's runs by reading every run's metadata
at once, so one run with an empty or truncated ``_meta/_self.json`` (a full
disk, a killed process) would break every champion lookup and ``latest`` for
the whole flow. Such runs are skipped, each with an :class:`UnreadableRunWarning`
that names it; the pytest plugin shows these warnings in the session header.
A run whose read fails on an outage is never skipped: the outage is raised.

The client cache: loading an artifact unpickles it, and Metaflow's client
caches artifact blobs in a directory it trusts without a check (by default
``/tmp/metaflow_client``, shared by every user of the host). Before any
artifact is loaded, :func:`use_private_client_cache` points Metaflow at a cache
directory that only the current user can write to.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import GateUsageError, GateWarning
from ..names import (
    BRANCH_SCOPE,
    CANDIDATE,
    DEFAULT_TAG,
    FLOW_SCOPE,
    KNOWN_BASELINES,
    PROJECT_SCOPE,
    SCOPES,
)
from . import pickles
from .outages import is_unavailable, one_line, unavailable

if TYPE_CHECKING:  # Metaflow is imported lazily at run time
    from metaflow import Flow, Run
    from metaflow.client.core import MetaflowData
    from metaflow.exception import MetaflowException

LATEST = ("latest", "latest-successful")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# A run id never starts with '.': Metaflow would read 'Flow/.' as the flow's
# own metadata and 'Flow/..' as the datastore's.
_RUN_ID = r"[A-Za-z0-9_:\-][A-Za-z0-9_.:\-]*"


class UnreadableRunWarning(GateWarning):
    """A run whose metadata Metaflow cannot read was skipped (``pathspec``, ``reason``)."""

    def __init__(self, message: str, pathspec: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.pathspec = pathspec
        self.reason = reason


class UnknownRunError(GateUsageError):
    """The run (or its flow) does not exist where Metaflow looks."""


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


def _looks_like_a_flow(spec: str) -> bool:
    return bool(re.fullmatch(_NAME, spec)) and (spec[0].isupper() or "flow" in spec.lower())


def _flow_name_hint(spec: str) -> str:
    return (
        f"--model-run {spec!r} looks like a flow name: give {spec}/<run id>, "
        f"or --model-flow {spec} with a run id or 'latest'"
    )


def parse_run_spec(spec: str, flow: str | None = None) -> RunSpec:
    """``Flow/run_id``; a bare ``run_id``, ``latest`` or ``latest-successful`` with ``flow``."""
    spec = (spec or "").strip()
    given = spec
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
        if _looks_like_a_flow(spec):
            raise GateUsageError(_flow_name_hint(spec))
        raise GateUsageError(f"--model-run {spec!r} names no flow: use Flow/run_id, or add --model-flow")
    elif spec == flow:
        raise GateUsageError(_flow_name_hint(spec))
    if spec in LATEST:
        return RunSpec(flow, latest=spec)
    if not re.fullmatch(_RUN_ID, spec):
        raise GateUsageError(
            f"--model-run {given!r}: {spec!r} is not a run id (letters, digits, '_', '-', ':' "
            "and '.', not starting with '.')"
        )
    return RunSpec(flow, run_id=spec)


@contextmanager
def global_namespace() -> Iterator[None]:
    """Run Metaflow client calls in the global namespace, then restore the caller's."""
    from metaflow.client import core

    saved = core.current_namespace  # may be False: "not resolved yet"
    # Metaflow's module global is inferred as bool from its initial False;
    # metaflow.namespace(None) stores None there too (global namespace).
    core.current_namespace = None  # type: ignore[assignment]
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
                "--gate-namespace=user: Metaflow cannot tell who you are (running as root?); "
                "set METAFLOW_USER or pass --gate-namespace=global"
            )
        return found
    return namespace


def _unless_unavailable(what: str, exc: BaseException) -> None:
    """An outage (the service or the datastore unreachable, a 5xx) is MetaflowUnavailable:
    not bad input, and never a reason to skip a run."""
    if is_unavailable(exc):
        raise unavailable(what, exc) from None


def _metaflow_errors() -> type[MetaflowException]:
    from metaflow.exception import MetaflowException

    return MetaflowException


def metaflow_location() -> str:
    """Where Metaflow's client looks for flows and runs, for error messages."""
    try:
        from metaflow import get_metadata
        from metaflow import metaflow_config as config

        provider, _, info = get_metadata().partition("@")
    except Exception as exc:  # a broken configuration: say so rather than hide the first error
        return f"Metaflow's configured metadata (which cannot be read: {one_line(exc)})"
    profile = os.environ.get("METAFLOW_PROFILE")
    profile = f", profile {profile}" if profile else ""
    if provider == "local":
        sysroot = getattr(config, "DATASTORE_SYSROOT_LOCAL", None)
        if sysroot:
            return (
                f"local metadata at {os.path.join(sysroot, '.metaflow')} "
                f"(METAFLOW_DATASTORE_SYSROOT_LOCAL={sysroot}{profile})"
            )
        if info.startswith("<") or not info:
            return (
                f"local metadata, but there is no .metaflow folder in {os.getcwd()} or above it "
                f"(METAFLOW_DATASTORE_SYSROOT_LOCAL is not set{profile})"
            )
        return (
            f"local metadata at {os.path.join(info, '.metaflow')}, the .metaflow folder found from "
            f"{os.getcwd()} up (METAFLOW_DATASTORE_SYSROOT_LOCAL is not set{profile})"
        )
    if provider == "service":
        return f"the metadata service at {info or getattr(config, 'SERVICE_URL', '?')}{profile}"
    return f"{provider} metadata at {info}{profile}"


def unknown_flow_message(flow: str) -> str:
    """Why Metaflow knows no flow of this name: a near name it does know (a wrong
    case, a typo), else the place it looked, where a stray variable is the usual cause."""
    close = close_flow_names(flow)
    if close:
        names = " or ".join(repr(name) for name in close)
        return (
            f"unknown flow {flow!r}: did you mean {names}? Flow names are case-sensitive "
            f"(flows found in {metaflow_location()})"
        )
    return (
        f"unknown flow {flow!r}: Metaflow has no runs of it in {metaflow_location()}; "
        "a missing or stray METAFLOW_* variable (METAFLOW_PROFILE, METAFLOW_DEFAULT_METADATA, "
        "METAFLOW_DATASTORE_SYSROOT_LOCAL, METAFLOW_SERVICE_URL) is the usual cause"
    )


def close_flow_names(flow: str, limit: int = 3) -> list[str]:
    """Flows Metaflow knows whose name is close to ``flow`` (:func:`close_names`);
    [] when the flows cannot be listed."""
    from metaflow import Metaflow

    try:
        with global_namespace():
            known = sorted(f.id for f in Metaflow().flows)
    except Exception:  # only a hint: the message without it still says where Metaflow looked
        return []
    return close_names(flow, known, limit)


def close_names(flow: str, known: list[str], limit: int = 3) -> list[str]:
    """The names in ``known`` that differ from ``flow`` only by case; else near
    spellings (difflib, ratio 0.8 or more); [] when none is close."""
    import difflib

    same = [name for name in known if name.lower() == flow.lower() and name != flow]
    if same:  # a wrong case is the answer: near spellings ('WineFlow' for 'Tinyflow') would only distract
        return same[:limit]
    near = difflib.get_close_matches(flow.lower(), [name.lower() for name in known], n=limit, cutoff=0.8)
    return [name for low in near for name in known if name.lower() == low and name != flow][:limit]


def _run_words(role: str | None, pathspec: str) -> str:
    return f"{role} run {pathspec}" if role else f"run {pathspec}"


def resolve_run(spec: RunSpec, namespace: str | None = None, *, role: str = CANDIDATE) -> str:
    """The pathspec of a finished, successful run, or a GateUsageError.

    ``latest`` is the newest run of the flow (by the time its start step
    began), refused unless it finished successfully; ``latest-successful`` is
    the newest successful run.
    """
    from metaflow import Flow, Run
    from metaflow.exception import MetaflowNotFound

    with global_namespace():
        try:
            if spec.run_id is not None:
                run = Run(spec.pathspec)
            else:
                ns = resolve_namespace(namespace)
                where = f" in namespace {ns}" if ns else " in the global namespace"
                newest = _latest(Flow(spec.flow), spec.latest, ns)
                if newest is None:
                    raise GateUsageError(f"flow {spec.flow} has no {_describe(spec.latest)}run{where}")
                run = newest
        except MetaflowNotFound:
            if not _flow_exists(spec.flow):
                raise UnknownRunError(unknown_flow_message(spec.flow)) from None
            raise UnknownRunError(
                f"unknown {_run_words(role, str(spec))}: {spec.flow} has no such run in {metaflow_location()}"
            ) from None
        except _metaflow_errors() as exc:
            _unless_unavailable(f"cannot read {_run_words(role, str(spec))}", exc)
            raise GateUsageError(f"cannot read {_run_words(role, str(spec))} from Metaflow: {one_line(exc)}") from None
        except (ValueError, KeyError, TypeError, OSError) as exc:  # its own metadata is broken
            _unless_unavailable(f"cannot read {_run_words(role, str(spec))}", exc)
            raise GateUsageError(
                f"cannot read {_run_words(role, str(spec))}: Metaflow cannot read its metadata "
                f"({type(exc).__name__}: {one_line(exc)})"
            ) from None
        try:
            if run.successful:
                return run.pathspec
            failed = _failed_step(run)
        except Exception as exc:
            _unless_unavailable(f"cannot read the state of {_run_words(role, run.pathspec)}", exc)
            raise GateUsageError(
                f"cannot read the state of {_run_words(role, run.pathspec)}: {one_line(exc)}"
            ) from None
    if spec.latest == "latest":
        who = f"the newest run of {spec.flow}, {run.pathspec},"
        hint = "'latest' is the newest run; use latest-successful for the newest successful one"
    else:
        who = _run_words(role, run.pathspec)
        hint = "only a successful run can be " + {CANDIDATE: "gated", "promoted": "promoted"}.get(role, f"the {role}")
    if failed:
        raise GateUsageError(f"{who} failed in step {failed!r}: {hint}")
    raise GateUsageError(f"{who} has not finished: {hint}")


def _failed_step(run: Run) -> str | None:
    """The first step with a task whose last attempt ended in failure, if any."""
    # Only on the error path: it reads every task's metadata.
    for step in run:
        for task in step:
            if task.metadata_dict.get("attempt_ok") == "False":
                return step.id
    return None


def _describe(latest: str | None) -> str:
    return "successful " if latest == "latest-successful" else ""


def _latest(flow: Flow, which: str | None, namespace: str | None) -> Run | None:
    """ "latest": the newest run of the flow, whatever its state (resolve_run
    refuses it unless it succeeded); "latest-successful": the newest
    successful run. Newest by the time the run's start step began (the run's
    own timestamp when its start step has not begun): not Metaflow's
    newest-first order, since with local metadata tagging rewrites a run's
    timestamp, while a step's is never rewritten."""
    tags = (namespace,) if namespace else ()
    started: list[tuple[datetime, str, Run]] = []
    for run in _runs_of(flow, *tags):
        ok, when = _read(run, _started_at)
        if ok:
            started.append((when, run.id, run))
    started.sort(key=lambda item: item[:2], reverse=True)
    for _, _, run in started:
        if which == "latest":
            return run
        ok, successful = _read(run, lambda r: r.successful)
        if ok and successful:
            return run
    return None


def _started_at(run: Run) -> datetime:
    try:
        return run["start"].created_at
    except KeyError:  # registered, but its start step has not begun
        return run.created_at


def _newest_finished(runs: Iterable[Run], *, successful_only: bool, exclude: str | None = None) -> Run | None:
    """The run whose end step finished last (only successful ones with
    ``successful_only``), skipping ``exclude`` and unreadable runs."""
    best: Run | None = None
    best_time: datetime | None = None
    for run in runs:
        if run.pathspec == exclude:
            continue
        ok, state = _read(run, lambda r: (not successful_only or r.successful, r.finished_at))
        if not ok or not state[0]:
            continue
        finished = state[1]  # the end step's; None while it has not run
        if finished is not None and (best_time is None or finished > best_time):
            best, best_time = run, finished
    return best


def _runs_of(flow: Flow, *tags: str) -> list[Run]:
    """The runs of ``flow`` carrying every tag in ``tags`` (global namespace),
    skipping with an :class:`UnreadableRunWarning` those Metaflow cannot read."""
    try:
        return list(flow.runs(*tags))
    except Exception as exc:  # Metaflow reads all runs at once: one broken run breaks the list
        _unless_unavailable(f"cannot list the runs of {flow.id}", exc)
        listing_error = exc
    return list(_runs_one_by_one(flow, tags, listing_error))


def _runs_one_by_one(flow: Flow, tags: tuple[str, ...], listing_error: Exception) -> Iterator[Run]:
    """Local metadata only: each run folder of the flow read on its own."""
    from metaflow import Run

    provider = getattr(getattr(flow, "_metaflow", None), "metadata", None)
    flow_dir = None
    if provider is not None and getattr(provider, "TYPE", None) == "local":
        try:
            flow_dir = provider._make_path(flow.id, create_on_absent=False)
        except Exception:
            flow_dir = None
    if not flow_dir or not os.path.isdir(flow_dir):
        raise GateUsageError(
            f"cannot list the runs of {flow.id}: {type(listing_error).__name__}: {one_line(listing_error)}"
        )
    for entry in sorted(os.listdir(flow_dir)):
        self_file = os.path.join(flow_dir, entry, "_meta", "_self.json")
        if entry.startswith((".", "_")) or not os.path.isfile(self_file):
            continue
        pathspec = f"{flow.id}/{entry}"
        try:
            run = Run(pathspec)
            if all(tag in run.tags for tag in tags):
                yield run
        except Exception as exc:
            _warn_unreadable(pathspec, exc, self_file)


def _read(run: Run, what: Callable[[Run], Any]) -> tuple[bool, Any]:
    """``(True, what(run))``, or ``(False, None)`` with a warning when the run's metadata is unreadable."""
    try:
        return True, what(run)
    except Exception as exc:
        _unless_unavailable(f"cannot read run {run.pathspec}", exc)
        _warn_unreadable(run.pathspec, exc)
        return False, None


def _warn_unreadable(pathspec: str, exc: Exception, path: str | None = None) -> None:
    reason = f"{type(exc).__name__}: {one_line(exc)}"
    detail = f"{path}: {reason}" if path else reason
    message = (
        f"skipped run {pathspec}: Metaflow cannot read its metadata ({detail}); "
        "repair or delete that run's metadata to silence this"
    )
    warnings.warn(UnreadableRunWarning(message, pathspec, reason), stacklevel=2)


def _flow_exists(name: str) -> bool:
    from metaflow import Flow
    from metaflow.exception import MetaflowNotFound

    try:
        Flow(name)
        return True
    except MetaflowNotFound:
        return False
    except Exception as exc:
        _unless_unavailable(f"cannot read flow {name}", exc)
        raise


def get_run(pathspec: str) -> Run:
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


def check_artifact(pathspec: str, name: str, role: str | None = None) -> None:
    """A GateUsageError when the run has no such artifact (nothing is loaded)."""
    _task_data(pathspec, name, role)


def load_artifact(pathspec: str, name: str, role: str | None = None) -> Any:
    """Unpickle an artifact, through a private client cache (:func:`use_private_client_cache`).

    One that cannot be unpickled here is a GateUsageError saying what differs
    between the run and this environment (:func:`~modelgate.metaflow_io.pickles.why_not_loaded`:
    the missing module, scikit-learn's and Python's versions); one that loads with
    scikit-learn's version warning warns a :class:`~modelgate.metaflow_io.pickles.ModelVersionWarning`.
    """
    from ..quiet import tensorflow_quieted

    data, artifact = _task_data(pathspec, name, role)
    use_private_client_cache()
    what = f"artifact {name!r} of {_run_words(role, pathspec)}"
    with warnings.catch_warnings(record=True) as caught, global_namespace():
        warnings.simplefilter("always")
        try:
            with tensorflow_quieted():  # unpickling a Keras model imports TensorFlow
                value = getattr(data, artifact)
        except Exception as exc:  # unpickling can raise anything (a missing module, say)
            _unless_unavailable(f"cannot load {what}", exc)
            failure: Exception | None = exc
        else:
            failure = None
    if failure is not None:
        why = pickles.why_not_loaded(failure, caught, python_version_of(pathspec))
        raise GateUsageError(f"cannot load {what}: {type(failure).__name__}: {one_line(failure)}{why}")
    pickles.pass_on(caught, what)
    return value


def python_version_of(pathspec: str) -> str | None:
    """The Python version a run was made with (its ``python_version:`` system tag), or None."""
    try:
        with global_namespace():
            tags = get_run("/".join(pathspec.split("/")[:2])).system_tags
    except Exception:  # only a hint in an error message: never a second error
        return None
    return next((t.split(":", 1)[1] for t in tags if t.startswith("python_version:")), None)


def artifact_sha(pathspec: str, name: str) -> str | None:
    """The content hash Metaflow keeps for an artifact ('name' or 'step/name'); None when it
    cannot be read (only what a report says depends on it, never a verdict)."""
    step, artifact = split_artifact(name)
    with global_namespace():
        try:
            run = get_run(pathspec)
            task = run[step].task if step else run.end_task
            return str(task[artifact].sha) if task is not None else None
        except Exception:  # an old datastore, an outage: the note is left out
            return None


def _task_data(pathspec: str, name: str, role: str | None = None) -> tuple[MetaflowData, str]:
    step, artifact = split_artifact(name)
    who = _run_words(role, pathspec)
    with global_namespace():
        run = get_run(pathspec)
        try:
            task = run[step].task if step else run.end_task
        except KeyError:
            steps = ", ".join(s.id for s in run)
            raise GateUsageError(f"{who} has no step {step!r} (steps: {steps})") from None
        except Exception as exc:
            _unless_unavailable(f"cannot read {who}", exc)
            raise
        try:
            data = task.data if task is not None else None
            has_artifact = data is not None and artifact in data
        except Exception as exc:
            _unless_unavailable(f"cannot read the artifacts of {who}", exc)
            raise
        if data is None or not has_artifact:
            where = f"step {step!r}" if step else "its end step"
            have = ", ".join(sorted(a for a in dir(data) if not a.startswith("_"))) if data else ""
            hint = f" (it has: {have})" if have else ""
            raise GateUsageError(f"{who} has no artifact {artifact!r} in {where}{hint}")
        return data, artifact


# -- the client cache -------------------------------------------------------------
_CACHE_ENV = "METAFLOW_CLIENT_CACHE_PATH"


def _configured_client_cache() -> str | None:
    """The cache directory the user chose: the environment, else Metaflow's config files."""
    if os.environ.get(_CACHE_ENV):
        return os.environ[_CACHE_ENV]
    try:
        from metaflow import metaflow_config_funcs as funcs
    except ImportError:
        return None
    for table in (funcs.METAFLOW_LOCAL_CONFIG, funcs.METAFLOW_CONFIG):
        if isinstance(table, dict) and table.get(_CACHE_ENV):
            return str(table[_CACHE_ENV])
    return None


def private_cache_default() -> str:
    """The gate's own cache: ``$XDG_CACHE_HOME`` (or ``~/.cache``) ``/modelgate/metaflow-client``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset or relative: the XDG default
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "modelgate", "metaflow-client")


def _refuse_cache(path: str, problem: str) -> GateUsageError:
    return GateUsageError(
        f"the Metaflow client cache {path} {problem}: loading a model unpickles what is cached "
        f"there, so whoever can write to it can run code in this session; use a directory only "
        f"you can write to (or set {_CACHE_ENV} to one)"
    )


def _check_private(path: str) -> None:
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.stat(path)
    except OSError as exc:
        raise _refuse_cache(path, f"cannot be created: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise _refuse_cache(path, "is not a directory")
    if os.name != "posix":  # no POSIX owner and mode bits to check (Windows: per-user profile folders)
        return
    if info.st_uid != os.getuid():
        raise _refuse_cache(path, f"is owned by another user (uid {info.st_uid})")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        who = "everyone" if info.st_mode & stat.S_IWOTH else "its group"
        raise _refuse_cache(path, f"is writable by {who} (mode {stat.S_IMODE(info.st_mode):o})")


def use_private_client_cache() -> str:
    """Point Metaflow's client cache at a directory only this user can write to.

    The directory is ``$METAFLOW_CLIENT_CACHE_PATH`` (or ``CLIENT_CACHE_PATH``
    in Metaflow's config files) when the user set one, else
    :func:`private_cache_default`, never Metaflow's shared default. It is
    created with mode 0700; one owned by another user or writable by group or
    others is refused (GateUsageError). Metaflow reads its configuration at
    import, so besides the environment variable (for subprocesses) this sets
    the module attributes its FileCache reads, and drops a client cache
    already built elsewhere. Cheap; called before every artifact load.
    """
    path = os.path.abspath(os.path.expanduser(_configured_client_cache() or private_cache_default()))
    _check_private(path)
    from metaflow import metaflow_config
    from metaflow.client import core, filecache

    os.environ[_CACHE_ENV] = path
    metaflow_config.CLIENT_CACHE_PATH = path
    filecache.CLIENT_CACHE_PATH = path  # FileCache() reads this module global
    current = core.filecache  # the client's shared FileCache, if one was built already
    if current is not None and os.path.abspath(str(current.cache_dir)) != path:
        core.filecache = None  # rebuilt on the next load, from the attribute above
    return path


# -- champions and baselines ---------------------------------------------------------
ANY = "*"  # deployed_run(project=ANY / branch=ANY): not filtered (no project is named "*")


def project_of(run: Run) -> tuple[str | None, str | None]:
    """``(project, branch)`` from a run's ``project:`` and ``project_branch:`` system
    tags (``@project``), or ``(None, None)`` for a run without ``@project``."""
    project = branch = None
    for tag in run.system_tags:
        if tag.startswith("project:"):
            project = tag[len("project:") :]
        elif tag.startswith("project_branch:"):
            branch = tag[len("project_branch:") :]
    return project, branch


def namespace_of(run: Run) -> str | None:
    """The namespace a run was made in: its ``user:NAME`` or ``production:TOKEN``
    system tag (Metaflow gives every run exactly one), or None."""
    return next((t for t in run.system_tags if t.startswith(("user:", "production:"))), None)


@dataclass(frozen=True)
class ChampionScope:
    """Which runs of a flow may be the champion: those whose ``@project`` tags match.

    ``project``/``branch``: a name (the run must carry it), None (the run must
    carry no project tags) or :data:`ANY` (not filtered). ``namespace``: a
    ``user:``/``production:`` tag the run must carry, or :data:`ANY`; it is the
    branch of a flow without ``@project``. Made from a candidate by
    :func:`champion_scope`.
    """

    flow: str
    kind: str = FLOW_SCOPE
    project: str | None = ANY
    branch: str | None = ANY
    namespace: str = ANY

    def matches(self, run: Run) -> bool:
        project, branch = project_of(run)
        if self.project != ANY and project != self.project:
            return False
        if self.branch != ANY and branch != self.branch:
            return False
        return self.namespace == ANY or self.namespace in run.system_tags

    def describe(self) -> str:
        """``branch user.alice of project nlp``, ``any branch of project nlp``,
        ``runs of Flow without @project in namespace user:alice``,
        ``runs of Flow without @project``, ``any run of Flow``."""
        if self.project == ANY:
            return f"any run of {self.flow}" if self.branch == ANY else f"branch {self.branch} of {self.flow}"
        if self.project is None:
            where = "" if self.namespace == ANY else f" in namespace {self.namespace}"
            return f"runs of {self.flow} without @project{where}"
        if self.branch == ANY:
            return f"any branch of project {self.project}"
        return f"branch {self.branch} of project {self.project}"


def champion_scope(candidate: str, kind: str = BRANCH_SCOPE) -> ChampionScope:
    """The runs that may be ``candidate``'s champion under ``champion_scope = kind``.

    "branch": runs of the candidate's project branch; "project": runs of its
    project, any branch; "flow": every run of the flow. For a candidate without
    ``@project``, its namespace is its branch: "branch" means the flow's runs
    without ``@project`` made in the candidate's namespace (``user:alice``, or a
    deployment's ``production:TOKEN``), and "project" those of any namespace. A
    project's runs are never the champion of a run outside it, nor the reverse.
    """
    flow = candidate.split("/")[0]
    if kind == FLOW_SCOPE:
        return ChampionScope(flow, kind)
    if kind not in (BRANCH_SCOPE, PROJECT_SCOPE):
        raise GateUsageError(f"unknown champion scope {kind!r}; use one of {', '.join(SCOPES)}")
    from metaflow.exception import MetaflowNotFound

    with global_namespace():
        try:
            run = get_run(candidate)
            (project, branch), namespace = project_of(run), namespace_of(run)
        except MetaflowNotFound:
            raise UnknownRunError(f"unknown run {candidate}: no such run in {metaflow_location()}") from None
        except Exception as exc:
            _unless_unavailable(f"cannot read the project tags of {candidate}", exc)
            if not isinstance(exc, _metaflow_errors()):
                raise
            raise GateUsageError(f"cannot read the project tags of {candidate}: {one_line(exc)}") from None
    if project is None:
        return ChampionScope(flow, kind, None, None, namespace if kind == BRANCH_SCOPE and namespace else ANY)
    return ChampionScope(flow, kind, project, branch if kind == BRANCH_SCOPE else ANY)


def _scope(candidate: str, scope: str | ChampionScope) -> ChampionScope:
    return scope if isinstance(scope, ChampionScope) else champion_scope(candidate, scope)


def find_champion(candidate: str, tag: str, scope: str | ChampionScope = BRANCH_SCOPE) -> str | None:
    """The deployed model to beat: the newest successful run in the candidate's
    ``scope`` (:func:`champion_scope`) that carries ``tag``, other than the candidate itself."""
    where = _scope(candidate, scope)
    return _newest_holder(where, tag, exclude=candidate)


def deployed_run(
    flow_name: str,
    tag: str = DEFAULT_TAG,
    *,
    project: str | None = ANY,
    branch: str | None = ANY,
    namespace: str = ANY,
    exclude: str | None = None,
) -> str | None:
    """Pathspec of the newest successful run of ``flow_name`` carrying ``tag``, or None.

    ``project`` and ``branch`` narrow it to runs of that ``@project`` (and
    project branch, e.g. ``"prod"``, ``"test.alpha"``, ``"user.alice"``);
    ``project=None``: runs without ``@project``; unset: any run of the flow.
    ``namespace`` (``"user:alice"``, ``"production:TOKEN"``) narrows it to runs
    made in that namespace: with ``project=None``, the champion scope of a flow
    without ``@project``. With ``champion_tag = "deployed"`` and ``promote``:
    ``deployed_run("NLPFlow", "deployed", project="nlp", branch="prod")``, or
    ``deployed_run("NLPFlow", "deployed", project=None, namespace="production:TOKEN")``.

    "Newest" is by the end step's finish time, not the run's timestamp: with
    local metadata, adding a tag rewrites the run's timestamp, so Metaflow's own
    newest-first order crowns whichever run was tagged last.
    Runs whose metadata cannot be read are skipped with an UnreadableRunWarning;
    an outage raises MetaflowUnavailable.
    """
    return _newest_holder(ChampionScope(flow_name, FLOW_SCOPE, project, branch, namespace), tag, exclude=exclude)


def _newest_holder(scope: ChampionScope, tag: str, *, exclude: str | None) -> str | None:
    try:
        holders = tagged_runs(scope, tag)
    except UnknownRunError:
        return None
    with global_namespace():
        best = _newest_finished(holders, successful_only=True, exclude=exclude)
    return best.pathspec if best is not None else None


def tagged_runs(scope: ChampionScope, tag: str) -> list[Run]:
    """Every run in ``scope`` carrying ``tag`` (any state), read afresh; unreadable ones
    skipped with a warning; UnknownRunError when the flow does not exist."""
    from metaflow import Flow
    from metaflow.exception import MetaflowNotFound

    with global_namespace():
        try:
            runs = _runs_of(Flow(scope.flow), tag)
        except MetaflowNotFound:
            raise UnknownRunError(unknown_flow_message(scope.flow)) from None
        except Exception as exc:
            _unless_unavailable(f"cannot look up tagged runs of {scope.flow}", exc)
            if not isinstance(exc, _metaflow_errors()):
                raise
            raise GateUsageError(f"cannot look up tagged runs of {scope.flow}: {one_line(exc)}") from None
        return [run for run in runs if _read(run, scope.matches) == (True, True)]


def resolve_baseline_run(spec: str, candidate: str | None) -> str:
    """A baseline run named by the user: ``Flow/run_id``, or a run id of the candidate's flow."""
    flow = None if "/" in spec or candidate is None else candidate.split("/")[0]
    pathspec = resolve_run(parse_run_spec(spec, flow), role="baseline")
    if pathspec == candidate:
        raise GateUsageError(f"baseline run {spec} is the candidate run itself")
    return pathspec


def resolve_named_baseline(name: str, candidate: str | None) -> str:
    """The run a check's ``baseline`` names when it is not one of KNOWN_BASELINES:
    ``Flow/run_id``, or a run id of the candidate's flow."""
    if "/" in name:
        return resolve_baseline_run(name, candidate)
    flow = candidate.split("/")[0] if candidate else None
    known = ", ".join(KNOWN_BASELINES)
    what = f"a run of {flow}" if flow else "a run (name one as Flow/run_id)"
    neither = f"baseline {name!r} is neither a known baseline ({known}) nor {what}"
    if flow is None:
        raise GateUsageError(neither)
    try:
        spec = parse_run_spec(name, flow)
    except GateUsageError:
        raise GateUsageError(neither) from None
    try:
        pathspec = resolve_run(spec, role="baseline")
    except UnknownRunError:
        raise GateUsageError(neither) from None
    if pathspec == candidate:
        raise GateUsageError(f"baseline run {name} is the candidate run itself")
    return pathspec


def resolve_champion(
    candidate: str | None,
    tag: str,
    baseline_run: str | None = None,
    scope: str | ChampionScope = BRANCH_SCOPE,
) -> tuple[str | None, str]:
    """The champion's pathspec (or ``--gate-baseline-run``'s), or None and why there is none."""
    if baseline_run:
        return resolve_baseline_run(baseline_run, candidate), ""
    if candidate is None:
        return None, "no champion: the gate was not told which run it is evaluating"
    where = _scope(candidate, scope)
    champion = find_champion(candidate, tag, where)
    if champion is None:
        flow = candidate.split("/")[0]
        among = "" if where.project == ANY else f" ({where.describe()})"
        return None, f"no champion yet: no other successful run of {flow}{among} carries the tag {tag!r}"
    return champion, ""
