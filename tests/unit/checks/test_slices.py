"""Slices: a margin check or floor judged again on a subset of the rows, with three outcomes.

Plain calls on in-memory evidence; the pytest sessions are in
tests/integration/test_slice_sessions.py.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import special

from modelgate import Gate
from modelgate.checks import FloorCheck, MarginCheck, SliceCheck, SliceSpec
from modelgate.checks.slices import Slice, slice_checks
from modelgate.config import parse_table
from modelgate.errors import GateUsageError
from modelgate.evidence.evaluation import Evaluation, evaluate


def segmented(n=1200, seed=0, weak_share=0.2, weak_noise=3.0):
    """A validation frame with a ``segment`` column, and two models' scores: the candidate is
    better than the champion on segment "a" and much worse on segment "b"."""
    rng = np.random.default_rng(seed)
    segment = np.where(rng.random(n) < weak_share, "b", "a")
    y = (rng.random(n) < 0.6).astype(int)
    signal = rng.standard_normal(n) + 1.5 * y
    champion = special.expit(signal + 1.2 * rng.standard_normal(n))
    noise = np.where(segment == "b", weak_noise, 0.1) * rng.standard_normal(n)
    candidate = special.expit(signal + noise)
    frame = pd.DataFrame({"x": signal, "segment": segment, "size": rng.uniform(0, 100, n), "labels": y})
    return frame, y, candidate, champion


def evidence_of(frame, y, candidate, champion=None, **extra) -> Evaluation:
    baselines = {"champion": champion} if champion is not None else {}
    return evaluate(lambda rows: candidate, frame[["x"]], y, baselines, frame=frame, **extra)


AUC_VS_CHAMPION = MarginCheck("roc_auc", baseline="champion", margin=-0.01)


def test_a_slice_regression_fails_its_slice_while_the_whole_set_passes():
    frame, y, candidate, champion = segmented()
    evidence = evidence_of(frame, y, candidate, champion)
    checks = slice_checks([SliceSpec(column="segment")], [AUC_VS_CHAMPION], frame, None)
    assert [c.name for c in checks] == [
        "segment=a::roc_auc-vs-champion-margin-0.01",
        "segment=b::roc_auc-vs-champion-margin-0.01",
    ]
    overall = AUC_VS_CHAMPION.evaluate(evidence)
    a, b = (c.evaluate(evidence) for c in checks)
    assert overall.passed and a.passed
    assert not b.passed and b.outcome == "fail"
    assert b.slice == "segment=b" and b.n == int(np.sum(frame["segment"] == "b"))
    assert b.message.startswith("slice segment=b: roc_auc: candidate")


def test_a_slice_is_the_check_on_those_rows_with_the_whole_sets_baselines():
    frame, y, candidate, champion = segmented()
    evidence = evidence_of(frame, y, candidate, champion)
    rows = np.flatnonzero(frame["segment"] == "b")
    majority = MarginCheck("log_loss", baseline="majority", margin=0.0)
    got = SliceCheck(Slice("segment", value="b"), majority).evaluate(evidence)
    # By hand: the slice's rows, and the majority baseline of the WHOLE validation set
    # (a constant model fitted to all labels, not refitted to the slice).
    by_hand = Evaluation(
        labels=y[rows], candidate=candidate[rows], baselines={"majority": np.full(len(rows), y.mean())}
    )
    want = majority.evaluate(by_hand)
    assert (got.estimate, got.lower, got.passed, got.n) == (want.estimate, want.lower, want.passed, want.n)
    assert y[rows].mean() != y.mean()  # the test would not tell the two apart otherwise


def test_a_listed_value_absent_from_the_data_fails_whatever_on_inconclusive_says():
    frame, y, candidate, champion = segmented()
    for on_inconclusive in ("fail", "pass"):
        evidence = evidence_of(frame, y, candidate, champion, on_inconclusive=on_inconclusive)
        (check,) = slice_checks([SliceSpec(column="segment", values=("c",))], [AUC_VS_CHAMPION], frame, None)
        result = check.evaluate(evidence)
        assert not result.passed and not result.inconclusive and result.outcome == "fail"
        assert "the value 'c' is absent from the validation data's column 'segment'" in result.message


def test_an_empty_bin_fails_as_an_absent_value_does():
    frame, y, candidate, _ = segmented()
    evidence = evidence_of(frame, y, candidate, on_inconclusive="pass")
    spec = SliceSpec(column="size", bins=(0, 50, 100, 200))
    checks = slice_checks([spec], [FloorCheck("roc_auc", at_least=0.5)], frame, None)
    assert [c.slice.label for c in checks] == ["size=[0, 50)", "size=[50, 100)", "size=[100, 200]"]
    results = [c.evaluate(evidence) for c in checks]
    assert [r.outcome for r in results] == ["pass", "pass", "fail"]
    assert "no value of the validation data's column 'size' falls in the bin" in results[2].message
    assert sum(r.n for r in results) == len(frame)  # every row in exactly one bin


def test_a_slice_with_too_few_rows_or_rows_of_a_class_is_inconclusive():
    frame, y, candidate, champion = segmented(n=400, weak_share=0.05, weak_noise=0.1)  # b is not weak here
    spec = SliceSpec(column="segment", values=("b",), min_rows=30)
    n_b = int(np.sum(frame["segment"] == "b"))
    assert n_b < 30
    for on_inconclusive, passed in (("fail", False), ("pass", True)):
        evidence = evidence_of(frame, y, candidate, champion, on_inconclusive=on_inconclusive)
        (check,) = slice_checks([spec], [AUC_VS_CHAMPION], frame, None)
        result = check.evaluate(evidence)
        assert result.inconclusive and result.passed is passed
        assert f"the slice has {n_b} rows, fewer than min_rows = 30" in result.message
    # Enough rows, but one class is thin: a slice of the positives has no negative at all.
    evidence = evidence_of(frame, y, candidate, champion)
    check = SliceCheck(Slice("labels", value=1), AUC_VS_CHAMPION, min_rows=5, min_per_class=5)
    result = check.evaluate(evidence)
    assert result.inconclusive and not result.passed
    assert "the slice has 0 rows of class 0, fewer than min_per_class = 5" in result.reason


def test_with_groups_a_slice_counts_its_groups_not_its_rows():
    """Copies of a row inside its group are no evidence: a slice of 22 users, three rows
    each, is as thin as 22 rows (min_rows = 30), and so is a class of 4 users."""
    frame, y, candidate, champion = segmented(n=400, weak_share=0.05, weak_noise=0.1)
    n_b = int(np.sum(frame["segment"] == "b"))
    assert n_b < 30
    copies = np.repeat(np.arange(len(frame)), 3)
    frame3, y3, c3, ch3 = frame.iloc[copies].reset_index(drop=True), y[copies], candidate[copies], champion[copies]
    spec = SliceSpec(column="segment", values=("b",), min_rows=30)
    (check,) = slice_checks([spec], [AUC_VS_CHAMPION], frame3, None)
    plain = check.evaluate(evidence_of(frame3, y3, c3, ch3))
    assert not plain.inconclusive  # 3 * n_b rows counted as independent are enough
    grouped = check.evaluate(evidence_of(frame3, y3, c3, ch3, groups=copies))
    assert grouped.inconclusive and not grouped.passed
    assert f"the slice has {n_b} groups, fewer than min_rows = 30" in grouped.reason
    negatives = int(np.sum((frame["segment"] == "a") & (y == 0)))
    thin_class = SliceCheck(Slice("segment", value="a"), AUC_VS_CHAMPION, min_rows=5, min_per_class=negatives + 1)
    result = thin_class.evaluate(evidence_of(frame3, y3, c3, ch3, groups=copies))
    assert (
        result.inconclusive
        and f"the slice has {negatives} groups of class 0, fewer than min_per_class" in result.reason
    )


def test_an_undefined_statistic_on_a_slice_is_inconclusive_not_a_pass():
    frame, y, candidate, champion = segmented()
    evidence = evidence_of(frame, y, candidate, champion, on_inconclusive="fail")
    # min_per_class = 0 lets a one-class slice through to the check: its AUC is undefined.
    check = SliceCheck(Slice("labels", value=1), AUC_VS_CHAMPION, min_rows=1, min_per_class=0)
    result = check.evaluate(evidence)
    assert result.inconclusive and not result.passed
    assert "single class: AUC is undefined" in result.reason
    assert result.message.startswith("slice labels=1: INCONCLUSIVE: y_true has a single class")


def test_slices_do_not_depend_on_the_row_order():
    frame, y, candidate, champion = segmented()
    order = np.random.default_rng(1).permutation(len(frame))
    shuffled = frame.iloc[order].reset_index(drop=True)
    specs = [SliceSpec(column="segment"), SliceSpec(column="size", bins=(0, 30, 100))]
    checks = [AUC_VS_CHAMPION, FloorCheck("accuracy", at_least=0.6)]
    results = [
        [
            (r.name, r.outcome, r.n, round(r.lower, 12))
            for r in (c.evaluate(evidence_of(f, yy, cc, ch)) for c in slice_checks(specs, checks, f, None))
        ]
        for f, yy, cc, ch in ((frame, y, candidate, champion), (shuffled, y[order], candidate[order], champion[order]))
    ]
    assert results[0] == results[1]


def test_column_values_match_by_value_and_never_a_bool_for_a_number():
    frame = pd.DataFrame({"n": [1, 2, 1, 2], "f": [1.0, 2.0, 1.0, 2.0], "b": [True, False, True, False]})
    evidence = Evaluation(labels=np.array([0, 1, 0, 1]), candidate=np.zeros(4), frame=frame)
    assert list(Slice("n", value=1.0).rows(evidence)) == [0, 2]
    assert list(Slice("f", value=2).rows(evidence)) == [1, 3]
    assert list(Slice("b", value=True).rows(evidence)) == [0, 2]
    assert list(Slice("n", value=True).rows(evidence)) == []
    assert list(Slice("n", value="1").rows(evidence)) == []


def test_length_buckets_leave_out_a_bucket_no_text_falls_in():
    texts = ["short one"] * 40 + [" ".join(["w"] * 30)] * 40
    frame = pd.DataFrame({"review": texts, "labels": [0, 1] * 40})
    spec = SliceSpec(text_length=True)
    assert [s.label for s in spec.slices(frame, texts)] == ["length=short", "length=medium"]
    evidence = Evaluation(labels=frame["labels"].to_numpy(), candidate=np.zeros(80), texts=tuple(texts), frame=frame)
    assert list(Slice("length", low=20, high=60, bucket="medium").rows(evidence)) == list(range(40, 80))


# -- bad input: one line naming the key ------------------------------------------------
@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"column": "size", "bins": [0, 50, 50]}, "slices[0].bins: the edges must be increasing"),
        ({"column": "size", "bins": [10]}, "slices[0].bins: expected an array of at least 2 numbers"),
        ({"column": "segment", "min_rows": 0}, "slices[0].min_rows: expected a whole number >= 1"),
        ({"column": "segment", "min_per_class": -1}, "slices[0].min_per_class: expected a whole number >= 0"),
        ({"column": "segment", "values": ["a"], "bins": [0, 1]}, "give values or bins, not both"),
        ({"values": ["a"]}, "give a column (its values, or bins) or text_length = true"),
        ({"column": "segment", "text_length": True}, "give a column (its values, or bins) or text_length = true"),
        ({"column": "segment", "values": []}, "slices[0].values: expected a non-empty array"),
        ({"column": "segment", "values": ["a", "a"]}, "slices[0].values: expected a non-empty array of distinct"),
        ({"column": "segment", "colour": 1}, "slices[0]: unknown key 'colour'"),
        ({"text_length": True, "bins": [0, 10]}, "text_length has its own buckets"),
    ],
)
def test_a_bad_slice_table_is_one_line_naming_the_key(table, message):
    with pytest.raises(GateUsageError, match="^" + "\\[tool.modelgate\\]"):
        parse_table({"slices": [table]})
    with pytest.raises(GateUsageError) as caught:
        parse_table({"slices": [table]})
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_slices_the_data_cannot_have_are_one_line_naming_the_key():
    frame, *_ = segmented()
    ids = frame.assign(user=np.arange(len(frame)).astype(str))
    cases = [
        (SliceSpec(column="region"), frame, "slices.column: the validation data has no column 'region'"),
        (SliceSpec(column="segment", bins=(0, 1)), frame, "slices.bins: column 'segment' is not numeric"),
        (SliceSpec(column="user"), ids, "column 'user' has 1200 distinct values, more than max_values = 20"),
        (SliceSpec(text_length=True), frame, "text_length: the model receives feature columns"),
        (SliceSpec(column="segment", checks=("nope",)), frame, "no margin check or floor is named 'nope'"),
    ]
    for spec, data, message in cases:
        with pytest.raises(GateUsageError) as caught:
            slice_checks([spec], [AUC_VS_CHAMPION], data, None)
        assert message in str(caught.value), str(caught.value)
    # max_values raised, or the values listed: the same column is fine.
    assert len(slice_checks([SliceSpec(column="user", max_values=2000)], [AUC_VS_CHAMPION], ids, None)) == 1200


def test_a_slices_table_names_its_checks_or_takes_every_margin_and_floor():
    config = parse_table(
        {
            "checks": [
                {"metric": "roc_auc", "baseline": "champion", "margin": -0.01},
                {"metric": "accuracy", "at_least": 0.6},
            ],
            "slices": [
                {"column": "segment", "checks": ["roc_auc-vs-champion-margin-0.01"]},
                {"column": "segment", "values": ["b"], "checks": ["accuracy-at-least-0.6"]},
                {"column": "size", "bins": [0, 100]},
            ],
        }
    )
    frame, *_ = segmented()
    made = slice_checks(config.slices, config.all_checks(), frame, None)
    assert [c.name for c in made] == [
        "segment=a::roc_auc-vs-champion-margin-0.01",
        "segment=b::roc_auc-vs-champion-margin-0.01",
        "segment=b::accuracy-at-least-0.6",
        "size=[0, 100]::roc_auc-vs-champion-margin-0.01",
        "size=[0, 100]::accuracy-at-least-0.6",
    ]
    twice = parse_table({"checks": [{"metric": "accuracy", "at_least": 0.6}], "slices": [{"column": "segment"}] * 2})
    with pytest.raises(GateUsageError, match="two slice checks are named 'segment=a::accuracy-at-least-0.6'"):
        slice_checks(twice.slices, twice.all_checks(), frame, None)


def test_the_in_flow_gate_runs_slices_and_fails_on_the_weak_one():
    from sklearn.linear_model import LogisticRegression

    frame, y, *_ = segmented()
    model = LogisticRegression().fit(frame[["x"]], y)
    frame = frame.assign(x=np.where(frame["segment"] == "b", -frame["x"], frame["x"]))  # inverted on segment b
    gate = Gate(
        checks=[FloorCheck("roc_auc", at_least=0.5)],
        slices=[SliceSpec(column="segment")],
        label_column="labels",
        feature_columns=["x"],
    )
    verdict = gate.evaluate(model, frame)
    outcomes = {r.name: r.outcome for r in verdict.results}
    assert outcomes == {
        "roc_auc-at-least-0.5": "pass",
        "segment=a::roc_auc-at-least-0.5": "pass",
        "segment=b::roc_auc-at-least-0.5": "fail",
    }
    assert not verdict.passed
    assert "roc_auc floor [segment=b, n=" in str(verdict)


# -- guards on the comparison ------------------------------------------------------------
def test_identical_predictions_are_said_in_words_and_fail_a_superiority_check():
    frame, y, candidate, _ = segmented(n=500)
    evidence = Evaluation(labels=y, candidate=candidate, baselines={"champion": candidate.copy()})
    same = "the candidate's predictions equal the champion's on every row (the same model?)"
    for metric in ("roc_auc", "accuracy", "log_loss", "f1"):
        better = MarginCheck(metric, baseline="champion", margin=0.0).evaluate(evidence)
        assert not better.passed and better.message.endswith(f"; {same}, so it cannot beat it"), better.message
        assert better.reason == same
        relative = MarginCheck(metric, baseline="champion", margin=0.0, relative=True).evaluate(evidence)
        assert not relative.passed and same in relative.message
        # "loses at most 0.01" holds for the same model: it passes, and still says why the difference is 0.
        no_worse = MarginCheck(metric, baseline="champion", margin=-0.01).evaluate(evidence)
        assert no_worse.passed and no_worse.message.endswith(f"; {same}"), no_worse.message


# -- found by the hostile review ----------------------------------------------------------
def test_a_thin_slice_whose_estimate_fails_fails_even_when_inconclusive_passes():
    """25 rows, every one wrong: too thin to bound, but no bound could clear on them."""
    rng = np.random.default_rng(0)
    n = 400
    segment = np.where(np.arange(n) < 25, "tiny", "big")
    y = (rng.random(n) < 0.5).astype(int)
    scores = np.where(segment == "tiny", 1 - y, y) * 0.8 + 0.1  # right everywhere but the tiny segment
    frame = pd.DataFrame({"segment": segment})
    evidence = Evaluation(
        labels=y, candidate=scores, baselines={"majority": np.full(n, y.mean())}, frame=frame, on_inconclusive="pass"
    )
    for check in (FloorCheck("accuracy", at_least=0.8), MarginCheck("roc_auc", margin=0.2)):
        (tiny,) = [c for c in slice_checks([SliceSpec(column="segment")], [check], frame, None) if "tiny" in c.name]
        result = tiny.evaluate(evidence)
        assert not result.passed and not result.inconclusive, result.message
        assert "fewer than min_rows = 30, and the estimate itself" in result.message


def test_a_slice_against_an_absent_champion_follows_the_first_run_policy():
    frame, y, candidate, _ = segmented()
    evidence = Evaluation(
        labels=y, candidate=candidate, baselines={}, frame=frame, absent={"champion": "no champion yet"}
    )
    (a, b) = slice_checks([SliceSpec(column="segment")], [AUC_VS_CHAMPION], frame, None)
    for check in (a, b):
        result = check.evaluate(evidence)
        assert result.passed and not result.inconclusive and "no champion yet" in result.message
        assert result.n == int(np.sum(frame["segment"] == check.slice.value))
    required = Evaluation(
        labels=y, candidate=candidate, frame=frame, absent={"champion": "no champion yet"}, require_baselines=True
    )
    assert not a.evaluate(required).passed


def test_missing_values_and_dates_in_a_slice_column():
    frame = pd.DataFrame(
        {
            "s": pd.array(["a", "b", None] * 40, dtype="string"),
            "p": pd.array(["a", "b", None] * 40, dtype="string[pyarrow]"),
            "i": pd.array([1, 2, None] * 40, dtype="Int64"),
            "day": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"] * 40),
        }
    )
    y = np.array([0, 1] * 60)
    evidence = Evaluation(labels=y, candidate=np.where(y == 1, 0.9, 0.1), frame=frame)
    floor = FloorCheck("accuracy", at_least=0.5)
    for column, labels in [
        ("s", ["s=a", "s=b"]),
        ("p", ["p=a", "p=b"]),
        ("i", ["i=1", "i=2"]),
        ("day", ["day=2024-01-01 00:00:00", "day=2024-01-02 00:00:00", "day=2024-01-03 00:00:00"]),
    ]:
        made = slice_checks([SliceSpec(column=column, min_rows=1)], [floor], frame, None)
        assert [c.slice.label for c in made] == labels
        assert all(c.evaluate(evidence).n == 40 for c in made)
    (binned,) = slice_checks([SliceSpec(column="i", bins=(0, 3), min_rows=1)], [floor], frame, None)
    assert binned.evaluate(evidence).n == 80  # the missing ones are in no bin


def test_a_doubled_slice_column_an_empty_checks_list_and_a_name_clash_are_one_line_errors():
    frame, *_ = segmented()
    doubled = pd.concat([frame, frame[["segment"]]], axis=1)
    for spec in (SliceSpec(column="segment"), SliceSpec(column="segment", bins=(0, 1))):
        with pytest.raises(GateUsageError, match="has 2 columns named 'segment'"):
            slice_checks([spec], [AUC_VS_CHAMPION], doubled, None)
    with pytest.raises(GateUsageError, match="slices\\[0\\].checks: name at least one check"):
        parse_table({"slices": [{"column": "segment", "checks": []}]})
    clash = FloorCheck("roc_auc", at_least=0.74, name="segment=a::roc_auc-at-least-0.6")
    with pytest.raises(GateUsageError, match="has the name of a configured check"):
        slice_checks([SliceSpec(column="segment")], [FloorCheck("roc_auc", at_least=0.6), clash], frame, None)


def test_bin_edges_read_back_exactly():
    spec = SliceSpec(column="x", bins=(1, 1.0000001, 1.0000002))
    labels = [s.label for s in spec.slices(pd.DataFrame({"x": [1.0]}), None)]
    assert labels == ["x=[1, 1.0000001)", "x=[1.0000001, 1.0000002]"]


def test_a_nan_score_on_a_slice_is_a_defect_not_inconclusive():
    frame, y, candidate, champion = segmented()
    broken = candidate.copy()
    broken[np.flatnonzero(frame["segment"] == "b")[:3]] = np.nan
    evidence = Evaluation(
        labels=y, candidate=broken, baselines={"champion": champion}, frame=frame, on_inconclusive="pass"
    )
    (_, b) = slice_checks([SliceSpec(column="segment")], [AUC_VS_CHAMPION], frame, None)
    result = b.evaluate(evidence)
    assert not result.passed and not result.inconclusive


def test_a_result_computed_for_the_header_goes_only_to_an_equal_check():
    """The header's power lines compute the bounded checks early; a hand-written check of the
    same name but other settings (or another kind) must get its own result, not that one."""
    from sklearn.linear_model import LogisticRegression

    from modelgate.checks import PropertyCheck
    from modelgate.runner import GateRunner

    frame, y, *_ = segmented()
    model = LogisticRegression().fit(frame[["x"]], y)
    config = parse_table(
        {"label_column": "labels", "feature_columns": ["x"], "checks": [{"metric": "roc_auc", "at_least": 0.7}]}
    )
    runner = GateRunner.for_run(config, None)
    evidence = runner.evidence(model, frame)
    (early,) = runner.early_results(evidence)
    assert early.confidence == 0.95
    stricter = FloorCheck("roc_auc", at_least=0.7, confidence=0.99)  # the same name, roc_auc-at-least-0.7
    assert runner.run_check(stricter, evidence).confidence == 0.99
    impostor = PropertyCheck("monotonic", column="x", name="roc_auc-at-least-0.7")
    assert runner.run_check(impostor, evidence).group == "property"
    # The configured check itself gets the header's result, computed once.
    assert runner.run_check(FloorCheck("roc_auc", at_least=0.7), evidence) is early


def test_slices_are_never_dropped_for_want_of_the_data():
    """A front end that asks for the checks without the frame gets an error, not a gate
    that passes by leaving its slices out (GateFlow asked so, before slices existed)."""
    from modelgate.runner import GateRunner

    config = parse_table(
        {
            "feature_columns": ["x"],
            "checks": [{"metric": "accuracy", "at_least": 0.5}],
            "slices": [{"column": "segment"}],
        }
    )
    runner = GateRunner.for_run(config, None)
    with pytest.raises(GateUsageError, match="the gate declares slices: give the validation frame"):
        runner.checks()
    assert runner.kinds() == ["floor", "slice"]
    frame, *_ = segmented()
    assert [c.check_kind for c in runner.checks(frame)] == ["floor", "slice", "slice"]


def test_a_column_of_lists_is_one_line_not_a_traceback():
    frame = pd.DataFrame({"tokens": [["a", "b"], ["c"]] * 20, "single": [["a"], ["b"]] * 20})
    for column in ("tokens", "single"):
        with pytest.raises(GateUsageError, match=f"column '{column}' holds lists, not single values"):
            slice_checks([SliceSpec(column=column)], [FloorCheck("accuracy", at_least=0.5)], frame, None)
