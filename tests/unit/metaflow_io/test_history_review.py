"""The history reads every record it can and never stops on one it cannot (a field of
another shape: a hand-written or future record), and its errors name its own arguments."""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace

import pytest

from modelgate.metaflow_io import history, records


def _task(*values: object) -> SimpleNamespace:
    return SimpleNamespace(
        metadata=[
            SimpleNamespace(name=f"f{k}", type=records.RECORD_TYPE, value=json.dumps(v)) for k, v in enumerate(values)
        ]
    )


GOOD = [
    {"id": "b", "time": 2.0, "tag": {"action": "apply", "name": "t"}, "passed": True, "data_fingerprint": "sha256:x"},
    {"id": "a", "time": 1.0, "tag": {"action": "none", "name": "t"}, "passed": False, "data_fingerprint": "sha256:x"},
]
ODD = [
    {"id": "c", "time": "yesterday", "tag": {}},  # a time that is no number
    {"id": "d", "time": None, "tag": {}},
    {"id": "e", "time": True, "tag": {}},
    {"id": 7, "time": 2.0, "tag": {}},  # an id that is no text
]


def test_a_record_of_another_shape_never_stops_the_history():
    run = [[_task(*GOOD[:1], *ODD)], [_task(GOOD[1])]]  # steps of tasks
    found = records._run_records(run)
    assert [r["id"] for r in found] == ["a", 7, "b"]  # the odd times left out; oldest first, ties by id
    assert len(history.rows(found)) == 3 and history.table(found)


@pytest.mark.parametrize("spec", ["latest", "TinyFlow/latest", "Flow", "Flow/1/end", "a b/1", ""])
def test_a_bad_run_is_one_line_in_the_history_commands_own_words(spec, capsys):
    assert history.run(argparse.Namespace(run=spec, json=False)) == 4
    err = capsys.readouterr().err
    assert err == f"modelgate history: error: history reads one run: give Flow/run_id, not {spec!r}\n"
    assert "--model-run" not in err and "--model-flow" not in err


def test_the_record_that_corrects_another_sorts_after_it_whatever_the_clock_says():
    import time

    first = {"id": "f", "time": time.time() + 3600.0, "tag": {"action": "apply"}, "verdict": {"passed": True}}
    corrected = records.tag_not_written(first, "lost")
    assert corrected["time"] > first["time"] and corrected["corrects"] == "f"
    for id_ in ("0", "z"):  # whatever random id it gets
        later = {**corrected, "id": id_}
        assert [r["id"] for r in records._run_records([[_task(later, first)]])] == ["f", id_]


def test_the_history_table_prints_a_records_text_as_data():
    hostile = {"id": "h", "time": 1e300, "tag": {"action": "apply\x1b[2J", "name": "t"}, "user": "eve\nPASS"}
    body = history.table([GOOD[0], hostile])
    assert "\x1b" not in body and len(body.splitlines()) == 3  # the header and one line a record
    assert "eve\\nPASS" in body and "apply\\x1b[2J" in body and "1e+300" in body
