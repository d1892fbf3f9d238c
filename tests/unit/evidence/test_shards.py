"""Validation rows cut into shards and merged back: nothing lost, nothing doubled, row order kept."""

import numpy as np
import pytest

from modelgate.errors import GateUsageError
from modelgate.evidence.shards import Shard, ShardScores, merge_shards, plan_shards


@pytest.mark.parametrize(
    ("n", "options", "sizes"),
    [
        (10, {}, [10]),
        (10, {"shards": 3}, [3, 4, 3]),
        (10, {"rows_per_shard": 4}, [3, 4, 3]),
        (3, {"shards": 8}, [1, 1, 1]),  # never an empty shard
        (1_000_000, {"shards": 4}, [250_000] * 4),
    ],
)
def test_a_plan_covers_every_row_once_in_order(n, options, sizes):
    plan = plan_shards(n, **options)
    assert [s.rows for s in plan] == sizes
    assert [s.index for s in plan] == list(range(len(plan)))
    assert plan[0].start == 0 and plan[-1].stop == n
    assert all(a.stop == b.start for a, b in zip(plan, plan[1:]))


@pytest.mark.parametrize(
    ("n", "options", "message"),
    [
        (0, {}, "no validation rows"),
        (10, {"shards": 2, "rows_per_shard": 5}, "not both"),
        (10, {"shards": -1}, "cannot be negative"),
    ],
)
def test_a_plan_that_cannot_be_made_is_one_line(n, options, message):
    with pytest.raises(GateUsageError, match=message):
        plan_shards(n, **options)


def parts_of(plan, scores):
    return [ShardScores(s, {name: v[s.start : s.stop] for name, v in scores.items()}) for s in plan]


SCORES = {"candidate": np.linspace(0, 1, 10), "champion": np.linspace(1, 0, 10)}


def test_the_merge_puts_every_row_back_in_order_whatever_order_the_shards_came_in():
    plan = plan_shards(10, shards=3)
    parts = parts_of(plan, SCORES)
    merged = merge_shards(parts[::-1], plan, 10)
    assert set(merged) == set(SCORES)
    for name, values in SCORES.items():
        np.testing.assert_array_equal(merged[name], values)


def test_a_lost_shard_is_an_error_never_a_verdict():
    plan = plan_shards(10, shards=3)
    with pytest.raises(GateUsageError, match=r"shard 2 of 3 \(rows 3-6\) came back with no scores"):
        merge_shards(parts_of(plan, SCORES)[::2], plan, 10)


def test_a_doubled_shard_is_an_error_never_a_verdict():
    plan = plan_shards(10, shards=3)
    parts = parts_of(plan, SCORES)
    with pytest.raises(GateUsageError, match=r"shard 1 of 3 \(rows 0-2\) was scored twice"):
        merge_shards([*parts, parts[0]], plan, 10)


def test_a_shard_of_another_plan_is_an_error():
    plan = plan_shards(10, shards=3)
    parts = parts_of(plan, SCORES)
    other = parts_of(plan_shards(10, shards=2), SCORES)[0]
    with pytest.raises(GateUsageError, match="is not a shard of this gate's plan"):
        merge_shards([other, *parts[1:]], plan, 10)


def test_shards_that_scored_other_models_are_an_error():
    plan = plan_shards(10, shards=2)
    parts = parts_of(plan, SCORES)
    parts[1] = ShardScores(parts[1].shard, {"candidate": parts[1].scores["candidate"]})
    with pytest.raises(GateUsageError, match="every shard must score the same models"):
        merge_shards(parts, plan, 10)


def test_a_shard_with_a_score_too_few_is_an_error():
    plan = plan_shards(10, shards=2)
    parts = parts_of(plan, SCORES)
    parts[0] = ShardScores(parts[0].shard, {**parts[0].scores, "champion": parts[0].scores["champion"][:-1]})
    with pytest.raises(GateUsageError, match="champion has 4 scores for 5 rows"):
        merge_shards(parts, plan, 10)


@pytest.mark.parametrize(
    "plan",
    [
        [Shard(0, 2, 0, 4), Shard(1, 2, 5, 10)],  # a gap: row 4
        [Shard(0, 2, 0, 6), Shard(1, 2, 5, 10)],  # an overlap: row 5 twice
        [Shard(0, 1, 0, 9)],  # short of the rows
        [],
    ],
)
def test_a_plan_that_does_not_cover_the_rows_once_is_an_error(plan):
    with pytest.raises(GateUsageError, match="does not cover the 10 validation rows once"):
        merge_shards(parts_of(plan, SCORES), plan, 10)
