"""Smoke test of benchmarks/worlds.py: one tiny cell runs through the public API."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

# importing the module (scipy's stats, optimize and integrate) takes ~3 s on the development machine
pytestmark = pytest.mark.slow

WORLDS_PY = Path(__file__).resolve().parents[2] / "benchmarks" / "worlds.py"


@pytest.fixture(scope="module")
def worlds():
    spec = importlib.util.spec_from_file_location("bench_worlds", WORLDS_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_one_tiny_cell_gives_rates_in_unit_interval(worlds) -> None:
    result = worlds.run_cell(worlds.Cell("tiny", "roc_auc", "floor", 10, trials=20, seed=1))
    assert 0.0 <= result["rate"] <= 1.0
    assert 0.0 <= result["inconclusive"] <= 1.0
    assert 0.0 <= result["power"] <= 1.0
    assert result["truth"] == pytest.approx(0.98)


def test_a_world_sample_and_its_truth(worlds) -> None:
    world = worlds.build_world("regression-outliers")
    y, c, b = world.sample(30, np.random.default_rng(0))
    assert y.shape == c.shape == b.shape == (30,)
    truth = world.truth("rmse")
    assert truth.difference("rmse") == pytest.approx(0.1)
    assert math.isfinite(world.truth("mae").candidate)
