"""Label codings in a pytest session on a TableFlow run."""

from __future__ import annotations

from test_positive_class_sessions import TAG, write_gate

from helpers import reset_tags, user_tags


def test_the_header_names_positive_class_0_of_0_1(gate_suite, table_run):
    """positive_class = 0 on 0/1 labels reads the model the other way round: the
    header must say so, as it does for 1 of 1/2."""
    run = reset_tags(table_run)
    write_gate(gate_suite, "01")
    result = gate_suite.run(run, "--gate-positive-class", "0")
    assert result.ret == 0, result.outlines  # the same ranking, read the other way
    assert TAG in user_tags(run)
    task = next(line for line in result.outlines if line.startswith("task: "))
    assert task.startswith("task: binary (inferred), positive class 0 (of 0, 1);"), task
