"""Apply and revoke the gate's tag, verified by reading the run again.

Only the gate's own tag is ever added or removed; system tags and other user
tags are left alone. Metaflow's local metadata does not lock tag writes, so
every write is checked by re-reading the run.

A write or a tag read that meets Metaflow's tagging conflicts (other processes
changing the run's tags at the same moment, after Metaflow's own retries) or
a 5xx answer of the metadata service is tried again, a bounded number of
times with growing, jittered delays (``TAG_WRITE_DELAYS``). Anything else (a
refused tag, a run that does not exist, a write that does not stick, a write
Metaflow already retried ten times) fails at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from ..errors import TagWriteError
from ..names import DEFAULT_TAG
from .outages import describe_error, is_server_error
from .runs import get_run, global_namespace

__all__ = ["apply_tag", "describe_error", "has_tag", "is_retriable", "revoke_tag", "tag_current_run", "user_tags"]
T = TypeVar("T")

if TYPE_CHECKING:
    from metaflow.metaflow_current import Current


# Seconds to wait before the 2nd and 3rd attempt of a tag write (each plus up to
# half again, at random, so that competing writers spread out): three attempts,
# at most about 4 s of our own waiting. Each attempt runs Metaflow's own retries
# first (about 30 s against a service that keeps failing), so a write that
# never succeeds gives up after about 100 s.
TAG_WRITE_DELAYS: tuple[float, ...] = (0.5, 2.0)


def is_retriable(exc: BaseException) -> bool:
    """Worth another try: a tagging conflict, or a 5xx answer of the metadata service.
    (A connection that fails is retried by Metaflow itself, 5 times over about 15 s.)

    Not Metaflow's ``Tagging failed after 10 tries``: Metaflow has retried that
    write ten times already (about 30 s), and the code it gave up on may be a
    401, 403 or 404 that no retry fixes. Not ``Metadata service says: ...``
    (400/422: the tag is refused).
    """
    from metaflow.exception import MetaflowTaggingError

    if isinstance(exc, MetaflowTaggingError):
        return "conflicting updates" in str(exc)
    return is_server_error(exc)


def _with_retries(action: Callable[[], T]) -> T:
    for delay in (*TAG_WRITE_DELAYS, None):
        try:
            return action()
        except Exception as exc:
            if delay is None or not is_retriable(exc):
                raise
        time.sleep(delay * random.uniform(1.0, 1.5))
    raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises


def user_tags(pathspec: str) -> frozenset[str]:
    """The run's user tags, read afresh; a 5xx answer is retried as for a write."""
    return _with_retries(lambda: _read_tags(pathspec))


def has_tag(pathspec: str, tag: str = DEFAULT_TAG) -> bool:
    return tag in user_tags(pathspec)


def _read_tags(pathspec: str) -> frozenset[str]:  # within a write, which is retried as a whole
    return get_run(pathspec).user_tags


def apply_tag(pathspec: str, tag: str = DEFAULT_TAG) -> None:
    def write() -> None:
        with global_namespace():
            get_run(pathspec).add_tag(tag)
        if tag not in _read_tags(pathspec):
            raise TagWriteError(f"tag {tag!r} was written to {pathspec} but is not there on re-reading")

    _with_retries(write)


def revoke_tag(pathspec: str, tag: str = DEFAULT_TAG) -> bool:
    """Remove the tag; True when the run carried it."""
    carried = False  # True once any attempt saw the tag (a retry may find it gone: removed by that attempt)

    def write() -> None:
        nonlocal carried
        if tag not in _read_tags(pathspec):
            return
        carried = True
        with global_namespace():
            get_run(pathspec).remove_tag(tag)
        if tag in _read_tags(pathspec):
            raise TagWriteError(f"tag {tag!r} was removed from {pathspec} but is still there on re-reading")

    _with_retries(write)
    return carried


def tag_current_run(current: Current, tag: str = DEFAULT_TAG) -> str:
    """Inside a running flow step: tag this run; returns its pathspec."""
    from ..config import validate_tag

    validate_tag(tag, "tag_current_run(tag=...)")  # GateUsageError before any write
    pathspec = f"{current.flow_name}/{current.run_id}"
    apply_tag(pathspec, tag)
    return pathspec
