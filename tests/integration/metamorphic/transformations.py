"""The metamorphic transformations, each encoded once, and how verdicts are compared.

A :class:`Case` is one example's gate problem in memory: its ``Gate`` (from the
example's own ``[tool.modelgate]``), its fitted model, its training and
validation frames, and how to train the same kind of model again. A
:class:`Transformation` changes a case in a way that must not change the
verdict (:data:`INVARIANTS`: relabel the classes, permute the rows, reorder the
columns, rename the label column) or that must turn it into a FAIL
(:data:`FLIPS`: train on swapped labels, on shuffled labels, or replace the
model with a constant). Every example is checked by every transformation that
applies to its task; a new transformation or example is one entry here or in
``examples.py``.

Verdicts are compared as the JSON report has them (``Verdict.to_dict()``):
the verdict, every check's pass/fail, and the bounds: closed-form bounds
(DeLong, McNemar/Newcombe, delta, paired-loss, Clopper-Pearson) to 1e-9,
resampled (bootstrap) bounds within their Monte Carlo error, smoke scores (the
model's own output) to 1e-6.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from modelgate import Gate
from modelgate.evidence.classes import LABEL_WORDS
from modelgate.names import BASELINE, BINARY, MULTICLASS, PROPERTY, REGRESSION, SMOKE, TEST
from modelgate.smoke import SmokeCase, SmokeRow
from modelgate.verdict import Verdict


# -- the cases -----------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One example's gate problem in memory.

    ``learner(feature_columns)`` is an unfitted estimator of the kind the
    example trains; when ``reproduces``, fitting it on ``train`` gives ``model``
    exactly (the example's own pipeline), so a relabelled training set gives
    the relabelled model. Otherwise (the NLP example's Keras model) it is a
    stand-in used only to train the models of :data:`FLIPS`.
    """

    example: str
    task: str
    gate: Gate
    model: Any
    train: pd.DataFrame
    valid: pd.DataFrame
    learner: Callable[[Sequence[str]], Any]
    reproduces: bool

    def __repr__(self) -> str:  # Hypothesis prints the arguments of a failing example: keep it short
        return f"Case({self.example})"

    @property
    def label(self) -> str:
        return self.gate.label_column

    def inputs(self, frame: pd.DataFrame) -> Any:
        """What the model receives: the feature frame, or the texts."""
        if self.gate.feature_columns:
            return frame.drop(columns=[self.label])
        return frame[self.gate.text_column].tolist()

    def fit(self, train: pd.DataFrame, labels: Any = None) -> Any:
        """A new model of the example's kind, trained on ``train`` (with ``labels`` instead of its own)."""
        x = self.inputs(train)
        columns = list(x.columns) if isinstance(x, pd.DataFrame) else []
        return self.learner(columns).fit(x, train[self.label] if labels is None else labels)

    def verdict(self) -> Verdict:
        return self.gate.evaluate(self.model, self.valid)


@dataclass(frozen=True)
class Transformation:
    """A change to a case: ``parameter(case)`` draws what it needs (a Hypothesis
    strategy), ``apply(case, parameter)`` makes the new case."""

    name: str
    parameter: Callable[[Case], st.SearchStrategy[Any]]
    apply: Callable[[Case, Any], Case]
    tasks: frozenset[str] = frozenset({BINARY, MULTICLASS, REGRESSION})

    def applies_to(self, case: Case) -> bool:
        return case.task in self.tasks

    def __str__(self) -> str:
        return self.name


# -- invariants: the verdict, the bounds and the tag must not change ------------------
# Binary codings of (negative, positive), each in increasing order: the positive class is
# the greater label (or the model's classes_[1], the same class here).
BINARY_CODINGS: tuple[tuple[Any, Any], ...] = ((1, 2), (-1, 1), ("neg", "pos"), (False, True))
# Multiclass namings: class i (in sorted order) gets names[i]; a permutation reorders first.
CLASS_NAMINGS: tuple[tuple[Any, ...], ...] = ((10, 20, 30), ("a", "b", "c"), ("cultivar_x", "cultivar_y", "cultivar_z"))


