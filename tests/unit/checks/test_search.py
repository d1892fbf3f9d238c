"""The weak-slice search against the champion: a split-sample search, confirmed with Holm
on the other half, nested findings merged; first-run policy and bad input."""

import numpy as np
import pandas as pd
import pytest

from modelgate.checks import CHECK_KINDS, SearchCheck
from modelgate.checks.search import Finding, holm, holm_levels, merge_findings, split_halves, weak_slices
from modelgate.config import parse_table
from modelgate.errors import GateUsageError
from modelgate.evidence.evaluation import Evaluation
from modelgate.report.render import verdict_json, verdict_markdown
from modelgate.verdict import CheckResult, Verdict

GARMENTS = ["Dresses", "Knits", "Blouses", "Pants", "Jackets", "Skirts", "Sweaters", "Jeans", "Shorts", "Intimates"]


def world(n=3000, seed=0, regress=0.0, garment="Dresses", texts=False):
    """A binary task: champion and candidate equally good (same noise law, independent draws);
    with ``regress``, the candidate's probabilities are pushed that far toward the wrong class on
    the rows of one garment (10% of the rows)."""
    rng = np.random.default_rng(seed)
    g = rng.choice(GARMENTS, n)
    y = (rng.random(n) < 0.5).astype(int)
    truth = np.where(y == 1, 0.7, 0.3)
    champion = np.clip(truth + rng.normal(0, 0.15, n), 0.01, 0.99)
    candidate = np.clip(truth + rng.normal(0, 0.15, n), 0.01, 0.99)
    hit = g == garment
    candidate[hit] = np.clip(candidate[hit] + np.where(y[hit] == 1, -regress, regress), 0.01, 0.99)
    frame = pd.DataFrame({"garment": g, "price": rng.gamma(2.0, 20.0, n)})
    words = [f"a {x.lower()} {'fits' if i % 3 else 'runs small'}" for i, x in enumerate(g)]
    return Evaluation(
        labels=y,
        candidate=candidate,
        baselines={"champion": champion},
        frame=frame,
        texts=tuple(words) if texts else (),
    )


def test_a_candidate_like_the_champion_passes_and_says_what_was_searched():
    result = SearchCheck(0.02, columns=("garment", "price")).evaluate(world())
    assert result.passed and not result.inconclusive and result.group == "search"
    assert "PASS, no slice is confirmed to regress by more than max_regression 0.02" in result.message
    assert "14 slices searched on 3000 rows" in result.message  # 10 garments + 4 price quartiles
    assert result.findings == () and result.name == "weak-slices-vs-champion-at-most-0.02"


def test_under_the_null_the_check_fails_at_most_five_percent_of_the_time():
    check = SearchCheck(0.02, columns=("garment", "price"))
    failed = [not check.evaluate(world(n=1500, seed=s)).passed for s in range(60)]
    assert np.mean(failed) <= 0.05


def test_a_planted_ten_percent_slice_regression_is_found_reported_and_fails():
    result = SearchCheck(0.02, columns=("garment",)).evaluate(world(regress=0.3))
    assert not result.passed and not result.inconclusive
    assert "FAIL, 1 slice regresses by more than max_regression 0.02: garment=Dresses (n=" in result.message
    (finding,) = result.findings
    assert finding["label"] == "garment=Dresses" and finding["n"] > 250
    assert finding["bound"] > 0.02 and finding["difference"] > finding["bound"]
    assert (result.estimate, result.lower, result.n) == (finding["difference"], finding["bound"], finding["n_confirm"])
    assert f"lower bound {finding['bound']:+.4f}" in result.message
    # The reports carry it: the table's footnote, the Markdown section, the JSON record.
    verdict = Verdict([result])
    assert f"weak slice garment=Dresses (n={finding['n']})" in str(verdict)
    assert "### Weak slices" in verdict_markdown(verdict)
    assert '"label": "garment=Dresses"' in verdict_json(verdict)
    assert CheckResult.from_dict(result.to_dict()) == result


def test_the_verdict_is_reproducible_and_the_seed_is_the_split():
    evidence = world(regress=0.15, seed=3)
    first = SearchCheck(0.02, columns=("garment",)).evaluate(evidence)
    assert first.message == SearchCheck(0.02, columns=("garment",)).evaluate(evidence).message
    other = SearchCheck(0.02, columns=("garment",), seed=1).evaluate(evidence)
    assert other.findings != first.findings  # another split: other confirmation rows


