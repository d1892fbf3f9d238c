"""One registration adds a metric, a property kind or a check kind everywhere: config,
checks, the runner, the reports. No Metaflow: plain calls on in-memory evidence."""

import numpy as np
import pandas as pd
import pytest

from modelgate.checks import CHECK_KINDS, CheckKind, MarginCheck, register_check_kind
from modelgate.checks.properties import PROPERTY_KINDS, PropertyKind, register_property_kind
from modelgate.config import parse_table
from modelgate.errors import GateUsageError
from modelgate.metrics import METRICS, Metric, register_metric
from modelgate.runner import GateRunner
from modelgate.verdict import CheckResult

LABELS = np.array([0, 1] * 100)
FRAME = pd.DataFrame({"review": [f"review number {i}" for i in range(200)], "labels": LABELS})


def good_model(texts):
    return np.where(LABELS == 1, 0.8, 0.3)[: len(texts)] if len(texts) == len(LABELS) else np.full(len(texts), 0.6)


@pytest.fixture
def registered():
    """Register into the real registries for one test, then take it out again."""
    added = []

    def add(registry, register, item):
        register(item)
        added.append((registry, item.name))
        return item

    yield add
    for registry, name in added:
        del registry[name]


def test_a_registered_metric_is_known_to_config_checks_and_the_margin_rule(registered):
    def recall(y, scores):
        y, predicted = np.asarray(y), np.asarray(scores) > 0.5
        return float((predicted & (y == 1)).sum() / max((y == 1).sum(), 1))

    registered(METRICS, register_metric, Metric("recall", recall, higher_is_better=True))
    config = parse_table({"checks": [{"metric": "recall", "margin": 0.5, "n_resamples": 200}]})
    runner = GateRunner.for_run(config, None)
    [result] = runner.evaluate(runner.evidence(good_model, FRAME))
    # the majority prior is 0.5 on these 50/50 labels: it predicts no positive (recall 0);
    # the model finds every positive (recall 1): the difference is 1 on every resample, and
    # a bootstrap without spread decides nothing (inconclusive, which fails by default)
    assert (result.metric, result.method, result.passed) == ("recall", "paired bootstrap", False)
    assert result.estimate == pytest.approx(1.0)
    assert "every bootstrap resample gave the same value" in result.message


def test_a_registered_property_kind_is_parsed_and_run_by_the_runner(registered):
    from modelgate.behaviour import RateReport

    def always_stable(prop, evidence):
        evidence.candidate_scorer(list(evidence.texts[: prop.n_examples]))
        return RateReport(
            property="stable",
            n_examples=prop.n_examples,
            n_failures=0,
            max_failure_rate=prop.max_failure_rate,
            counterexample=None,
        )

    registered(
        PROPERTY_KINDS,
        register_property_kind,
        PropertyKind("stable", frozenset({"tolerance"}), lambda p: "stable", always_stable),
    )
    config = parse_table({"properties": [{"kind": "stable", "n_examples": 60, "tolerance": 0.1}]})
    with pytest.raises(GateUsageError, match=r"properties\[0\]\.direction: a stable property takes no 'direction'"):
        parse_table({"properties": [{"kind": "stable", "direction": "negative"}]})
    runner = GateRunner.for_run(config, None)
    [result] = runner.evaluate(runner.evidence(good_model, FRAME))
    assert (result.name, result.group, result.passed, result.n) == ("stable", "property", True, 60)


