"""A registry: named things a config can refer to (metrics, property kinds, check kinds)."""

from __future__ import annotations

from typing import Protocol, TypeVar


class _Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=_Named)


class Registry(dict[str, T]):
    """Name -> thing, in registration order; a name is registered once."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what  # "metric", "property kind", ...

    def register(self, item: T) -> T:
        if item.name in self:
            raise ValueError(f"a {self.what} named {item.name!r} is registered already")
        self[item.name] = item
        return item