def classes_of(case: Case) -> list[Any]:
    return sorted(pd.concat([case.train[case.label], case.valid[case.label]]).unique().tolist())


def _codings(case: Case) -> st.SearchStrategy[dict[Any, Any]]:
    classes = classes_of(case)
    if case.task == BINARY:
        return st.sampled_from(BINARY_CODINGS).map(lambda coding: dict(zip(classes, coding)))
    namings = [n for n in CLASS_NAMINGS if len(n) >= len(classes)]
    return st.tuples(st.permutations(range(len(classes))), st.sampled_from(namings)).map(
        lambda drawn: {c: drawn[1][drawn[0][i]] for i, c in enumerate(classes)}
    )


def _mapped(value: Any, mapping: dict[Any, Any]) -> Any:
    """A class value as the mapping renames it; a smoke file's ``"2"`` is the class ``2``."""
    if value in mapping:
        return mapping[value]
    number = float(value)
    return next(new for old, new in mapping.items() if not isinstance(old, str) and float(old) == number)


def relabel(case: Case, mapping: dict[Any, Any]) -> Case:
    """Rename the classes everywhere the user spells them: labels, smoke cases and rows,
    property classes. A model that names no classes (the NLP example's) is told the
    positive class by ``positive_class``, as its users must be."""
    label = case.label
    train = case.train.assign(**{label: case.train[label].map(mapping)})
    valid = case.valid.assign(**{label: case.valid[label].map(mapping)})
    smoke = [_relabelled_case(c, mapping) for c in case.gate.smoke_cases]
    properties = [
        replace(p, class_value=_mapped(p.class_value, mapping)) if p.class_value is not None else p
        for p in case.gate.properties
    ]
    # The positive class as it is called now (1, or what an earlier relabelling made of it), renamed.
    positive = case.gate.config.settings.positive_class
    settings = (
        {}
        if case.reproduces or case.task != BINARY
        else {"positive_class": _mapped(positive if positive is not None else 1, mapping)}
    )
    moved = replace(case, train=train, valid=valid, gate=with_gate(case.gate, smoke, properties, **settings))
    # A model that names no classes scores the positive class whatever the labels are called:
    # only the data changes.
    return replace(moved, model=moved.fit(train)) if case.reproduces else moved


def _relabelled_case(case: Any, mapping: dict[Any, Any]) -> Any:
    """A smoke row's expected class, or a text case's label as its file wrote it
    (a class value; the words positive/negative stay), renamed by ``mapping``."""
    if isinstance(case, SmokeRow):
        return replace(case, expected=_mapped(case.expected, mapping))
    if isinstance(case, SmokeCase) and case.label is not None and str(case.label).strip().lower() not in LABEL_WORDS:
        return replace(case, label=_mapped(case.label, mapping))
    return case


def with_gate(
    gate: Gate, smoke: Sequence[Any] | None = None, properties: Sequence[Any] | None = None, **settings: Any
) -> Gate:
    """``gate`` with other smoke cases, properties or settings: everything else as it was."""
    config = gate.config
    if properties is not None:  # every other kind of check (margins, floors, gaps) as it was
        config = replace(config, declared={**config.declared, "property": tuple(properties)})
    config = replace(config, settings=replace(config.settings, **settings))
    return Gate.of(config, gate.smoke_cases if smoke is None else smoke)


def permute_rows(case: Case, seed: int) -> Case:
    order = np.random.default_rng(seed).permutation(len(case.valid))
    return replace(case, valid=case.valid.iloc[order])


def reorder_columns(case: Case, seed: int) -> Case:
    columns = list(case.valid.columns)
    order = np.random.default_rng(seed).permutation(len(columns))
    return replace(case, valid=case.valid[[columns[i] for i in order]])


LABEL_NAMES = ("outcome", "y", "Label", "class label")


