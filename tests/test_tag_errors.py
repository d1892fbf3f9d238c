"""Which tag-write errors are retried, and how an outage is said: real Metaflow and requests exceptions."""

from __future__ import annotations

import pytest
import requests
from metaflow.exception import MetaflowTaggingError
from metaflow.plugins.metadata_providers.service import ServiceException

from modelgate.tagging import describe_error, is_retriable


def ServiceAnswer(code: int) -> ServiceException:
    """Metaflow's own error for an answer of the metadata service, with its HTTP code."""
    return ServiceException(f"service answered {code}", http_code=code)


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (MetaflowTaggingError("Tagging failed due to conflicting updates from rapid successive tagging operations"), True),
        (ServiceAnswer(503), True),
        (ServiceAnswer(500), True),
        (ServiceAnswer(404), False),
        (MetaflowTaggingError("Metadata service says: tag 'x' is not allowed"), False),
        (ValueError("not a Metaflow error"), False),
    ],
    ids=["conflict", "503", "500", "404", "refused", "other"],
)
def test_only_conflicts_and_5xx_answers_are_retried(error, retried):
    assert is_retriable(error) is retried


def test_an_unreachable_service_is_one_short_line():
    try:
        requests.get("http://127.0.0.1:9/flows/TinyFlow/runs/1", timeout=2)
    except requests.RequestException as exc:
        error = exc
    line = describe_error(error)
    assert line.startswith("the metadata service") and line.endswith("cannot be reached (connection refused)"), line
    assert "HTTPConnectionPool" not in line and "\n" not in line


def test_other_errors_are_cut_to_one_line_of_300_characters():
    line = describe_error(RuntimeError("x" * 1000 + "\nsecond line"))
    assert len(line) <= 300 and "\n" not in line