def test_a_registered_check_kind_gets_a_table_of_its_own(registered):
    from dataclasses import dataclass
    from typing import ClassVar

    @dataclass(frozen=True)
    class RowCount:
        check_kind: ClassVar[str] = "rows"
        at_least: int
        name: str = "enough-rows"

        def prepare(self, evidence):
            pass

        def evaluate(self, evidence):
            return CheckResult(
                name=self.name,
                group="rows",
                passed=evidence.n >= self.at_least,
                message=f"{evidence.n} rows",
                n=evidence.n,
            )

    def parse(raw, where, strict):
        from modelgate import tables

        tables.check_table(raw, where, {"at_least"}, "at_least", "row count")
        return RowCount(tables.whole(f"{where}.at_least", raw["at_least"], 1, strict))

    registered(
        CHECK_KINDS,
        register_check_kind,
        CheckKind("rows", "row_counts", frozenset({"at_least"}), parse, "modelgate::rows::", "row count"),
    )
    config = parse_table({"row_counts": [{"at_least": 500}], "checks": [{"metric": "roc_auc"}]})
    runner = GateRunner.for_run(config, None)
    results = runner.evaluate(runner.evidence(good_model, FRAME))
    assert [(r.name, r.passed) for r in results] == [("roc_auc-vs-majority-margin+0", True), ("enough-rows", False)]
    with pytest.raises(GateUsageError, match=r"row_counts\[0\]\.at_least: expected a number, got '500'"):
        parse_table({"row_counts": [{"at_least": "500"}]})


@pytest.mark.parametrize(
    "registry, register, item",
    [
        (METRICS, register_metric, Metric("roc_auc", lambda y, s: 0.5, higher_is_better=True)),
        (PROPERTY_KINDS, register_property_kind, PropertyKind("invariance", frozenset(), str, lambda p, e: None)),
        (CHECK_KINDS, register_check_kind, CheckKind("margin", "x", frozenset(), None, "x::", "x")),
    ],
    ids=["metric", "property-kind", "check-kind"],
)
def test_a_name_is_registered_once(registry, register, item):
    before = dict(registry)
    with pytest.raises(ValueError, match=f"named {item.name!r} is registered already"):
        register(item)
    assert dict(registry) == before


def test_the_default_bound_comes_from_the_metric_registry():
    assert {name: m.method for name, m in METRICS.items()} == {
        "roc_auc": "delong",
        "accuracy": "mcnemar",
        "f1": "bootstrap",
        "log_loss": "paired-loss",
        "brier": "paired-loss",
        "macro_f1": "class-delta",
        "roc_auc_ovr": "delong-ovr",
        "mae": "paired-loss",
        "rmse": "squared-error",
        "r2": "delta",
        "median_ae": "order-statistic",
        "p90_ae": "order-statistic",
    }
    with pytest.raises(ValueError, match="method 'delong' applies to roc_auc only"):
        MarginCheck("f1", method="delong")
    with pytest.raises(ValueError, match="method 'mcnemar' applies to accuracy only"):
        MarginCheck("roc_auc", method="mcnemar")


def test_the_in_flow_gate_refuses_a_check_of_an_unregistered_kind():
    """A check the runner does not know must not be dropped (and the gate pass without it)."""
    from dataclasses import dataclass
    from typing import ClassVar

    from modelgate import Gate

    @dataclass(frozen=True)
    class Never:
        check_kind: ClassVar[str] = "custom"
        name: str = "never"

        def prepare(self, evidence):
            pass

        def evaluate(self, evidence):
            return CheckResult(name=self.name, group="custom", passed=False, message="never passes")

    gate = Gate(checks=[MarginCheck("roc_auc", margin=0.1), Never()])
    with pytest.raises(GateUsageError, match="check kind 'custom' is not registered"):
        gate.evaluate(good_model, FRAME)


def test_an_xdist_worker_does_not_resolve_the_named_baselines_again():
    from modelgate.config import parse_table
    from modelgate.plugin.session import GateSession

    config = parse_table({"checks": [{"metric": "roc_auc", "baseline": "1234"}]})
    shared = {"pathspec": "TinyFlow/99", "named": {"1234": "TinyFlow/1234"}}
    worker = GateSession.for_worker(shared, config, dry_run=False, keep_on_fail=False)  # no Metaflow call
    assert worker.baselines.named == {"1234": "TinyFlow/1234"}