def rename_label(case: Case, name: str) -> Case:
    """A new name for the label column, in the data and in the config."""
    renamed = {case.label: name}
    return replace(
        case,
        train=case.train.rename(columns=renamed),
        valid=case.valid.rename(columns=renamed),
        gate=with_gate(case.gate, label_column=name),
    )


def group_rows(case: Case, copies: int) -> Case:
    """Each validation row in a group of its own (a new column the config names as
    ``group_column``), copied ``copies`` times inside its group: copies of a row are
    no more evidence than the row, so the verdict and the bounds must not move."""
    features = case.gate.feature_columns
    if tuple(features) == ("*",):  # the new column is no feature
        features = tuple(c for c in case.valid.columns if c != case.label)
    valid = case.valid.assign(row_group=[f"row {i}" for i in range(len(case.valid))])
    valid = valid.loc[valid.index.repeat(copies)].reset_index(drop=True)
    return replace(case, valid=valid, gate=with_gate(case.gate, group_column="row_group", feature_columns=features))


_SEEDS = st.integers(0, 2**32 - 1)

INVARIANTS: tuple[Transformation, ...] = (
    Transformation("relabel the classes", _codings, relabel, frozenset({BINARY, MULTICLASS})),
    Transformation("permute the rows", lambda case: _SEEDS, permute_rows),
    Transformation("reorder the columns", lambda case: _SEEDS, reorder_columns),
    Transformation(
        "rename the label column",
        lambda case: st.sampled_from([n for n in LABEL_NAMES if n not in case.valid.columns]),
        rename_label,
    ),
)


# -- flips: the verdict must become FAIL (and no run may be tagged) -------------------
def swapped_labels(case: Case) -> np.ndarray:
    """Each class as the next one (binary: 0 <-> 1), or, for regression, targets mirrored
    around the middle of their range: what the model learns is wrong, not merely noisy."""
    y = case.train[case.label].to_numpy()
    if case.task == REGRESSION:
        return y.min() + y.max() - y
    classes = classes_of(case)
    following = {c: classes[(i + 1) % len(classes)] for i, c in enumerate(classes)}
    return np.array([following[v] for v in y])


def swap(case: Case, _: Any = None) -> Case:
    return replace(case, model=case.fit(case.train, swapped_labels(case)))


def shuffle(case: Case, _: Any = None) -> Case:
    labels = np.random.default_rng(0).permutation(case.train[case.label].to_numpy())
    return replace(case, model=case.fit(case.train, labels))


def constant(case: Case, _: Any = None) -> Case:
    """The class prior (or the mean target) for every row, fitted on the training labels."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    dummy = DummyRegressor(strategy="mean") if case.task == REGRESSION else DummyClassifier(strategy="prior")
    return replace(case, model=dummy.fit(case.inputs(case.train), case.train[case.label]))


_NOTHING = st.just(None)
FLIPS: tuple[Transformation, ...] = (
    Transformation("swap the labels", lambda case: _NOTHING, swap),
    Transformation("shuffle the labels", lambda case: _NOTHING, shuffle),
    Transformation("replace the model with a constant", lambda case: _NOTHING, constant),
)
SHUFFLE = FLIPS[1]


# -- comparing verdicts ------------------------------------------------------------------
# A bootstrap bound is a 5% quantile of 2,000 resamples: its Monte Carlo standard error is
# sqrt(p (1 - p) / B) / phi(z_p) standard deviations of the statistic, and the distance
# from the point estimate to the bound is z_p = 1.645 of them.
_Z = 1.6448536269514722
_MC_SE_IN_SDS = math.sqrt(0.05 * 0.95 / 2000) / (math.exp(-_Z * _Z / 2) / math.sqrt(2 * math.pi))
MC_ERRORS = 6  # how many Monte Carlo standard errors two resampled bounds may differ by
CLOSED_FORM = 1e-9
# A smoke case's score is the model's own output: a float32 network (the NLP example's
# Keras model) gives a case a few 1e-9 apart when it is scored in another batch.
MODEL_OUTPUT = 1e-6


def resampled(result: dict[str, Any]) -> bool:
    return "bootstrap" in (result.get("method") or "").lower()


def bound_tolerance(result: dict[str, Any]) -> float:
    """How far the same bound may move when only the resamples change (closed form: 1e-9)."""
    if not resampled(result) or result.get("lower") is None:
        return CLOSED_FORM
    point = result["estimate"] if result.get("estimate") is not None else result["candidate_value"]
    sd = abs(point - result["lower"]) / _Z
    return max(MC_ERRORS * _MC_SE_IN_SDS * sd, CLOSED_FORM)


def _plain_test_name(name: str) -> str:
    """A plain test's node id without its folder: the same test, run from another directory."""
    file, _, test = name.partition("::")
    return f"{file.rsplit('/', 1)[-1]}::{test}"


