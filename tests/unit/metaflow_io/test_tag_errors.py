"""Which tag-write errors are retried: real Metaflow and requests exceptions."""

from __future__ import annotations

import pytest
import requests
from metaflow.exception import MetaflowTaggingError
from metaflow.plugins.metadata_providers.service import ServiceException

from modelgate.metaflow_io.tagging import is_retriable


def ServiceAnswer(code: int) -> ServiceException:
    """Metaflow's own error for an answer of the metadata service, with its HTTP code."""
    return ServiceException(f"service answered {code}", http_code=code)


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (
            MetaflowTaggingError("Tagging failed due to conflicting updates from rapid successive tagging operations"),
            True,
        ),
        (ServiceAnswer(503), True),
        (ServiceAnswer(500), True),
        (ServiceAnswer(404), False),
        # Metaflow retried the write ten times already, and the answer may have been 401, 403 or 404.
        (MetaflowTaggingError("Tagging failed after 10 tries"), False),
        # Metaflow retries a connection that fails itself (METAFLOW_SERVICE_RETRY_COUNT).
        (requests.ConnectionError("Connection refused"), False),
        (MetaflowTaggingError("Metadata service says: tag 'x' is not allowed"), False),
        (ValueError("not a Metaflow error"), False),
    ],
    ids=["conflict", "503", "500", "404", "tries-spent", "unreachable", "refused", "other"],
)
def test_only_conflicts_and_5xx_answers_are_retried(error, retried):
    assert is_retriable(error) is retried
