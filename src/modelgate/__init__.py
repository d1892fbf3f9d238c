"""modelgate: a model quality gate for Metaflow runs, as a library and a pytest plugin.

Imports are lazy (PEP 562) so that ``import modelgate`` and loading the pytest
plugin stay cheap: nothing here imports TensorFlow, Metaflow or scikit-learn
until a name that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Gate": "gate",
    "GateCheckFailed": "errors",
    "assert_beats": "gate",
    "assert_check": "gate",
    "assert_smoke": "gate",
    "MarginCheck": "checks",
    "PropertyCheck": "checks.properties",
    "SmokeCheck": "checks",
    "FloorCheck": "checks.floors",
    "Check": "checks",
    "CheckResult": "verdict",
    "Verdict": "verdict",
    "GateRunner": "runner",
    "Evaluation": "evidence.evaluation",
    "Evidence": "evidence.evaluation",
    "evaluate": "evidence.evaluation",
    "as_scorer": "evidence.scorers",
    "SmokeCase": "smoke",
    "load_smoke_cases": "smoke",
    "tag_current_run": "metaflow_io.tagging",
    "smoke_cases": "plugin",
    "deployed_run": "metaflow_io.runs",
    "load_config": "config",
    "GateUsageError": "errors",
    "MetaflowUnavailable": "errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .checks import Check, MarginCheck, SmokeCheck
    from .errors import GateCheckFailed, GateUsageError, MetaflowUnavailable
    from .evidence.evaluation import Evaluation, Evidence, evaluate
    from .checks.floors import FloorCheck
    from .gate import Gate, assert_beats, assert_check, assert_smoke
    from .checks.properties import PropertyCheck
    from .runner import GateRunner
    from .verdict import CheckResult, Verdict
    from .evidence.scorers import as_scorer
    from .smoke import SmokeCase, load_smoke_cases
    from .config import load_config
    from .plugin import smoke_cases
    from .metaflow_io.runs import deployed_run
    from .metaflow_io.tagging import tag_current_run


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'modelgate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