def test_nested_and_overlapping_findings_merge_into_the_largest():
    n = 1000
    whole = np.zeros(n, dtype=bool)
    whole[:200] = True
    inner = np.zeros(n, dtype=bool)
    inner[:100] = True  # nested in whole
    overlapping = np.zeros(n, dtype=bool)
    overlapping[20:210] = True  # 180 of its 190 rows are in whole: heavy overlap
    apart = np.zeros(n, dtype=bool)
    apart[500:650] = True
    masks = {"whole": whole, "inner": inner, "overlapping": overlapping, "apart": apart}

    def finding(label, bound):
        return Finding(label, int(masks[label].sum()), 50, bound + 0.05, bound, 0.001, 0.99)

    merged = merge_findings(
        [finding(k, b) for k, b in (("inner", 0.2), ("overlapping", 0.1), ("whole", 0.05), ("apart", 0.1))], masks
    )
    assert [(f.label, f.merged) for f in merged] == [("whole", ("overlapping", "inner")), ("apart", ())]

    # End to end: a regression on one garment is also found by a token that holds the same rows.
    result = SearchCheck(0.02, columns=("garment",), tokens=12).evaluate(world(regress=0.3, texts=True))
    (only,) = result.findings
    assert {only["label"], *only["merged"]} == {"garment=Dresses", "token=dresses"}  # the same rows: one finding
    assert f"with {only['merged'][0]}" in result.message


def test_holm_against_a_hand_computed_example():
    # m = 4 at alpha 0.05: thresholds 0.0125, 0.01667, 0.025, 0.05 for the sorted p-values
    # 0.01 (rejected), 0.015 (rejected), 0.03 (not below 0.025: stop), 0.04 (not tested further).
    p = [0.03, 0.01, 0.04, 0.015]
    assert holm(p, 0.05).tolist() == [False, True, False, True]
    assert holm_levels(p, 0.05) == pytest.approx([0.025, 0.0125, 0.05, 0.05 / 3])
    assert holm([0.001, 0.2], 0.05).tolist() == [True, False]
    assert holm([0.04, 0.045], 0.05).tolist() == [False, False]  # 0.04 is not below 0.025
    assert holm([0.02, 0.024], 0.05).tolist() == [True, True]  # both below their thresholds
    assert holm([], 0.05).tolist() == []


def test_the_split_is_seeded_and_keeps_groups_whole():
    plain = split_halves(101, seed=0)
    assert plain.sum() == 50 and np.array_equal(plain, split_halves(101, seed=0))
    assert not np.array_equal(plain, split_halves(101, seed=1))
    groups = np.repeat(np.arange(40), np.random.default_rng(0).integers(1, 8, 40))
    search = split_halves(len(groups), seed=0, groups=groups)
    for g in np.unique(groups):
        assert len(set(search[groups == g].tolist())) == 1  # every group in one half
    assert abs(int(search.sum()) - len(groups) / 2) <= 8  # halves balanced to a group's size
    with pytest.raises(ValueError, match="groups has 3 entries for 4 rows"):
        split_halves(4, 0, groups=np.arange(3))


def test_with_groups_the_split_keeps_them_whole_and_the_bound_counts_each_group_once():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(150), 8)  # 8 rows a user, their losses shared within the user
    n = len(groups)
    shared = rng.normal(0, 0.3, 150)[groups]
    champion = rng.random(n)
    candidate = champion + 0.05 + shared
    everything = [("all", np.ones(n, dtype=bool))]
    plain = weak_slices(candidate, champion, everything, max_regression=0.02, min_rows=10)
    grouped = weak_slices(candidate, champion, everything, max_regression=0.02, min_rows=10, groups=groups)
    assert grouped.n_search % 8 == 0 and grouped.n_search + grouped.n_confirm == n
    # Treating 8 correlated rows as 8 observations confirms; one observation a user does not.
    assert [f.label for f in plain.findings] == ["all"] and grouped.findings == []


def test_the_group_column_reaches_the_search_and_copies_are_no_evidence():
    """A regression on one garment, each row copied 4 times in its own group: counted as
    groups (``Evaluation.groups``, set by ``group_column``) the copies give the search of the
    rows themselves, bound for bound; counted as rows they narrow it fourfold in n."""
    from dataclasses import replace

    base = world(n=1500, seed=3, regress=0.06)
    copies = np.repeat(np.arange(base.n), 4)
    copied = base.subset(copies)
    check = SearchCheck(0.02, columns=("garment",))
    grouped = check.evaluate(replace(copied, groups=copies))
    alone = check.evaluate(replace(base, groups=np.arange(base.n)))
    plain = check.evaluate(copied)
    assert not grouped.passed and not alone.passed
    (g,), (a,), (p,) = grouped.findings, alone.findings, plain.findings
    assert g["label"] == a["label"] == p["label"] == "garment=Dresses"
    for key in ("difference", "bound", "p_value"):
        assert g[key] == pytest.approx(a[key], rel=1e-9), key
    assert p["p_value"] < a["p_value"] / 10  # the copies as rows: far more "certain"
    few = check.evaluate(replace(base, groups=np.arange(base.n) % 5))  # 5 groups: nothing to search
    assert few.passed and "left out with fewer than min_rows = 30 groups in a half" in few.message


def test_first_run_policy_without_a_champion():
    evidence = world(regress=0.3)
    first = Evaluation(
        labels=evidence.labels,
        candidate=evidence.candidate,
        frame=evidence.frame,
        baselines={"champion": evidence.scores("champion")},
        absent={"champion": "no champion yet: no other run carries the tag"},
    )
    result = SearchCheck(0.02, columns=("garment",)).evaluate(first)
    assert result.passed and result.method == "no baseline" and "passes by default" in result.message
    from dataclasses import replace

    required = SearchCheck(0.02, columns=("garment",)).evaluate(replace(first, require_baselines=True))
    assert not required.passed and "a baseline is required" in required.message


