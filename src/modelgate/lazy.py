"""A module imported on its first attribute read (for optional, heavy imports)."""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands in for ``name`` until an attribute is read, then imports it once."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)
