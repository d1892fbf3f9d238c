"""The card shows the records of its verdict and the record that corrects one: a tag write
that failed after the record said "apply" must not be hidden from the card."""

from __future__ import annotations

import json

from test_card_page import AUC, FakeTask, record_of

from modelgate import card_type
from modelgate.metaflow_io import records
from modelgate.verdict import Verdict


def test_the_card_shows_the_record_that_says_the_tag_was_not_applied():
    verdict = Verdict(results=[AUC], run=None).to_dict()
    announced = json.loads(record_of(verdict, tag={"name": "t", "action": "apply", "reason": "all passed"}).value)
    corrected = records.tag_not_written(announced, "could not apply tag 't' on F/1: lost")
    task = FakeTask(
        {"modelgate_verdict": verdict},
        metadata=[
            record_of(verdict, tag=announced["tag"]),
            type(record_of(verdict))("modelgate-record-r2", records.RECORD_TYPE, json.dumps(corrected)),
        ],
    )
    page = card_type.render_task(task)
    assert "t: apply" in page and "t: none" in page
    assert "could not apply the tag: could not apply tag &#x27;t&#x27; on F/1: lost" in page
