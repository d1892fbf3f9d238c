"""Validation rows cut into shards, scored apart, merged back in row order.

GateFlow scores each shard in a task of its own (a Metaflow ``foreach``). The
merge is where a wrong verdict could slip in: a shard lost, scored twice, or
scored on other rows would still give arrays of plausible scores. So the merge
takes nothing on trust: the shards must be exactly the plan's, each once, each
with one score a row for the same baselines; anything else is an error, never
a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import GateUsageError

__all__ = ["Shard", "ShardScores", "merge_shards", "plan_shards"]


@dataclass(frozen=True)
class Shard:
    """Rows ``start`` (inclusive) to ``stop`` (exclusive) of the validation frame, shard ``index`` of ``count``."""

    index: int
    count: int
    start: int
    stop: int

    @property
    def rows(self) -> int:
        return self.stop - self.start

    def describe(self) -> str:
        return f"shard {self.index + 1} of {self.count} (rows {self.start}-{self.stop - 1})"


@dataclass(frozen=True)
class ShardScores:
    """What one shard's task made: its shard and each scored model's scores on its rows."""

    shard: Shard
    scores: Mapping[str, np.ndarray]


def plan_shards(n_rows: int, *, shards: int = 0, rows_per_shard: int = 0) -> list[Shard]:
    """Cut ``n_rows`` rows into contiguous shards of near-equal size: ``shards`` of them, or
    as many as ``rows_per_shard`` rows each need (one shard when neither is given). Never
    more shards than rows, never an empty one."""
    if n_rows < 1:
        raise GateUsageError("there are no validation rows to shard")
    if shards < 0 or rows_per_shard < 0:
        raise GateUsageError(f"shards ({shards}) and rows_per_shard ({rows_per_shard}) cannot be negative")
    if shards and rows_per_shard:
        raise GateUsageError("give shards or rows_per_shard, not both")
    count = shards or (math.ceil(n_rows / rows_per_shard) if rows_per_shard else 1)
    count = min(count, n_rows)
    bounds = [round(i * n_rows / count) for i in range(count + 1)]
    return [Shard(i, count, bounds[i], bounds[i + 1]) for i in range(count)]


def merge_shards(parts: Sequence[ShardScores], plan: Sequence[Shard], n_rows: int) -> dict[str, np.ndarray]:
    """Each model's scores on all ``n_rows`` rows, in row order, from the shards' parts.

    GateUsageError when the plan does not cover the rows once, a shard of the plan is
    missing or came twice, a part's shard is not the plan's, a part scored other models
    than the rest, or has not one score a row of its shard.
    """
    edges = [0, *(edge for shard in sorted(plan, key=lambda s: s.start) for edge in (shard.start, shard.stop)), n_rows]
    if not plan or any(edges[i] != edges[i + 1] for i in range(0, len(edges), 2)):
        raise GateUsageError(f"the shard plan ({_plan(plan)}) does not cover the {n_rows} validation rows once")
    planned = {shard.index: shard for shard in plan}
    seen: dict[int, ShardScores] = {}
    for part in parts:
        index = part.shard.index
        if planned.get(index) != part.shard:
            raise GateUsageError(f"{part.shard.describe()} is not a shard of this gate's plan ({_plan(plan)})")
        if index in seen:
            raise GateUsageError(f"{part.shard.describe()} was scored twice: no verdict on doubled rows")
        seen[index] = part
    missing = [planned[i].describe() for i in sorted(set(planned) - set(seen))]
    if missing:
        raise GateUsageError(f"{', '.join(missing)} came back with no scores: no verdict on missing rows")
    ordered = [seen[shard.index] for shard in sorted(plan, key=lambda s: s.start)]
    names = set(ordered[0].scores)
    for part in ordered:
        if set(part.scores) != names:
            raise GateUsageError(
                f"{part.shard.describe()} scored {sorted(part.scores)}, another shard {sorted(names)}: "
                "every shard must score the same models"
            )
        for name, scores in part.scores.items():
            if len(scores) != part.shard.rows:
                raise GateUsageError(
                    f"{part.shard.describe()}: {name} has {len(scores)} scores for {part.shard.rows} rows"
                )
    return {name: np.concatenate([np.asarray(p.scores[name], dtype=float) for p in ordered]) for name in names}


def _plan(plan: Sequence[Shard]) -> str:
    covered = sum(shard.rows for shard in plan)
    return f"{len(plan)} shards of {covered} rows"


def as_part(raw: Mapping[str, Any]) -> ShardScores:
    """A shard task's artifact (plain dicts, as Metaflow stores them) as a ShardScores."""
    return ShardScores(Shard(**raw["shard"]), {k: np.asarray(v) for k, v in raw["scores"].items()})
