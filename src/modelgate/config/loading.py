"""Reading a TOML file's ``[tool.modelgate]`` table, however the file misspells it."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from ..errors import GateUsageError
from .gate_config import GateConfig, parse_table

# The last parse of each file, with the bytes it was parsed from: find_config()
# and then load_config() on the same file parse it once, and a file that
# changed in between (a test rewriting it) is parsed again.
_PARSED: dict[Path, tuple[bytes, dict[str, Any]]] = {}


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a document; GateUsageError naming the file when it cannot be read or parsed."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GateUsageError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise GateUsageError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    key = path.resolve()
    cached = _PARSED.get(key)
    if cached is not None and cached[0] == data:
        return cached[1]
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GateUsageError(f"config file {path} is not valid TOML: {exc}") from None
    if len(_PARSED) >= 32:
        _PARSED.clear()
    _PARSED[key] = (data, document)
    return document


def gate_table(document: dict[str, Any], path: Path) -> Any:
    """``document["tool"]["modelgate"]`` however the TOML spells it, or None.

    A ``[tool.X]`` table named within a typo of ``modelgate`` (``model_gate``,
    ``modelgate_``, ``ModelGate``) is a GateUsageError naming the file: skipped,
    it would let the search fall through to another config, or to none.
    """
    for key, value in document.items():  # [modelgate], [tools.modelgate], [Tool.modelgate]: never read
        if key == "tool":
            continue
        if key.lower() == "modelgate" or misspelt(key):
            shown = key
        elif isinstance(value, dict) and _near(key, "tool"):
            shown = next((f"{key}.{n}" for n in value if n == "modelgate" or misspelt(n)), "")
        else:
            shown = ""
        if shown:
            raise GateUsageError(f"config file {path}: unknown table [{shown}]: did you mean [tool.modelgate]?")
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise GateUsageError(f"config file {path}: 'tool' is not a table")
    near = next((name for name in tool if misspelt(name)), None)
    if near is not None:
        raise GateUsageError(f"config file {path}: unknown table [tool.{near}]: did you mean [tool.modelgate]?")
    return tool.get("modelgate")


def _near(name: str, word: str) -> bool:
    """``name`` is ``word`` give or take case, ``-``/``_`` and a letter."""
    folded = name.lower().replace("-", "").replace("_", "")
    return folded == word or difflib.SequenceMatcher(None, folded, word).ratio() >= 0.75


def misspelt(name: str) -> bool:
    """``name`` is not ``modelgate`` but within a typo of it (case, ``-``/``_``, a letter or two)."""
    if name == "modelgate":
        return False
    folded = name.lower().replace("-", "").replace("_", "")
    return folded == "modelgate" or difflib.SequenceMatcher(None, name.lower(), "modelgate").ratio() >= 0.85


def load_config(path: str | Path, *, required: bool = False) -> GateConfig:
    """The ``[tool.modelgate]`` table of a TOML file (empty config when it has none;
    with ``required``, a GateUsageError)."""
    path = Path(path)
    table = gate_table(read_toml(path), path)
    if table is None:
        if required:
            raise GateUsageError(f"config file {path} has no [tool.modelgate] table")
        return GateConfig(source=path)
    return parse_table(table, path.resolve())
