"""Checks, one kind a module: :mod:`.margin`, :mod:`.floors`, :mod:`.properties`,
:mod:`.gaps`, :mod:`.search`, :mod:`.slices` and :mod:`.smoke`; the protocol they share and the registry of kinds in :mod:`.kinds`."""

from .floors import FloorCheck
from .gaps import GapCheck
from .kinds import CHECK_KINDS, Check, CheckKind, kind_for_entry, register_check_kind
from .margin import MarginCheck, parse_margin
from .properties import PropertyCheck
from .search import SearchCheck
from .slices import SliceCheck, SliceSpec
from .smoke import SmokeCheck, smoke_result

__all__ = [
    "CHECK_KINDS",
    "Check",
    "CheckKind",
    "FloorCheck",
    "GapCheck",
    "MarginCheck",
    "PropertyCheck",
    "SearchCheck",
    "SliceCheck",
    "SliceSpec",
    "SmokeCheck",
    "kind_for_entry",
    "parse_margin",
    "register_check_kind",
    "smoke_result",
]
