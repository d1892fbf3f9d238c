"""Unpickling a model made in another environment: what differs, said in one line.

A pickle names the modules of the classes it holds and, for scikit-learn's
estimators, the scikit-learn version that wrote it. When a run's model cannot
be unpickled here (a module this environment lacks, a class a newer release
moved), the error says which module, which package version is installed here
and which Python the run was made with (its ``python_version:`` system tag)
against this one. When it loads but scikit-learn warns that it was pickled
with another release (``InconsistentVersionWarning``), the gate says so as a
:class:`ModelVersionWarning` (a line in the session header), naming both
versions: the model may not predict here as it did in its run.

No Metaflow here: the caller says which run made the pickle and with which Python.
"""

from __future__ import annotations

import platform
import warnings
from collections.abc import Sequence

from ..errors import GateWarning

__all__ = ["ModelVersionWarning", "pass_on", "why_not_loaded"]


class ModelVersionWarning(GateWarning):
    """A model was pickled with another release of a library than the one installed here."""


def _sklearn_versions(caught: Sequence[warnings.WarningMessage]) -> dict[tuple[str, str], list[str]]:
    """(pickled, installed) scikit-learn versions -> the estimators unpickled across them."""
    found: dict[tuple[str, str], list[str]] = {}
    for w in caught:
        message = w.message
        if type(message).__name__ == "InconsistentVersionWarning" and hasattr(message, "original_sklearn_version"):
            key = (str(message.original_sklearn_version), str(getattr(message, "current_sklearn_version", "?")))
            name = str(getattr(message, "estimator_name", "?"))
            if name not in found.setdefault(key, []):
                found[key].append(name)
    return found


def _sklearn_line(versions: dict[tuple[str, str], list[str]]) -> str:
    return "; ".join(
        f"pickled with scikit-learn {then}, this environment has scikit-learn {now} ({', '.join(names[:4])})"
        for (then, now), names in versions.items()
    )


def _python_line(python_then: str | None) -> str:
    here = platform.python_version()
    if not python_then:
        return f"the run's Python version is not recorded; this environment runs Python {here}"
    if python_then == here:
        return f"the run was made with Python {python_then}, and this environment runs Python {here} too"
    return f"the run was made with Python {python_then}, this environment runs Python {here}"


def _distribution_of(module: str) -> str:
    """``scikit-learn 1.9.1`` for ``sklearn.x.y`` when a distribution installed here provides
    the top-level package; "" when none does."""
    from importlib import metadata

    top = module.split(".")[0]
    try:
        names = metadata.packages_distributions().get(top, [])
    except Exception:  # a broken installation: only a hint is lost
        return ""
    for name in names:
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return ""


def _module_line(exc: BaseException) -> str:
    module = getattr(exc, "name", None)
    if not isinstance(exc, ModuleNotFoundError) or not module:
        return ""
    if module.split(".")[0] != module:  # a submodule: is its package here, in another release?
        installed = _distribution_of(module)
        if installed:
            return f"{installed} installed here has no module {module!r} (pickled with another release?)"
    return (
        f"no module {module!r} is importable here: install the package that provides it "
        "(or, for a module of the flow's own code, put its folder on PYTHONPATH)"
    )


def why_not_loaded(exc: BaseException, caught: Sequence[warnings.WarningMessage], python_then: str | None) -> str:
    """What differs between the run that pickled a model and this environment, for an
    unpickling error: the missing module (and the release installed here), the scikit-learn
    versions scikit-learn warned about, the Python versions. Starts with '; '."""
    parts = [_module_line(exc), _sklearn_line(_sklearn_versions(caught)), _python_line(python_then)]
    return "".join(f"; {part}" for part in parts if part)


def pass_on(caught: Sequence[warnings.WarningMessage], what: str) -> None:
    """Warnings caught while ``what`` was unpickled: scikit-learn's version warnings become
    one :class:`ModelVersionWarning` naming both versions; any other is warned again."""
    versions = _sklearn_versions(caught)
    if versions:
        warnings.warn(
            ModelVersionWarning(
                f"{what} was {_sklearn_line(versions)}: it loaded, but may not predict as it did in its run"
            ),
            stacklevel=3,
        )
    for w in caught:
        if type(w.message).__name__ != "InconsistentVersionWarning":
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
