"""Apply and revoke the gate's tag, verified by reading the run again.

Only the gate's own tag is ever added or removed; system tags and other user
tags are left alone. Metaflow's local metadata does not lock tag writes, so
every write is checked by re-reading the run (DESIGN section 5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import TagWriteError
from .names import DEFAULT_TAG
from .runs import get_run, global_namespace

if TYPE_CHECKING:
    from metaflow.metaflow_current import Current


def user_tags(pathspec: str) -> frozenset[str]:
    return get_run(pathspec).user_tags


def has_tag(pathspec: str, tag: str = DEFAULT_TAG) -> bool:
    return tag in user_tags(pathspec)


def apply_tag(pathspec: str, tag: str = DEFAULT_TAG) -> None:
    with global_namespace():
        get_run(pathspec).add_tag(tag)
    if not has_tag(pathspec, tag):
        raise TagWriteError(f"tag {tag!r} was written to {pathspec} but is not there on re-reading")


def revoke_tag(pathspec: str, tag: str = DEFAULT_TAG) -> bool:
    """Remove the tag; True when the run carried it."""
    if not has_tag(pathspec, tag):
        return False
    with global_namespace():
        get_run(pathspec).remove_tag(tag)
    if has_tag(pathspec, tag):
        raise TagWriteError(f"tag {tag!r} was removed from {pathspec} but is still there on re-reading")
    return True


def tag_current_run(current: Current, tag: str = DEFAULT_TAG) -> str:
    """Inside a running flow step: tag this run; returns its pathspec."""
    from .config import validate_tag

    validate_tag(tag, "tag_current_run(tag=...)")  # GateUsageError before any write
    pathspec = f"{current.flow_name}/{current.run_id}"
    apply_tag(pathspec, tag)
    return pathspec