def verdict_record(verdict: Verdict | dict[str, Any]) -> dict[str, Any]:
    return verdict if isinstance(verdict, dict) else verdict.to_dict()


def _key(result: dict[str, Any]) -> str:
    return _plain_test_name(result["name"]) if result["group"] == TEST else result["name"]


def differences(
    expected: Verdict | dict[str, Any], actual: Verdict | dict[str, Any], *, names: bool = True
) -> list[str]:
    """What differs between two verdicts (empty: the same verdict, checks and bounds).

    Results are paired by name (a plain test's without its folder), or, with
    ``names=False``, by position (a property's name holds the class it watches,
    which relabelling renames). Property results are compared by pass/fail only:
    their failure rates come from rows drawn by position."""
    want, got = verdict_record(expected), verdict_record(actual)
    found = []
    if got["passed"] != want["passed"]:
        found.append(f"verdict {'PASS' if got['passed'] else 'FAIL'}, expected {'PASS' if want['passed'] else 'FAIL'}")
    if names:
        by_name = {_key(r): r for r in got["results"]}
        if sorted(by_name) != sorted(_key(r) for r in want["results"]):
            return found + [f"checks {sorted(by_name)}, expected {sorted(_key(r) for r in want['results'])}"]
        pairs = [(w, by_name[_key(w)]) for w in want["results"]]
    else:
        if [r["group"] for r in got["results"]] != [r["group"] for r in want["results"]]:
            return found + [
                f"checks {[r['name'] for r in got['results']]}, expected {[r['name'] for r in want['results']]}"
            ]
        pairs = list(zip(want["results"], got["results"]))
    for w, g in pairs:
        what = w["name"]
        if g["passed"] != w["passed"]:
            found.append(
                f"{what}: {'passed' if g['passed'] else 'failed'} ({g['message']}), expected "
                f"{'passed' if w['passed'] else 'failed'} ({w['message']})"
            )
        if g.get("outcome") != w.get("outcome"):  # pass, fail, inconclusive (or error)
            found.append(f"{what}: outcome {g.get('outcome')!r}, expected {w.get('outcome')!r}")
        if g["method"] != w["method"]:
            found.append(f"{what}: method {g['method']!r}, expected {w['method']!r}")
        if w["group"] in (PROPERTY, TEST):
            continue
        for key in ("candidate_value", "baseline_value", "estimate", "lower"):
            a, b = w.get(key), g.get(key)
            tolerance = bound_tolerance(w) if key == "lower" else MODEL_OUTPUT if w["group"] == SMOKE else CLOSED_FORM
            if (a is None) != (b is None) or (a is not None and not abs(a - b) <= tolerance):
                found.append(f"{what}: {key} {b!r}, expected {a!r} (tolerance {tolerance:.1e})")
    return found


def baseline_comparisons_passed(verdict: Verdict | dict[str, Any]) -> list[str]:
    """The baseline comparisons that passed against a baseline that exists."""
    return [
        r["name"]
        for r in verdict_record(verdict)["results"]
        if r["group"] == BASELINE and r["passed"] and r["method"] != "no baseline"
    ]
