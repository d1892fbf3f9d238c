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
    "Gate": "in_flow",
    "gate": "step_gate",
    "GateCheckFailed": "errors",
    "MarginCheck": "checks.margin",
    "PropertyCheck": "checks.properties",
    "SmokeCheck": "checks.smoke",
    "FloorCheck": "checks.floors",
    "Check": "checks.kinds",
    "CheckResult": "verdict",
    "Verdict": "verdict",
    "GateRunner": "runner",
    "Evaluation": "evidence.evaluation",
    "evaluate": "evidence.evaluation",
    "as_scorer": "evidence.scorers",
    "SmokeCase": "smoke.cases",
    "load_smoke_cases": "smoke.loading",
    "tag_current_run": "metaflow_io.tagging",
    "smoke_cases": "plugin.fixtures",
    "deployed_run": "metaflow_io.runs",
    "history": "metaflow_io.records",
    "load_config": "config.loading",
    "GateUsageError": "errors",
    "MetaflowUnavailable": "errors",
}

# Spelled out (not sorted(_EXPORTS)) so that linters and type checkers see the public names.
__all__ = [
    "Check",
    "CheckResult",
    "Evaluation",
    "FloorCheck",
    "Gate",
    "GateCheckFailed",
    "GateRunner",
    "GateUsageError",
    "MarginCheck",
    "MetaflowUnavailable",
    "PropertyCheck",
    "SmokeCase",
    "SmokeCheck",
    "Verdict",
    "as_scorer",
    "deployed_run",
    "evaluate",
    "gate",
    "history",
    "load_config",
    "load_smoke_cases",
    "smoke_cases",
    "tag_current_run",
]

if TYPE_CHECKING:
    from .checks import Check, MarginCheck, SmokeCheck
    from .checks.floors import FloorCheck
    from .checks.properties import PropertyCheck
    from .config import load_config
    from .errors import GateCheckFailed, GateUsageError, MetaflowUnavailable
    from .evidence.evaluation import Evaluation, evaluate
    from .evidence.scorers import as_scorer
    from .in_flow import Gate
    from .metaflow_io.records import history
    from .metaflow_io.runs import deployed_run
    from .metaflow_io.tagging import tag_current_run
    from .plugin.fixtures import smoke_cases
    from .runner import GateRunner
    from .smoke import SmokeCase, load_smoke_cases
    from .step_gate import gate
    from .verdict import CheckResult, Verdict


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'modelgate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
