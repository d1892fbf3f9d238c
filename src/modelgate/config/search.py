"""Which config file a front end uses: the named one, else the nearest
``pyproject.toml`` with a ``[tool.modelgate]`` table, never above the project root."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import GateUsageError
from .gate_config import GateConfig
from .loading import gate_table, load_config, read_toml

# A folder holding .git (a folder; a file in a git worktree or submodule) or one of these is a project root...
PROJECT_FILES = ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "setup.py")
# ...and so is one whose pyproject.toml declares a project. One with only [tool.modelgate] does not:
# a planted /tmp/pyproject.toml must not make /tmp a project.
PROJECT_TABLES = ("project", "build-system")


def project_root(folder: Path) -> str:
    """Why ``folder`` is a project root, said for people ("" : it is not one)."""
    if (folder / ".git").exists():
        return f"the repository root {folder}"
    marker = next((name for name in PROJECT_FILES if (folder / name).is_file()), None)
    pyproject = folder / "pyproject.toml"
    if marker is None and pyproject.is_file():
        document = read_toml(pyproject)
        tool = document.get("tool")
        if any(t in document for t in PROJECT_TABLES) or (isinstance(tool, dict) and "pytest" in tool):
            marker = "pyproject.toml"
    return f"the project root {folder} ({marker})" if marker else ""


def _search_folders(start: Path, here: Path) -> tuple[list[Path], str]:
    """The folders searched from one start, nearest first, and where the search stops.

    Up to the first project root (inclusive). With none above the start, up to
    ``here`` (the folder the gate runs from) when the start is inside it, else
    the start's own folder only: a folder above is never anyone's project.
    """
    folder = start if start.is_dir() else start.parent
    chain = [folder, *folder.parents]
    # A folder anyone can write to (/tmp, /var/tmp, /dev/shm) is nobody's project: its
    # pyproject.toml, with a [project] table or not, may have been planted by another user.
    shared = next((f for f in chain if _writable_by_others(f)), None)
    if shared is not None:
        chain = chain[: chain.index(shared)]
        if not chain:
            return [], f"{shared}, which is writable by anyone (not searched)"
    # Inside a git repository its root is the boundary: a lint-only setup.cfg or tox.ini in a
    # subfolder must not hide the repository's gate table. Outside one, the first project file is.
    repository = next((i for i, candidate in enumerate(chain) if (candidate / ".git").exists()), None)
    if repository is not None:
        return chain[: repository + 1], project_root(chain[repository])
    for i, candidate in enumerate(chain):
        root = project_root(candidate)
        if root:
            return chain[: i + 1], root
    if folder.is_relative_to(here) and here in chain:
        return chain[: chain.index(here) + 1], f"the folder it runs from, {here} (no project root above it)"
    if shared is not None and folder.is_relative_to(here):
        return chain, f"{chain[-1]} (no project root above it; {shared} above it is writable by anyone)"
    return [folder], "its own folder (no project root above it)"


def _writable_by_others(folder: Path) -> bool:
    """A shared temporary folder: writable by anyone, with the sticky bit (/tmp). A
    checkout made with umask 0 (777, no sticky bit: some CI runners) is not one."""
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    return bool(mode & stat.S_IWOTH and mode & stat.S_ISVTX)


def _shown(path: Path, here: Path) -> str:
    """A path as the user knows it: relative to the folder the gate runs from when inside it."""
    if path.is_relative_to(here) and path != here:
        return str(path.relative_to(here))
    return str(path)


@dataclass(frozen=True)
class ConfigChoice:
    """The config file a front end uses (None: none), and why, for the header and errors."""

    path: Path | None
    why: str
    shown: str = ""

    def __str__(self) -> str:
        return f"{self.shown or self.path or 'none'} ({self.why})"


def find_config(starts: Sequence[Path], here: Path, what: str = "test path") -> ConfigChoice:
    """The ``pyproject.toml`` with a ``[tool.modelgate]`` table for these starts, and why.

    The rule, the same for every front end: from each start (a test path, a
    folder or a file's folder; ``promote``: the current folder) the search
    walks up to the first project root, a folder holding ``.git`` (a folder or
    a file), ``pytest.ini``, ``tox.ini``, ``setup.cfg``, ``setup.py`` or a
    ``pyproject.toml`` with a ``[project]``, ``[build-system]`` or
    ``[tool.pytest...]`` table, and takes the nearest ``pyproject.toml`` with
    a ``tool.modelgate`` table. Nothing above that root is read, even when
    pytest took a ``pyproject.toml`` above it as its rootdir; so the search
    never leaves the repository it starts in (its root holds ``.git``). With
    no project root above a start, the search stops at ``here``, the folder
    the gate runs from (a start outside it: its own folder only). Each
    candidate is parsed as TOML (an invalid one is a GateUsageError naming
    it). Every start must lead to the same config (or all to none): test paths
    with different configs are a GateUsageError. With no starts, the search
    starts at ``here``.
    """
    # Absolute, but symlinks kept: the search walks up the path pytest collects (and takes
    # its rootdir from), not the one a linked suite folder points to.
    here = Path(os.path.abspath(here))
    found: dict[Path, tuple[Path | None, str]] = {}
    for start in [Path(os.path.abspath(Path(here, s))) for s in starts] or [here]:
        folders, stop = _search_folders(start, here)
        candidates = (f / "pyproject.toml" for f in folders)
        config = next((c for c in candidates if c.is_file() and gate_table(read_toml(c), c) is not None), None)
        found[start] = (config, stop)
    (first, (config, stop)), *rest = found.items()
    other = next(((s, c) for s, (c, _) in rest if c != config), None)
    if other is not None:
        names = [_shown(c, here) if c else "no config" for c in (config, other[1])]
        raise GateUsageError(
            f"test paths {_shown(first, here)} and {_shown(other[0], here)} use different gate configs "
            f"({names[0]}, {names[1]}): run them in separate sessions or pass --gate-config"
        )
    if config is None:
        return ConfigChoice(None, f"no [tool.modelgate] between {_shown(first, here)} and {stop}")
    return ConfigChoice(
        config, f"nearest [tool.modelgate] above the {what} {_shown(first, here)}", _shown(config, here)
    )


def choose_config(
    named: str | None, starts: Sequence[Path], here: Path, what: str = "test path"
) -> tuple[GateConfig, ConfigChoice]:
    """The config of a front end, and why: the file ``named`` (``--gate-config``,
    relative to ``here``; it must have the table), else :func:`find_config`'s.
    Errors in the file say which file it is, and why it was chosen."""
    if named:
        path = Path(here, named)
        choice = ConfigChoice(path.resolve(), "--gate-config", named)
    else:
        choice = find_config(starts, here, what)
    try:
        return (load_config(choice.path, required=bool(named)) if choice.path else GateConfig()), choice
    except GateUsageError as exc:  # a bad key or value: say in which file, and why that file
        raise GateUsageError(f"{exc}; gate config: {choice}") from None
