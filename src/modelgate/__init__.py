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
    "MarginCheck": "checks",
    "PropertyCheck": "properties",
    "SmokeCheck": "checks",
    "FloorCheck": "floors",
    "Check": "checks",
    "CheckResult": "verdict",
    "Verdict": "verdict",
    "GateRunner": "runner",
    "Evaluation": "evaluation",
    "Evidence": "evaluation",
    "evaluate": "evaluation",
    "as_scorer": "scorers",
    "SmokeCase": "smoke",
    "load_smoke_cases": "smoke",
    "tag_current_run": "tagging",
    "smoke_cases": "plugin.fixtures",
    "deployed_run": "runs",
    "load_config": "config",
    "GateUsageError": "errors",
    "MetaflowUnavailable": "errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .checks import Check, MarginCheck, SmokeCheck
    from .errors import GateCheckFailed, GateUsageError, MetaflowUnavailable
    from .evaluation import Evaluation, Evidence, evaluate
    from .floors import FloorCheck
    from .gate import Gate
    from .properties import PropertyCheck
    from .runner import GateRunner
    from .verdict import CheckResult, Verdict
    from .scorers import as_scorer
    from .smoke import SmokeCase, load_smoke_cases
    from .config import load_config
    from .plugin.fixtures import smoke_cases
    from .runs import deployed_run
    from .tagging import tag_current_run


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'modelgate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
