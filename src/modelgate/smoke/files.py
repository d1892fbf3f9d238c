"""Reading a smoke-case file (``.csv``, ``.jsonl``, ``.parquet``) into rows of columns, refusing
what a reader would silently drop (a column written twice)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .messages import short


class SmokeCaseFileError(ValueError):
    """A smoke-case file that cannot be loaded; the message names the file and place."""


def file_place(path: Path, where: str | None, column: str | None = None) -> str:
    parts = [str(path)]
    if where:
        parts.append(where)
    if column:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


def _refuse_doubled(columns: Sequence[str], place: str) -> None:
    """Two columns (keys) of one name would give a case two values for it: refuse, naming it."""
    seen: set[str] = set()
    for column in columns:
        if column and column in seen:
            raise SmokeCaseFileError(
                f"{place}: column {short(column)} is written twice; keep one (a case takes one value a column)"
            )
        seen.add(column)


def _object_once(place: str) -> Any:
    """A json ``object_pairs_hook`` that refuses a key written twice in one object."""

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        _refuse_doubled([key for key, _ in pairs], place)
        return dict(pairs)

    return build


def _read_csv(path: Path) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                raise SmokeCaseFileError(f"{path}: empty file (no header, no cases)")
            columns = [h.strip() for h in header]
            _refuse_doubled(columns, f"{path}, line 1")
            rows = []
            for values in reader:
                if not any(v.strip() for v in values):
                    continue  # blank line
                where = f"line {reader.line_num}"
                if len(values) > len(columns):
                    raise SmokeCaseFileError(f"{path}, {where}: {len(values)} fields but the header has {len(columns)}")
                rows.append((where, dict(zip(columns, values))))
        except csv.Error as exc:
            why = str(exc)
            if "field limit" in why:
                why = f"a field is longer than the CSV field limit ({csv.field_size_limit()} characters)"
            else:
                why = f"cannot be parsed ({short(why, 120)})"
            raise SmokeCaseFileError(f"{path}, line {reader.line_num}: {why}") from None
    return columns, rows


def _read_jsonl(path: Path) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    columns: dict[str, None] = {}
    rows = []
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"line {number}"
            try:
                obj = json.loads(line, object_pairs_hook=_object_once(f"{path}, {where}"))
            except SmokeCaseFileError:  # a key written twice (the hook): already one line
                raise
            except json.JSONDecodeError as exc:
                raise SmokeCaseFileError(f"{path}, {where}: invalid JSON ({exc.msg})") from None
            except RecursionError:  # e.g. [[[[...]]]] 200,000 deep
                raise SmokeCaseFileError(f"{path}, {where}: invalid JSON (nested too deeply)") from None
            except ValueError as exc:  # e.g. an integer beyond int's digit limit
                why = short(str(exc).split(":")[0], 80)
                raise SmokeCaseFileError(f"{path}, {where}: invalid JSON ({why})") from None
            if not isinstance(obj, dict):
                raise SmokeCaseFileError(f"{path}, {where}: expected a JSON object, got {type(obj).__name__}")
            _refuse_doubled([str(k).strip() for k in obj], f"{path}, {where}")
            obj = {str(k).strip(): v for k, v in obj.items()}
            columns.update(dict.fromkeys(obj))
            rows.append((where, obj))
    return list(columns), rows


def _read_parquet(path: Path) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise SmokeCaseFileError(f"{path}: not a readable parquet file ({exc})") from None
    columns = [c.strip() for c in table.column_names]
    _refuse_doubled(columns, str(path))
    rows = [(f"row {i}", dict(zip(columns, record.values()))) for i, record in enumerate(table.to_pylist(), start=1)]
    return columns, rows


READERS = {
    ".csv": _read_csv,
    ".jsonl": _read_jsonl,
    ".ndjson": _read_jsonl,
    ".parquet": _read_parquet,
}
