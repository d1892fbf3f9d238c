"""Weak-slice search: subsets of the rows where the candidate is worse than the champion.

``[[tool.modelgate.search]]`` with ``max_regression = 0.02`` looks for slices of
the validation rows on which the candidate's mean per-row loss is more than
``max_regression`` above the champion's (or another baseline's, ``against``),
and fails the gate when it confirms one. The slices searched are

- each value of each configured ``columns`` entry (most frequent first); a
  numeric column with more than ``bins`` distinct values is cut into ``bins``
  quantile bins instead;
- the built-in text length buckets (``text_length = true``, as for slices);
- the rows whose text contains one of the ``tokens`` most frequent tokens.

The procedure is a split-sample test, so searching many slices costs no
false failures:

1. The rows are split in two halves by a seeded random permutation
   (:func:`split_halves`; whole groups go to one half when rows come in groups).
2. On the *search* half, the paired per-row loss difference ``d = loss of the
   candidate - loss of the baseline`` is averaged on every slice with at least
   ``min_rows`` rows in each half. A slice whose search-half mean exceeds
   ``max_regression`` is selected; at most :data:`CONFIRM_AT_MOST` of them, those
   whose excess is largest in standard errors (each extra hypothesis makes
   Holm's first threshold stricter, so a long list of weak leads would cost the
   strong ones their power).
3. On the *confirmation* half, each selected slice gets a one-sided test of
   ``H0: mean d <= max_regression`` (the paired-loss bound,
   :func:`modelgate.stats.paired_loss_difference`), and the selected slices are
   corrected together by Holm's step-down procedure (:func:`holm`).
4. Confirmed slices that nest or overlap (at least :data:`OVERLAP` of the
   smaller one's rows are in the larger) are merged into the larger one.

The selection reads the search half only, and the confirmation half is
independent of it, so when the candidate regresses by at most
``max_regression`` on every slice, the check fails with probability at most
``1 - confidence`` (Holm controls the family-wise error over the selected
slices, whatever was selected).

No baseline (the first run, no champion yet): the first-run policy of margin
checks (pass, or fail with ``require_champion``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import tables
from ..errors import GateUsageError
from ..evidence.evaluation import count_units
from ..metrics import check_metric_fits, get_metric
from ..names import BINARY, CHAMPION, MULTICLASS, REGRESSION, SEARCH
from ..verdict import CheckResult
from .outcome import inconclusive_message, inconclusive_passes
from .slices import LENGTH, LENGTH_BUCKETS, Slice

if TYPE_CHECKING:
    from ..evidence.evaluation import Evaluation

__all__ = [
    "CONFIRM_AT_MOST",
    "SEARCH_KEYS",
    "Finding",
    "SearchCheck",
    "holm",
    "merge_findings",
    "parse_search",
    "split_halves",
    "weak_slices",
]

SEARCH_KEYS = frozenset(
    {
        "name",
        "metric",
        "max_regression",
        "columns",
        "bins",
        "text_length",
        "tokens",
        "min_rows",
        "max_values",
        "confidence",
        "seed",
        "against",
    }
)
# The per-row loss compared when no metric is named, by task (accuracy: 0/1 errors).
DEFAULT_METRIC = {BINARY: "brier", MULTICLASS: "accuracy", REGRESSION: "mae"}
# Metrics whose per-row loss is in [0, 1] (the Brier score of a binary task, the 0/1 error of
# accuracy): their confirmation bound is the empirical-Bernstein one, valid at any n.
BOUNDED = frozenset({"brier", "accuracy"})
BERNSTEIN = "paired empirical Bernstein"
# A non-numeric column with more distinct values than this needs max_values (an id column
# would make thousands of slices too thin to confirm).
MAX_DISTINCT = 50
# The most slices the search half passes on to be confirmed (the strongest leads).
CONFIRM_AT_MOST = 10
# Two confirmed slices are one finding when this share of the smaller one's rows is in the larger.
OVERLAP = 0.8
TOKEN = "token"
# The label of the rows of a column without a value: column=missing.
MISSING = "missing"
# The most frequent tokens a search may take: each is a slice, and every slice costs time.
MAX_TOKENS = 1000
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Finding:
    """One confirmed weak slice: its rows in the validation set (``n``) and in the
    confirmation half (``n_confirm``), the mean paired loss difference there
    (candidate - baseline, positive: the candidate is worse), its one-sided lower
    bound at ``confidence`` (Holm's level for this slice), its p-value and the bound's
    ``method``; ``merged``: the confirmed slices folded into it, each with its own numbers."""

    label: str
    n: int
    n_confirm: int
    difference: float
    bound: float
    p_value: float
    confidence: float
    method: str = ""
    merged: tuple[Finding, ...] = ()

    def numbers(self, metric: str) -> str:
        return (
            f"n={self.n}, n_confirm={self.n_confirm}: the candidate's {metric} is {self.difference:+.4f} worse "
            f"on the confirmation rows, {self.confidence:.2%} Holm lower bound {self.bound:+.4f}"
        )

    def text(self, metric: str) -> str:
        also = "".join(f"; with {m.label} ({m.numbers(metric)})" for m in self.merged)
        return f"{self.label} ({self.numbers(metric)}{also})"

    def members(self) -> list[Finding]:
        """This finding and every one merged into it, each with its own numbers."""
        return [self, *(m for f in self.merged for m in f.members())]


@dataclass(frozen=True)
class Confirmation:
    """One selected slice's test on the confirmation half: ``trusted`` when its p-value
    may enter Holm (else it counts as p = 1, and a slice whose estimate is above
    max_regression is an unconfirmed lead, with ``reason``)."""

    estimate: float
    lower: float
    p_value: float
    n: int
    method: str
    trusted: bool
    reason: str = ""


@dataclass
class SearchOutcome:
    """What :func:`weak_slices` found: the numbers its message reports."""

    searched: int = 0  # candidate slices
    kept: int = 0  # with at least min_rows rows (and 2) in each half
    selected: list[str] = field(default_factory=list)  # passed on to the confirmation half
    confirmed: int = 0  # selected slices Holm rejects, before merging
    findings: list[Finding] = field(default_factory=list)  # confirmed, merged
    # Selected slices above max_regression on the confirmation half whose bound cannot be
    # trusted there: (label, why). Not confirmations: they count as p = 1 in Holm.
    leads: list[tuple[str, str]] = field(default_factory=list)
    n_search: int = 0
    n_confirm: int = 0

    @property
    def worst(self) -> Finding | None:
        """The confirmed slice with the largest bound, merged ones included."""
        every = [m for f in self.findings for m in f.members()]
        return max(every, key=lambda f: (f.bound, f.label)) if every else None


def split_halves(n: int, seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """A boolean mask of the *search* half of ``n`` rows (the rest is the confirmation
    half), drawn with ``seed`` so the verdict is reproducible.

    ``groups`` (one code a row) keeps every group whole: the groups are shuffled and
    each goes to the half with fewer rows so far, so rows of one group (one user's
    reviews) never inform both the search and its confirmation."""
    rng = np.random.default_rng(seed)
    if groups is None:
        search = np.zeros(n, dtype=bool)
        search[rng.permutation(n)[: n // 2]] = True
        return search
    groups = np.asarray(groups)
    if len(groups) != n:
        raise ValueError(f"groups has {len(groups)} entries for {n} rows")
    codes, inverse, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    to_search = np.zeros(len(codes), dtype=bool)
    rows = [0, 0]  # search, confirmation
    for g in rng.permutation(len(codes)):
        half = 0 if rows[0] <= rows[1] else 1
        to_search[g] = half == 0
        rows[half] += int(sizes[g])
    return to_search[inverse.ravel()]


def holm(p_values: Sequence[float], alpha: float) -> np.ndarray:
    """Holm's step-down rejections at family-wise level ``alpha``: the i-th smallest
    p-value (i = 0, 1, ...) is rejected when it and every smaller one are below
    ``alpha / (m - i)``."""
    p = np.asarray(p_values, dtype=float)
    rejected = np.zeros(len(p), dtype=bool)
    for i, j in enumerate(np.argsort(p, kind="stable")):
        if not p[j] < alpha / (len(p) - i):
            break
        rejected[j] = True
    return rejected


def holm_levels(p_values: Sequence[float], alpha: float) -> np.ndarray:
    """The level each hypothesis is tested at by :func:`holm`: ``alpha / (m - rank)``."""
    p = np.asarray(p_values, dtype=float)
    levels = np.empty(len(p))
    levels[np.argsort(p, kind="stable")] = alpha / (len(p) - np.arange(len(p)))
    return levels


def merge_findings(findings: Sequence[Finding], masks: Mapping[str, np.ndarray]) -> list[Finding]:
    """Confirmed slices that nest or overlap merged into the largest: a slice is folded into a
    larger kept one when at least :data:`OVERLAP` of its rows are in it. Largest first."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (-f.n, -f.bound, f.label)):
        mine = masks[finding.label]
        into = next(
            (i for i, k in enumerate(kept) if np.count_nonzero(mine & masks[k.label]) >= OVERLAP * min(finding.n, k.n)),
            None,
        )
        if into is None:
            kept.append(finding)
        else:
            host = kept[into]
            kept[into] = replace(host, merged=(*host.merged, finding))
    return kept


def skew_toward_failing(d: np.ndarray) -> float:
    """The skewness of per-row regressions ``d`` toward the side that makes a regression look
    larger than it is: max(-g, 0), g the sample skewness (a long left tail, rows on which the
    candidate is far better, that a small sample often misses)."""
    centred = d - d.mean()
    sd = math.sqrt(float(np.mean(centred * centred)))
    if not sd > 0:
        return 0.0
    return max(-float(np.mean((centred / sd) ** 3)), 0.0)


def confirm(
    loss_candidate: np.ndarray,
    loss_baseline: np.ndarray,
    *,
    max_regression: float,
    confidence: float,
    bounded: bool,
    tail: float = 0.0,
    groups: np.ndarray | None = None,
) -> Confirmation:
    """The one-sided test of ``H0: mean(candidate loss - baseline loss) <= max_regression`` on
    a slice's confirmation rows, and whether its p-value can be trusted.

    The paired-loss bound (skew-corrected normal; with ``groups`` cluster-robust) is used
    when the normal approximation can be trusted: the confirmation rows (groups) are at
    least the tail rule's n (:func:`modelgate.stats.bounds.rows_for_skew`, n > 28 + 25 g^2)
    for g the larger of the slice's skewness toward failing and ``tail``, that of every
    row's difference (a slice's few rows often miss the rare rows that pull a mean down, and
    then look less skewed than they are); a bound only Cantelli's inequality backs is not.
    Otherwise:

    - per-row losses in [0, 1] (``bounded``: the Brier score of a binary task, the 0/1 error
      of accuracy), without groups: the empirical-Bernstein bound of the paired difference
      (:func:`modelgate.stats.bernstein.bernstein_difference`), valid at any n and for any
      distribution on [-1, 1]; and when every row has the same difference d0, the exact
      p-value ((1 + max_regression) / (1 + d0))^n (Markov's inequality on d + 1: under H0 a
      row reaches d0 with at most that probability);
    - unbounded losses (log_loss, mae): not trusted (p = 1 in Holm): no bound of a mean of
      an unbounded, skewed variable holds at small n, nor does the same difference on every
      row (a sample that missed the tail).
    """
    from ..stats import paired_loss_difference
    from ..stats.bernstein import bernstein_difference
    from ..stats.bounds import no_spread, rows_for_skew
    from ..stats.clusters import clustered_loss_difference

    d = loss_candidate - loss_baseline
    n = len(d)
    estimate = float(d.mean()) if n else math.nan
    if n < 2:
        return Confirmation(estimate, math.nan, 1.0, n, "", False, "fewer than 2 confirmation rows")

    def bernstein() -> Confirmation:
        b = bernstein_difference(
            loss_candidate, loss_baseline, higher_is_better=True, margin=max_regression, confidence=confidence
        )
        ok = b.defined and math.isfinite(b.p_value)
        return Confirmation(b.estimate, b.lower, b.p_value if ok else 1.0, n, BERNSTEIN, ok, b.reason)

    exact = bounded and groups is None
    if no_spread(d):
        if exact:  # every row's difference is the same d0 in [-1, 1]
            # Under H0 (mean <= max_regression) a row reaches d0 with probability at most
            # (1 + max_regression) / (1 + d0) (Markov's inequality on d + 1 >= 0), so n rows all do
            # with at most its n-th power: an exact p-value, and the bound dual to it.
            p = min(1.0, ((1.0 + max_regression) / (1.0 + estimate)) ** n) if estimate > -1 else 1.0
            lower = (1.0 + estimate) * (1.0 - confidence) ** (1.0 / n) - 1.0
            return Confirmation(estimate, lower, p, n, "constant difference (exact)", True)
        # Unbounded losses (or groups): the same difference on every row is a sample that
        # missed the tail (one probability a segment, no positive row in this half), not a
        # certainty; p = 0 here failed 34% of null candidates on log_loss. Not trusted.
        return Confirmation(
            estimate,
            math.nan,
            1.0,
            n,
            "constant difference",
            False,
            "every confirmation row has the same difference, and an unbounded loss's tail may be unseen",
        )
    # In the bound's terms b - c with c the baseline's losses: the candidate's regression, from below.
    if groups is None:
        b = paired_loss_difference(loss_baseline, loss_candidate, margin=max_regression, confidence=confidence)
    else:
        b = clustered_loss_difference(
            loss_baseline, loss_candidate, groups, margin=max_regression, confidence=confidence
        )
    units = count_units(groups, np.ones(n, dtype=bool))
    need = rows_for_skew(max(skew_toward_failing(d), tail))
    if b.inconclusive or not b.defined or not math.isfinite(b.p_value):
        why = b.reason or "no bound"
    elif "Cantelli" in b.method:
        why = "the per-row differences are too skewed for a normal bound, and only Cantelli's backs it"
    elif units < need:
        what = "rows" if groups is None else "groups"
        why = (
            f"the per-row differences are too skewed toward failing for a normal bound on {units} confirmation "
            f"{what} (it needs {need}, Sugden-Smith-Jones)"
        )
    else:
        return Confirmation(b.estimate, b.lower, b.p_value, n, b.method, True)
    if exact:
        return bernstein()
    return Confirmation(b.estimate, b.lower, 1.0, n, b.method, False, why)


def weak_slices(
    loss_candidate: np.ndarray,
    loss_baseline: np.ndarray,
    slices: Sequence[tuple[str, np.ndarray]],
    *,
    max_regression: float,
    min_rows: int = 30,
    confidence: float = 0.95,
    seed: int = 0,
    groups: np.ndarray | None = None,
    bounded: bool = False,
) -> SearchOutcome:
    """The split-sample search (the module's steps 1-4) over ``slices`` ((label, row mask)
    pairs) on paired per-row losses. ``groups`` (one code a row) keeps groups whole in the
    split, counts groups for ``min_rows``, and makes the confirmation bound cluster-robust
    (:func:`modelgate.stats.clusters.clustered_loss_difference`). ``bounded``: every per-row
    loss is in [0, 1], and the confirmation bound is the empirical-Bernstein one
    (:func:`confirm`)."""
    lc, lb = np.asarray(loss_candidate, dtype=float), np.asarray(loss_baseline, dtype=float)
    d = lc - lb
    if bounded and not (np.all((lc >= 0) & (lc <= 1)) and np.all((lb >= 0) & (lb <= 1))):
        bounded = False  # not losses in [0, 1] after all: the normal bound with its tail rule
    search = split_halves(len(d), seed, groups)
    outcome = SearchOutcome(searched=len(slices), n_search=int(search.sum()), n_confirm=int((~search).sum()))
    leads: list[tuple[float, int]] = []
    least = max(min_rows, 2)  # a standard error (and a bound) needs 2

    for i, (_, mask) in enumerate(slices):
        here, there = mask & search, mask & ~search
        if min(count_units(groups, here), count_units(groups, there)) < least:
            continue
        outcome.kept += 1
        values = d[here]
        mean = float(values.mean())
        if mean > max_regression:
            se = float(values.std(ddof=1)) / math.sqrt(len(values))
            leads.append(((mean - max_regression) / se if se > 0 else math.inf, i))
    leads.sort(key=lambda lead: (-lead[0], lead[1]))
    chosen = [i for _, i in leads[:CONFIRM_AT_MOST]]
    outcome.selected = [slices[i][0] for i in chosen]
    if not chosen:
        return outcome
    alpha = 1 - confidence
    tail = skew_toward_failing(d)

    def test(i: int, level: float) -> Confirmation:
        rows = slices[i][1] & ~search
        return confirm(
            lc[rows],
            lb[rows],
            max_regression=max_regression,
            confidence=level,
            bounded=bounded,
            tail=tail,
            groups=None if groups is None else np.asarray(groups)[rows],
        )

    first = [test(i, confidence) for i in chosen]
    p = [c.p_value if c.trusted else 1.0 for c in first]
    outcome.leads = [
        (slices[i][0], c.reason)
        for i, c in zip(chosen, first, strict=True)
        if not c.trusted and c.estimate > max_regression
    ]
    rejected, levels = holm(p, alpha), holm_levels(p, alpha)
    confirmed = []
    for k, i in enumerate(chosen):
        if not rejected[k]:
            continue
        at = test(i, 1 - float(levels[k]))  # the bound at the level Holm tested it at: above the margin
        confirmed.append(
            Finding(
                label=slices[i][0],
                n=int(np.count_nonzero(slices[i][1])),
                n_confirm=at.n,
                difference=at.estimate,
                bound=at.lower,
                p_value=p[k],
                confidence=1 - float(levels[k]),
                method=at.method,
            )
        )
    outcome.confirmed = len(confirmed)
    merged = merge_findings(confirmed, dict(slices))
    outcome.findings = sorted(merged, key=lambda f: (-max(m.bound for m in f.members()), f.label))  # the worst first
    return outcome


def _count(k: int, what: str) -> str:
    return f"{k} {what}{'s' * (k != 1)}"


def _methods(metric: str, grouped: bool) -> str:
    if metric in BOUNDED and not grouped:
        return "paired-loss normal or empirical Bernstein"
    return "paired-loss normal with the tail rule"


def _short(x: float) -> str:
    """A value or bin edge in a label: four significant digits (a whole number as it is)."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:.4g}"


def _unique_labels(slices: list[tuple[str, np.ndarray]]) -> list[tuple[str, np.ndarray]]:
    """Labels made unique (two values that round to the same label get #2, #3 ...)."""
    seen: Counter[str] = Counter()
    out = []
    for label, mask in slices:
        seen[label] += 1
        out.append((label if seen[label] == 1 else f"{label}#{seen[label]}", mask))
    return out


def row_losses(metric_name: str, labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-row losses of a metric (lower is better): its ``row_loss``, or one minus its
    ``bounded_rows`` for a higher-is-better metric (accuracy: the 0/1 error)."""
    metric = get_metric(metric_name)
    if metric.row_loss is not None:
        return np.asarray(metric.row_loss(labels, scores), dtype=float)
    assert metric.bounded_rows is not None  # SearchCheck refuses a metric with neither
    rows = np.asarray(metric.bounded_rows(labels, scores), dtype=float)
    return 1.0 - rows if metric.higher_is_better else rows


def has_row_loss(metric_name: str) -> bool:
    metric = get_metric(metric_name)
    return metric.row_loss is not None or metric.bounded_rows is not None


@dataclass(frozen=True)
class SearchCheck:
    """The weak-slice search against ``against`` (the champion by default): fails when a
    slice is confirmed to regress by more than ``max_regression`` of ``metric``'s per-row loss."""

    check_kind: ClassVar[str] = "search"

    max_regression: float
    metric: str = ""  # "": the task's default (DEFAULT_METRIC)
    columns: tuple[str, ...] = ()
    bins: int = 4
    text_length: bool = False
    tokens: int = 0
    min_rows: int = 30
    max_values: int | None = None
    confidence: float = 0.95
    seed: int = 0
    against: str = CHAMPION
    name: str = ""
    where: str = field(default="SearchCheck(...)", compare=False)

    def __post_init__(self) -> None:
        if self.metric:
            get_metric(self.metric)  # unknown metric: ValueError naming the known ones
            if not has_row_loss(self.metric):
                raise ValueError(
                    f"metric {self.metric!r} is not a mean of per-row losses; the search compares per-row "
                    "losses: use brier, log_loss, accuracy (0/1 error) or mae"
                )
        value = self.max_regression
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
            raise ValueError(f"max_regression must be a finite number > 0, not {value!r}")
        if isinstance(self.confidence, bool) or not 0.5 <= self.confidence < 1:
            raise ValueError(f"confidence must be in [0.5, 1), not {self.confidence!r}")
        for key, minimum in (("bins", 2), ("tokens", 0), ("min_rows", 1), ("seed", 0)):
            got = getattr(self, key)
            if isinstance(got, bool) or not isinstance(got, int) or got < minimum:
                raise ValueError(f"{key} must be a whole number >= {minimum}, not {got!r}")
        if self.tokens > MAX_TOKENS:
            raise ValueError(f"tokens must be at most {MAX_TOKENS} (each token is a slice), not {self.tokens!r}")
        if self.max_values is not None and (not isinstance(self.max_values, int) or self.max_values < 1):
            raise ValueError(f"max_values must be a whole number >= 1, not {self.max_values!r}")
        if not self.columns and not self.text_length and not self.tokens:
            raise ValueError("nothing to search: give columns, text_length = true or tokens > 0")
        if not self.name:
            what = f"{self.metric}-" if self.metric else ""
            object.__setattr__(self, "name", f"{what}weak-slices-vs-{self.against}-at-most-{self.max_regression:g}")

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        return f"no slice where the candidate is worse than {self.against} by more than {self.max_regression:g}"

    def metric_for(self, task: str) -> str:
        """The metric compared on ``task``: the configured one (checked to fit), else the default."""
        name = self.metric or DEFAULT_METRIC[task]
        check_metric_fits(name, task)
        return name

    def prepare(self, evidence: Evaluation) -> None:
        """Everything a user can get wrong, as a GateUsageError before any test: the metric
        for the task, the baseline's name, the columns and the text. It builds no slice
        (:meth:`evaluate` builds them, once)."""
        self.metric_for(evidence.task)
        if self.against not in list(evidence.baselines):
            known = ", ".join(sorted(evidence.baselines)) or "none"
            raise GateUsageError(
                f"{self.where}.against: no baseline named {self.against!r} in this evaluation (baselines: {known})"
            )
        for column in self.columns:
            self._column_series(evidence, column)
        self._texts(evidence)

    def _column_series(self, evidence: Evaluation, column: str) -> Any:
        """The column as an object Series, and whether it is numeric; GateUsageError for a
        column the data lack, nested values, or too many distinct values without max_values."""
        import pandas as pd

        frame = evidence.frame if evidence.frame is not None else evidence.features
        columns = list(getattr(frame, "columns", []))
        if column not in columns:
            shown = ", ".join(map(str, columns[:8])) or "none"
            raise GateUsageError(
                f"{self.where}.columns: the validation data has no column {column!r} (columns: {shown})"
            )
        series = pd.Series(evidence.column(column), dtype=object)
        present = series[~series.isna()]
        nested = next((v for v in present if isinstance(v, (list, tuple, set, dict, np.ndarray))), None)
        if nested is not None:
            raise GateUsageError(
                f"{self.where}.columns: column {column!r} holds {type(nested).__name__}s, not single values"
            )
        numeric = len(present) > 0 and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) for v in present
        )
        if not numeric and self.max_values is None:
            distinct = present.nunique()
            if distinct > MAX_DISTINCT:
                raise GateUsageError(
                    f"{self.where}.columns: column {column!r} has {distinct} distinct values, more than "
                    f"{MAX_DISTINCT} to search without max_values; set max_values to search its most frequent ones"
                )
        return series, numeric

    def _texts(self, evidence: Evaluation) -> Sequence[str] | None:
        texts = evidence.texts if evidence.features is None else None
        if (self.text_length or self.tokens) and not texts:
            key = "text_length" if self.text_length else "tokens"
            raise GateUsageError(
                f"{self.where}.{key}: the model receives feature columns, not a text column; search by columns instead"
            )
        return texts

    def slices(self, evidence: Evaluation) -> list[tuple[str, np.ndarray]]:
        """Every candidate slice as (label, row mask), in search order; GateUsageError for a
        column the data lack, a column with too many values, text slices without a text column."""
        n = evidence.n
        made: list[tuple[str, np.ndarray]] = []
        for column in self.columns:
            series, numeric = self._column_series(evidence, column)
            made += self._column_slices(column, series, numeric)
        texts = self._texts(evidence)
        if self.text_length:
            assert texts is not None
            words = np.array([len(str(t).split()) for t in texts])
            made += [
                (Slice(LENGTH, low=lo, high=hi, bucket=name).label, (words >= lo) & (words < hi))
                for name, lo, hi in LENGTH_BUCKETS
                if np.any((words >= lo) & (words < hi))
            ]
        if self.tokens:
            assert texts is not None
            sets = [set(_WORD.findall(str(t).lower())) for t in texts]
            counts = Counter(token for words_in in sets for token in words_in)
            top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: self.tokens]
            made += [(f"{TOKEN}={token}", np.array([token in s for s in sets], dtype=bool)) for token, _ in top]
        for label, mask in made:
            assert len(mask) == n, label
        return made

    def _column_slices(self, column: str, series: Any, numeric: bool) -> list[tuple[str, np.ndarray]]:
        """A column's slices: its values (most frequent first) or, for a numeric column with
        many distinct values, quantile bins (a value holding a bin's share of the rows or more,
        such as the zeros of a zero-inflated column, is a slice of its own and the rest is
        binned); and ``column=missing`` for the rows without a value (NaN, None, and +-inf in a
        numeric column)."""
        import pandas as pd

        missing = np.array(series.isna(), dtype=bool)
        out: list[tuple[str, np.ndarray]] = []
        if numeric:
            x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            missing |= ~np.isfinite(x)
            values, counts = np.unique(x[~missing], return_counts=True)
            if len(values) > max(2 * self.bins, self.max_values or 0):
                out = self._bins(column, x, ~missing, values, counts)
            else:
                order = sorted(zip(values.tolist(), counts.tolist(), strict=True), key=lambda vc: (-vc[1], vc[0]))
                keep = order if self.max_values is None else order[: self.max_values]
                out = [(f"{column}={_short(v)}", x == v) for v, _ in keep]
        else:
            present = series[~missing]
            counts = present.value_counts(sort=False)
            order = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
            keep = order if self.max_values is None else order[: self.max_values]
            out = [(Slice(column, value=v).label, (series == v).to_numpy(dtype=bool)) for v, _ in keep]
        if missing.any():
            out.append((f"{column}={MISSING}", missing))
        return _unique_labels(out)

    def _bins(
        self, column: str, x: np.ndarray, finite: np.ndarray, values: np.ndarray, counts: np.ndarray
    ) -> list[tuple[str, np.ndarray]]:
        out: list[tuple[str, np.ndarray]] = []
        rest = finite.copy()
        top = int(np.argmax(counts))
        if counts[top] * self.bins >= finite.sum():  # a dominant value would collapse the quantile bins
            v = float(values[top])
            out.append((f"{column}={_short(v)}", x == v))
            rest &= x != v
        edges = np.unique(np.quantile(x[rest], np.linspace(0, 1, self.bins + 1)))
        for i, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False)):
            last = i == len(edges) - 2
            mask = rest & (x >= lo) & ((x <= hi) if last else (x < hi))
            out.append((f"{column}=[{_short(lo)}, {_short(hi)}{']' if last else ')'}", mask))
        return out

    def evaluate(self, evidence: Evaluation) -> CheckResult:
        metric = self.metric_for(evidence.task)
        head = f"{metric} vs {self.against}, weak-slice search"
        if self.against in evidence.absent:
            return self._absent(evidence, metric, head)
        candidate_scores, baseline_scores = evidence.candidate, evidence.scores(self.against)
        lc = row_losses(metric, evidence.labels, candidate_scores)
        lb = row_losses(metric, evidence.labels, baseline_scores)
        bad = int(np.count_nonzero(~np.isfinite(lc) | ~np.isfinite(lb)))
        if bad:
            message = (
                f"{head}: FAIL, the per-row {metric} is undefined on {bad} rows (a NaN score); nothing undefined passes"
            )
            return self._result(False, message, metric, "undefined")
        pieces = self.slices(evidence)
        found = weak_slices(
            lc,
            lb,
            pieces,
            max_regression=self.max_regression,
            min_rows=self.min_rows,
            confidence=self.confidence,
            seed=self.seed,
            groups=evidence.groups,
            bounded=metric in BOUNDED,
        )
        method = f"split-sample search, Holm, {_methods(metric, evidence.groups is not None)} ({self.confidence:.0%})"
        thin = found.searched - found.kept
        unit = "rows" if evidence.groups is None else "groups"
        least = max(self.min_rows, 2)
        left_out = f"fewer than {least} {unit} (min_rows = {self.min_rows}) in a half"
        if not found.kept:
            why = f"nothing was tested: {_count(found.searched, 'slice')} of the data, " + (
                f"all left out with {left_out}" if found.searched else "the columns and texts give no slice"
            )
            passed = inconclusive_passes(evidence.on_inconclusive)
            return self._result(passed, inconclusive_message(why, head, passed), metric, method, reason=why)
        counts = (
            f"{_count(found.searched, 'slice')} searched on {evidence.n} rows"
            + (f" ({thin} of them left out with {left_out})" if thin else "")
            + f", {len(found.selected)} selected on the search half ({found.n_search} rows)"
        )
        same = np.array_equal(np.asarray(candidate_scores), np.asarray(baseline_scores))
        note = f"; the candidate and {self.against} give identical predictions on every row" if same else ""
        leads = (
            f"; unconfirmed lead{'s' * (len(found.leads) > 1)} (above max_regression on the confirmation half, "
            "but its bound cannot be trusted there, so it counts as not confirmed): "
            + "; ".join(f"{label} ({why})" for label, why in found.leads)
            if found.leads
            else ""
        )
        worst = found.worst
        if worst is not None:
            k = len(found.findings)
            message = (
                f"{head}: FAIL, {k} slice{'s' * (k > 1)} regress{'es' * (k == 1)} by more than max_regression "
                f"{self.max_regression:g}, the worst {worst.label} (lower bound {worst.bound:+.4f}): "
                f"{'; '.join(f.text(metric) for f in found.findings)}. {counts}, "
                f"{found.confirmed} confirmed on the other half ({found.n_confirm} rows, Holm over "
                f"{len(found.selected)}){leads}"
            )
            return self._result(False, message, metric, method, worst=worst, findings=found.findings)
        confirmed = (
            f"none confirmed on the other half ({found.n_confirm} rows, Holm over {len(found.selected)})"
            if found.selected
            else "none to confirm"
        )
        message = (
            f"{head}: PASS, no slice is confirmed to regress by more than max_regression {self.max_regression:g}: "
            f"{counts}, {confirmed}{leads}{note}"
        )
        return self._result(True, message, metric, method)

    def _absent(self, evidence: Evaluation, metric: str, head: str) -> CheckResult:
        """First-run policy, as margin checks: no such baseline yet (no champion deployed)."""
        passed = not evidence.require_baselines
        policy = (
            "passes by default (require it with --gate-require-champion)"
            if passed
            else "fails: a baseline is required (--gate-require-champion)"
        )
        message = f"{head}: {evidence.absent[self.against]}; the check {policy}"
        return self._result(passed, message, metric, "no baseline")

    def _result(
        self,
        passed: bool,
        message: str,
        metric: str,
        method: str,
        *,
        worst: Finding | None = None,
        findings: Sequence[Finding] = (),
        reason: str = "",
    ) -> CheckResult:
        return CheckResult(
            name=self.name,
            group=SEARCH,
            passed=passed,
            message=message,
            metric=metric,
            baseline=self.against,
            estimate=worst.difference if worst else None,
            lower=worst.bound if worst else None,
            p_value=worst.p_value if worst else None,
            margin=self.max_regression,
            confidence=self.confidence,
            method=method,
            n=worst.n if worst else None,
            inconclusive=bool(reason),
            reason=reason or None,
            findings=tuple(asdict(f) for f in findings),
        )


