"""The fast tier against the oldest and the newest supported libraries.

    nox -s oldest    # pytest, Metaflow, pandas, numpy, scikit-learn pinned to pyproject's floors
    nox -s newest    # the same libraries at their latest releases

Each session installs the package (not editable, so the wheel is what is
tested) with its dev extra into its own env under .nox/, then runs the tests
that need no TensorFlow: `-m "not slow"`. docs/index.md#supported-versions
records the last run of both.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nox

PYTHON = "3.11"
# The libraries whose range the matrix covers; the others resolve freely.
MATRIX = ("pytest", "metaflow", "pandas", "numpy", "scikit-learn")
FAST_TIER = ("-m", "not slow", "-p", "no:cacheprovider", "-q")

nox.options.sessions = ["oldest", "newest"]


def floors() -> list[str]:
    """`name==floor` for each MATRIX library, read from pyproject's dependencies."""
    dependencies = tomllib.loads(Path("pyproject.toml").read_text())["project"]["dependencies"]
    pins = {}
    for requirement in dependencies:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)\s*(?:,.*)?", requirement)
        if match and match.group(1).lower() in MATRIX:
            pins[match.group(1).lower()] = f"{match.group(1)}=={match.group(2)}"
    missing = set(MATRIX) - set(pins)
    if missing:
        raise ValueError(f"pyproject.toml has no `>=` floor for {sorted(missing)}")
    return [pins[name] for name in MATRIX]


def fast_tier(session: nox.Session, *pins: str) -> None:
    # The pins go in the same resolve as the package, so pip cannot upgrade them away.
    session.install(".[dev]", *pins)
    session.run("python", "-m", "pip", "freeze", silent=False)
    session.run("python", "-m", "pytest", *FAST_TIER, *session.posargs)


@nox.session(python=PYTHON)
def oldest(session: nox.Session) -> None:
    """The fast tier with the pyproject floors of pytest, Metaflow, pandas, numpy and scikit-learn."""
    fast_tier(session, *floors())


@nox.session(python=PYTHON)
def newest(session: nox.Session) -> None:
    """The fast tier with the latest releases (pip's default)."""
    fast_tier(session, "--upgrade", *MATRIX)