def test_defaults_by_task_and_an_identical_candidate():
    evidence = world()
    same = Evaluation(
        labels=evidence.labels,
        candidate=evidence.candidate,
        baselines={"champion": evidence.candidate},
        frame=evidence.frame,
    )
    result = SearchCheck(0.02, columns=("garment",)).evaluate(same)
    assert result.passed and result.metric == "brier" and "identical predictions on every row" in result.message
    rng = np.random.default_rng(0)
    y = rng.normal(size=600)
    regression = Evaluation(
        labels=y,
        candidate=y + rng.normal(size=600),
        baselines={"champion": y},
        task="regression",
        frame=pd.DataFrame({"g": ["a", "b"] * 300}),
    )
    bad = SearchCheck(0.02, columns=("g",)).evaluate(regression)
    assert bad.metric == "mae" and not bad.passed and "garment" not in bad.message
    accuracy = SearchCheck(0.02, columns=("garment",), metric="accuracy").evaluate(world(regress=0.45))
    assert not accuracy.passed and accuracy.findings[0]["label"] == "garment=Dresses"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"columns": ["garment"]}, "search[0]: missing key 'max_regression'"),
        ({"max_regression": 0, "columns": ["garment"]}, "search[0].max_regression: must be a finite number > 0"),
        ({"max_regression": -0.1, "columns": ["garment"]}, "search[0].max_regression: must be a finite number > 0"),
        ({"max_regression": "a lot", "columns": ["garment"]}, "search[0].max_regression: expected a number"),
        ({"max_regression": 0.02}, "search[0]: nothing to search: give columns, text_length = true or tokens > 0"),
        ({"max_regression": 0.02, "tokens": 0}, "nothing to search"),
        ({"max_regression": 0.02, "columns": ["garment"], "colums": 1}, "search[0]: unknown key 'colums'"),
        (
            {"max_regression": 0.02, "columns": ["garment"], "metric": "roc_auc"},
            "search[0].metric: 'roc_auc' is not a mean of per-row losses",
        ),
        ({"max_regression": 0.02, "columns": ["garment"], "metric": "nope"}, "unknown metric 'nope'"),
        (
            {"max_regression": 0.02, "columns": ["garment"], "min_rows": 0},
            "search[0].min_rows: expected a whole number >= 1",
        ),
        ({"max_regression": 0.02, "columns": ["garment"], "confidence": "none"}, "the search is decided on a bound"),
        ({"max_regression": 0.02, "columns": ["garment", "garment"]}, "a column is named twice"),
    ],
)
def test_bad_tables_are_one_line_usage_errors(table, message):
    with pytest.raises(GateUsageError) as caught:
        parse_table({"search": [table]})
    assert message in str(caught.value) and "\n" not in str(caught.value), str(caught.value)


def test_bad_data_is_a_usage_error_before_any_test():
    evidence = world(texts=False)
    frame = evidence.frame.assign(review_id=[f"r{i}" for i in range(evidence.n)])
    ids = Evaluation(
        labels=evidence.labels,
        candidate=evidence.candidate,
        baselines={"champion": evidence.scores("champion")},
        frame=frame,
    )
    cases = [
        (SearchCheck(0.02, columns=("region",)), evidence, "columns: the validation data has no column 'region'"),
        (
            SearchCheck(0.02, columns=("review_id",)),
            ids,
            "column 'review_id' has 3000 distinct values, more than 50 to search without max_values",
        ),
        (
            SearchCheck(0.02, tokens=10),
            world(texts=False).subset(np.arange(100)),
            "tokens: the model receives feature columns, not a text column",
        ),
        (
            SearchCheck(0.02, against="last-week", columns=("garment",)),
            evidence,
            "against: no baseline named 'last-week'",
        ),
        (
            SearchCheck(0.02, metric="mae", columns=("garment",)),
            evidence,
            "metric 'mae' does not apply to task 'binary'",
        ),
    ]
    for check, data, message in cases:
        with pytest.raises(GateUsageError) as caught:
            check.prepare(data)
        assert message in str(caught.value), str(caught.value)
    # max_values keeps the most frequent values: a column of ids can be searched that way.
    kept = SearchCheck(0.02, columns=("review_id",), max_values=5).slices(ids)
    assert len(kept) == 5


def test_the_kind_is_registered_after_gaps():
    kinds = list(CHECK_KINDS)
    assert kinds.index("search") == kinds.index("gap") + 1
    assert CHECK_KINDS["search"].item_prefix == "modelgate::search::"
    config = parse_table({"search": [{"max_regression": 0.02, "columns": ["garment"], "name": "weak"}]})
    assert [c.name for c in config.all_checks()] == ["weak"] and config.baseline_names == ["champion"]