def parse_search(raw: Mapping[str, Any], where: str, strict: bool = True) -> SearchCheck:
    """One ``[[tool.modelgate.search]]`` table as a SearchCheck; GateUsageError naming the key."""
    tables.check_table(raw, where, SEARCH_KEYS, "max_regression", "search")
    kwargs: dict[str, Any] = {"where": where}
    for key in ("metric", "against", "name"):
        if key in raw:
            kwargs[key] = tables.string(f"{where}.{key}", raw[key])
    kwargs["max_regression"] = tables.number(f"{where}.max_regression", raw["max_regression"], strict)
    if "columns" in raw:
        kwargs["columns"] = tables.strings(f"{where}.columns", raw["columns"])
        if len(set(kwargs["columns"])) < len(kwargs["columns"]):
            raise GateUsageError(f"{where}.columns: a column is named twice")
    if "text_length" in raw:
        kwargs["text_length"] = tables.boolean(f"{where}.text_length", raw["text_length"], strict)
    if "confidence" in raw:
        level = tables.confidence(f"{where}.confidence", raw["confidence"], strict)
        if level is None:
            raise GateUsageError(f"{where}.confidence: the search is decided on a bound; give a level in [0.5, 1)")
        kwargs["confidence"] = level
    for key, minimum in (("bins", 2), ("tokens", 0), ("min_rows", 1), ("max_values", 1), ("seed", 0)):
        if key in raw:
            kwargs[key] = tables.whole(f"{where}.{key}", raw[key], minimum, strict)
    try:
        return SearchCheck(**kwargs)
    except ValueError as exc:
        key, _, rest = str(exc).partition(" ")
        if key in raw:
            raise GateUsageError(f"{where}.{key}: {rest}") from None
        raise GateUsageError(f"{where}: {exc}") from None
