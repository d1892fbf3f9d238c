"""The one bootstrap engine (modelgate.stats.bootstrap): its draws, every resampled form
against scikit-learn on resampled rows, and bounds pinned where the resampling is the
one the three earlier engines made (same B, seed and stream)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from modelgate import metrics as M
from modelgate import stats as S
from modelgate.stats import bootstrap as SB


def binary_rows(n=400, seed=2024):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.7).astype(int)
    c = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.3 * y - 0.4)))
    b = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.0 * y - 0.4)))
    return rng, y, c, b


def all_rows():
    """The data the pinned bounds were computed on: binary, 3-class and regression rows."""
    rng, y, c, b = binary_rows()
    n = y.size
    ym = rng.integers(0, 3, size=n)

    def probs(signal):
        logits = rng.normal(size=(n, 3))
        logits[np.arange(n), ym] += signal
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    mc, mb = probs(1.5), probs(1.2)
    yr = rng.normal(size=n) * 2
    rc, rb = yr + rng.normal(size=n) * 0.8, yr + rng.normal(size=n)
    return {"binary": (y, c, b), "multiclass": (ym, mc, mb), "regression": (yr, rc, rb)}


# Computed by the engines this one replaced (paired row resampling; macro F1 from confusion
# cells): the same data, B = 500, seed 3 give the same bounds and p-values to rounding.
PINNED = [
    ("paired_bootstrap_difference", "roc_auc", "binary", 0.058466542447125014, 0.001996007984031936),
    ("bootstrap_metric_bound", "roc_auc", "binary", 0.8098950671766205, 0.001996007984031936),
    ("paired_bootstrap_difference", "accuracy", "binary", 0.05500000000000004, 0.001996007984031936),
    ("bootstrap_metric_bound", "accuracy", "binary", 0.755, 0.001996007984031936),
    ("paired_bootstrap_difference", "log_loss", "binary", 0.07128930501020277, 0.001996007984031936),
    ("bootstrap_metric_bound", "log_loss", "binary", 0.4995253135294098, 0.0499001996007984),
    ("paired_bootstrap_difference", "brier", "binary", 0.03055686509661993, 0.001996007984031936),
    ("bootstrap_metric_bound", "brier", "binary", 0.164140461651637, 0.001996007984031936),
    ("task_bootstrap_difference", "accuracy", "multiclass", 0.04315773187901296, 0.003992015968063872),
    ("task_bootstrap_bound", "accuracy", "multiclass", 0.7250000000000001, 0.001996007984031936),
    ("task_bootstrap_difference", "log_loss", "multiclass", 0.05983171589893644, 0.003992015968063872),
    ("task_bootstrap_bound", "log_loss", "multiclass", 0.6443147722503713, 1.0),
    ("task_bootstrap_difference", "macro_f1", "multiclass", 0.04336779042336122, 0.005988023952095809),
    ("task_bootstrap_bound", "macro_f1", "multiclass", 0.7260652082188819, 0.001996007984031936),
    ("task_bootstrap_difference", "roc_auc_ovr", "multiclass", 0.013048593778381794, 0.00998003992015968),
    ("task_bootstrap_bound", "roc_auc_ovr", "multiclass", 0.8925706674204689, 0.001996007984031936),
    ("task_bootstrap_difference", "mae", "regression", 0.04617443891848346, 0.001996007984031936),
    ("task_bootstrap_bound", "mae", "regression", 0.6981168335190568, 1.0),
    ("task_bootstrap_difference", "rmse", "regression", 0.047050899912176605, 0.003992015968063872),
    ("task_bootstrap_bound", "rmse", "regression", 0.887441164207318, 1.0),
    ("task_bootstrap_difference", "r2", "regression", 0.02557174116843909, 0.003992015968063872),
    ("task_bootstrap_bound", "r2", "regression", 0.788936047802723, 0.001996007984031936),
]
HIGHER_IS_BETTER = {"roc_auc", "accuracy", "macro_f1", "roc_auc_ovr", "r2"}


@pytest.mark.parametrize("function, name, task, lower, p_value", PINNED)
def test_bounds_are_unchanged_where_the_resampling_is(function, name, task, lower, p_value):
    y, c, b = all_rows()[task]
    hib = name in HIGHER_IS_BETTER
    options = {"n_resamples": 500, "seed": 3}
    if function == "paired_bootstrap_difference":
        bound = S.paired_bootstrap_difference(name, y, c, b, higher_is_better=hib, margin=0.01, **options)
    elif function == "task_bootstrap_difference":
        bound = S.task_bootstrap_difference(name, task, y, c, b, higher_is_better=hib, relative=True, **options)
    else:
        one_sample = getattr(S, function)
        args = (name, y, c) if task == "binary" else (name, task, y, c)
        side = "lower" if hib else "upper"
        bound = one_sample(*args, side=side, floor=0.5, **options)
    value = bound.lower if isinstance(bound, S.DifferenceBound) else bound.bound
    assert value == pytest.approx(lower, abs=1e-12)
    assert bound.p_value == p_value


def test_draws_keep_every_stratum_size_and_are_seeded():
    chunks = list(SB.resample_counts([30, np.array([4, 0, 6]), 12], 1000, seed=5))
    w = np.concatenate(chunks)
    assert w.shape == (1000, 30 + 3 + 12)
    assert (w[:, :30].sum(axis=1) == 30).all() and (w[:, 33:].sum(axis=1) == 12).all()
    assert (w[:, 30:33].sum(axis=1) == 10).all() and (w[:, 31] == 0).all()  # an empty cell is never drawn
    again = np.concatenate(list(SB.resample_counts([30, np.array([4, 0, 6]), 12], 1000, seed=5)))
    other = np.concatenate(list(SB.resample_counts([30, np.array([4, 0, 6]), 12], 1000, seed=6)))
    assert (w == again).all() and not (w == other).all()
    # Row counts are Multinomial(n, 1/n each): mean 1, variance 1 - 1/n.
    assert w[:, :30].mean() == pytest.approx(1.0, abs=0.02)
    assert w[:, :30].var() == pytest.approx(1 - 1 / 30, rel=0.05)


def test_chunks_bound_memory_whatever_the_resamples(monkeypatch):
    monkeypatch.setattr(SB, "CHUNK_CELLS", 1000)
    sizes = [w.shape[0] for w in SB.resample_counts([150, 100], 45, seed=0)]
    assert sizes == [4] * 11 + [1]


SKLEARN_BINARY = {
    "roc_auc": skm.roc_auc_score,
    "accuracy": lambda y, s: skm.accuracy_score(y, s > 0.5),
    "log_loss": M.log_loss,  # clipped at 1e-15, as the registry's
    "brier": skm.brier_score_loss,
}


@pytest.mark.parametrize("name", sorted(SKLEARN_BINARY))
def test_each_binary_form_is_the_metric_on_the_resampled_rows(name):
    _, y, c, _ = binary_rows(n=150, seed=8)
    pos = y == 1
    order = np.concatenate([np.flatnonzero(pos), np.flatnonzero(~pos)])
    strata, (form,) = SB._binary_plan(name, pos, [c])
    (w,) = SB.resample_counts(strata, 20, seed=1)
    values = form(w)
    for r in range(20):
        rows = np.repeat(order, w[r].astype(int))
        assert values[r] == pytest.approx(SKLEARN_BINARY[name](y[rows], c[rows]), abs=1e-12)


def test_f1_cells_are_the_metric_of_the_drawn_confusion_table():
    _, y, c, b = binary_rows(n=150, seed=9)
    strata, forms = SB._binary_plan("f1", y == 1, [c, b])
    assert [len(s) for s in strata] == [4, 4]  # (candidate, baseline) predictions per class
    assert SB._points(strata, forms) == [
        pytest.approx(skm.f1_score(y, c > 0.5), abs=1e-12),
        pytest.approx(skm.f1_score(y, b > 0.5), abs=1e-12),
    ]
    (w,) = SB.resample_counts(strata, 20, seed=2)
    truth = np.repeat([1, 0], 4)
    said_c = np.tile([0, 0, 1, 1], 2)  # the cell code is candidate * 2 + baseline
    said_b = np.tile([0, 1, 0, 1], 2)
    for model, said in ((0, said_c), (1, said_b)):
        values = forms[model](w)
        for r in range(20):
            assert values[r] == pytest.approx(skm.f1_score(truth, said, sample_weight=w[r]), abs=1e-12)


def test_f1_cell_draws_have_the_distribution_of_resampled_rows():
    _, y, c, b = binary_rows(n=300, seed=10)
    cells, (cell_c, cell_b) = SB._binary_plan("f1", y == 1, [c, b])
    from_cells = SB._run([cell_c, cell_b], cells, 20000, seed=0)
    pos = y == 1
    order = np.concatenate([np.flatnonzero(pos), np.flatnonzero(~pos)])
    m = int(pos.sum())

    def row_f1(s):
        said = (s[order] > 0.5).astype(float)
        return lambda w: 2 * (w[:, :m] @ said[:m]) / (w[:, :m] @ said[:m] + w[:, m:] @ said[m:] + m)

    from_rows = SB._run([row_f1(c), row_f1(b)], [m, y.size - m], 20000, seed=1)
    for cell, row in ((from_cells[0], from_rows[0]), (from_cells[0] - from_cells[1], from_rows[0] - from_rows[1])):
        assert cell.mean() == pytest.approx(row.mean(), abs=6 * row.std() / math.sqrt(10000))
        assert cell.std() == pytest.approx(row.std(), rel=0.05)
        assert np.quantile(cell, 0.05) == pytest.approx(np.quantile(row, 0.05), abs=0.15 * row.std())


SKLEARN_MULTICLASS = {
    "accuracy": lambda y, s: skm.accuracy_score(y, s.argmax(axis=1)),
    "log_loss": M.log_loss,
    "macro_f1": lambda y, s: skm.f1_score(y, s.argmax(axis=1), average="macro"),
    "roc_auc_ovr": lambda y, s: skm.roc_auc_score(y, s, multi_class="ovr", average="macro"),
}
SKLEARN_REGRESSION = {
    "mae": skm.mean_absolute_error,
    "rmse": lambda y, s: math.sqrt(skm.mean_squared_error(y, s)),
    "r2": skm.r2_score,
}


@pytest.mark.parametrize(
    "task, name", [("multiclass", n) for n in SKLEARN_MULTICLASS] + [("regression", n) for n in SKLEARN_REGRESSION]
)
def test_each_task_form_is_the_metric_on_the_resampled_rows(task, name):
    y, c, _ = all_rows()[task]
    y, c = y[:150], c[:150]
    y, (c,), sizes = SB._task_inputs(task, y, [("scores", c)])
    order = np.argsort(y, kind="stable") if task == "multiclass" else np.arange(y.size)
    yg, cg = y[order], c[order]  # rows grouped by class, as the row forms take them
    # Rows (macro F1: the row form, which its confusion cells are checked against in test_task_metrics)
    form = SB._multiclass_form(name, yg, cg, sizes) if task == "multiclass" else SB._regression_form(name, yg, cg)
    (w,) = SB.resample_counts([int(v) for v in sizes], 20, seed=3)
    values = form(w)
    reference = {**SKLEARN_MULTICLASS, **SKLEARN_REGRESSION}[name]
    for r in range(20):
        rows = np.repeat(np.arange(yg.size), w[r].astype(int))
        assert values[r] == pytest.approx(reference(yg[rows], cg[rows]), abs=1e-10)


@pytest.mark.parametrize("relative", [False, True])
def test_the_loss_resamples_are_means_over_resampled_rows(relative):
    rng = np.random.default_rng(4)
    lc, lb = rng.exponential(0.4, 200), rng.exponential(0.5, 200)
    d = lb - lc
    got = SB.loss_resamples(d, lb if relative else None, 30, seed=9)
    (w,) = SB.resample_counts([200], 30, seed=9)
    for r in range(30):
        rows = np.repeat(np.arange(200), w[r].astype(int))
        expected = d[rows].mean() / lb[rows].mean() if relative else d[rows].mean()
        assert got[r] == pytest.approx(expected, abs=1e-12)


def test_a_named_metric_is_never_called_per_resample(monkeypatch):
    # The margin check's binary F1 went through sklearn 2,000 times; now through the cells.
    def refuse(*args, **kwargs):
        raise AssertionError("a resampled form must not call the metric")

    monkeypatch.setattr(skm, "f1_score", refuse)
    _, y, c, b = binary_rows(n=300, seed=11)
    bound = S.paired_bootstrap_difference("f1", y, c, b, n_resamples=2000)
    assert bound.defined and bound.method == "paired bootstrap"
