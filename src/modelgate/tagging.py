"""Apply and revoke the gate's tag, verified by reading the run again.

Only the gate's own tag is ever added or removed; system tags and other user
tags are left alone. Metaflow's local metadata does not lock tag writes, so
every write is checked by re-reading the run (DESIGN section 5).

A write that meets Metaflow's tagging conflicts (other processes changing the
run's tags at the same moment, after Metaflow's own retries) or a 5xx answer of
the metadata service is tried again, a bounded number of times with growing,
jittered delays (``TAG_WRITE_DELAYS``). Anything else (a refused tag, a run
that does not exist, a write that does not stick) fails at once.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Callable

from .errors import TagWriteError
from .names import DEFAULT_TAG
from .runs import get_run, global_namespace

if TYPE_CHECKING:
    from metaflow.metaflow_current import Current


# Seconds to wait before the 2nd and 3rd attempt of a tag write (each plus up to
# half again, at random, so that competing writers spread out): three attempts,
# at most about 4 s of our own waiting. Each attempt runs Metaflow's own retries
# first (about 30 s against a service that keeps failing), so a write that
# never succeeds gives up after about 100 s.
TAG_WRITE_DELAYS: tuple[float, ...] = (0.5, 2.0)


def is_retriable(exc: BaseException) -> bool:
    """A tagging conflict, or a 5xx answer of the metadata service: worth another try."""
    from metaflow.exception import MetaflowException, MetaflowTaggingError

    if isinstance(exc, MetaflowTaggingError):
        # Metaflow's words once its own retries are spent: on conflicts (409s, or
        # a local read-back that lost a race) or on other failing answers (5xx).
        # Not "Metadata service says: ..." (400/422: the tag is refused).
        message = str(exc)
        return "conflicting updates" in message or message.startswith("Tagging failed after")
    code = getattr(exc, "http_code", None)  # metaflow's ServiceException
    return isinstance(exc, MetaflowException) and isinstance(code, int) and 500 <= code <= 599


def _with_retries(write: Callable[[], None]) -> None:
    for delay in (*TAG_WRITE_DELAYS, None):
        try:
            write()
            return
        except Exception as exc:
            if delay is None or not is_retriable(exc):
                raise
        time.sleep(delay * random.uniform(1.0, 1.5))


# What an unreachable metadata service's error says (urllib3's nested repr), in a few words.
_UNREACHABLE = (
    ("connection refused", "connection refused"),
    ("timed out", "timed out"),
    ("connection reset", "connection reset"),
    ("name or service not known", "unknown host"),
    ("temporary failure in name resolution", "unknown host"),
)


def describe_error(exc: BaseException) -> str:
    """An error of a tag read or write in one short line. A metadata service that
    cannot be reached (once Metaflow's own retries are spent) is said as such, with
    its URL, rather than as urllib3's nested ``HTTPConnectionPool(...)`` text."""
    from .runs import one_line

    if type(exc).__module__.split(".")[0] in ("requests", "urllib3") or isinstance(exc, ConnectionError):
        text = str(exc).lower()
        why = next((short for words, short in _UNREACHABLE if words in text), type(exc).__name__)
        try:
            from metaflow.metaflow_config import SERVICE_URL
        except Exception:  # pragma: no cover - Metaflow's configuration could not be read
            SERVICE_URL = None
        where = f" at {SERVICE_URL}" if SERVICE_URL else ""
        return f"the metadata service{where} cannot be reached ({why})"
    line = one_line(exc)
    return line if len(line) <= 300 else line[:297] + "..."


def user_tags(pathspec: str) -> frozenset[str]:
    return get_run(pathspec).user_tags


def has_tag(pathspec: str, tag: str = DEFAULT_TAG) -> bool:
    return tag in user_tags(pathspec)


def apply_tag(pathspec: str, tag: str = DEFAULT_TAG) -> None:
    def write() -> None:
        with global_namespace():
            get_run(pathspec).add_tag(tag)
        if not has_tag(pathspec, tag):
            raise TagWriteError(f"tag {tag!r} was written to {pathspec} but is not there on re-reading")

    _with_retries(write)


def revoke_tag(pathspec: str, tag: str = DEFAULT_TAG) -> bool:
    """Remove the tag; True when the run carried it."""
    carried = False  # True once any attempt saw the tag (a retry may find it gone: removed by that attempt)

    def write() -> None:
        nonlocal carried
        if not has_tag(pathspec, tag):
            return
        carried = True
        with global_namespace():
            get_run(pathspec).remove_tag(tag)
        if has_tag(pathspec, tag):
            raise TagWriteError(f"tag {tag!r} was removed from {pathspec} but is still there on re-reading")

    _with_retries(write)
    return carried


def tag_current_run(current: Current, tag: str = DEFAULT_TAG) -> str:
    """Inside a running flow step: tag this run; returns its pathspec."""
    from .config import validate_tag

    validate_tag(tag, "tag_current_run(tag=...)")  # GateUsageError before any write
    pathspec = f"{current.flow_name}/{current.run_id}"
    apply_tag(pathspec, tag)
    return pathspec
