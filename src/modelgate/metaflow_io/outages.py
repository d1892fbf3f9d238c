"""A metadata service or datastore that cannot be reached, told apart from bad input.

Once its own retries are spent, Metaflow's client surfaces an outage as a
requests or urllib3 connection error (the metadata service), a
``MetaflowS3Exception`` or a botocore connection error (S3), or a
``ServiceException`` for a 5xx answer (with no code after 503s). None
of these is the user's fault: the gate raises :class:`MetaflowUnavailable`
with one short line (exit 1 in a pytest session, 3 in ``promote``), never a
GateUsageError (exit 4, "bad input"), and never skips a run it could not read.
"""

from __future__ import annotations

import re

from ..errors import MetaflowUnavailable

# What an unreachable server's error says (urllib3's and botocore's nested reprs), in a few words.
_WHY = (
    ("connection refused", "connection refused"),
    ("could not connect", "could not connect"),
    ("timed out", "timed out"),
    ("connection reset", "connection reset"),
    ("connection aborted", "connection reset"),
    ("name or service not known", "unknown host"),
    ("temporary failure in name resolution", "unknown host"),
)
_CLIENT_LIBRARIES = ("requests", "urllib3", "botocore")


def _library(exc: BaseException) -> str:
    return type(exc).__module__.split(".")[0]


def _connection_failed(exc: BaseException) -> bool:
    """A connection that could not be made or kept: refused, reset, timed out, unknown host."""
    import requests

    if isinstance(exc, (ConnectionError, TimeoutError, requests.ConnectionError, requests.Timeout)):
        return True
    name = type(exc).__name__
    return _library(exc) in _CLIENT_LIBRARIES and ("Connection" in name or "Timeout" in name)


# Metaflow's words for a metadata request it gave up on after 503s (it retries 503 itself,
# then raises with no code: ``Metadata request (/flows/F/runs/1) failed``).
_GAVE_UP_ON_503 = re.compile(r"^Metadata request \(.*\) failed$")


def is_server_error(exc: BaseException) -> bool:
    """Metaflow's ``ServiceException`` for a 5xx answer of the metadata service
    (with its code, or without one once Metaflow's own 503 retries are spent)."""
    from metaflow.exception import MetaflowException

    if not isinstance(exc, MetaflowException):
        return False
    code = getattr(exc, "http_code", None)
    if isinstance(code, int):
        return 500 <= code <= 599
    return type(exc).__name__ == "ServiceException" and bool(_GAVE_UP_ON_503.match(str(exc)))


def _s3_failed(exc: BaseException) -> bool:
    """Metaflow's S3 client gave up (``S3 operation failed``, after its own retries). A
    missing object or a refused access are other classes: those are not outages."""
    return type(exc).__name__ == "MetaflowS3Exception"


def is_unavailable(exc: BaseException) -> bool:
    """The metadata service or the datastore could not be reached, or answered 5xx."""
    return _connection_failed(exc) or is_server_error(exc) or _s3_failed(exc)


def one_line(exc: BaseException) -> str:
    """An error's text on one line (its ``message`` when it has one), else its type's name."""
    text = " ".join(str(getattr(exc, "message", "") or exc).split())
    return text or type(exc).__name__


def describe_error(exc: BaseException) -> str:
    """An error of a Metaflow read or write in one short line. A server that cannot
    be reached is said as such, with its URL (``the metadata service at
    http://... cannot be reached (connection refused)``), rather than as the
    client library's nested ``HTTPConnectionPool(...)`` text."""
    if _connection_failed(exc) or _s3_failed(exc):
        text = str(exc).lower()
        why = next((short for words, short in _WHY if words in text), None)
        if why is None and _s3_failed(exc):
            return f"{_server(exc)} failed: {one_line(exc)[:200]}"
        return f"{_server(exc)} cannot be reached ({why or type(exc).__name__})"
    line = one_line(exc)
    if is_server_error(exc):
        line = f"{_server(exc)} failed: {line}"
    return line if len(line) <= 300 else line[:297] + "..."


def _server(exc: BaseException) -> str:
    try:
        from metaflow import metaflow_config as config
    except Exception:  # pragma: no cover - Metaflow's configuration could not be read
        return "the S3 datastore" if _library(exc) == "botocore" or _s3_failed(exc) else "the metadata service"
    if _library(exc) == "botocore" or _s3_failed(exc):
        url = getattr(config, "S3_ENDPOINT_URL", None)
        return f"the S3 datastore at {url}" if url else "the S3 datastore"
    url = getattr(config, "SERVICE_URL", None)
    return f"the metadata service at {url}" if url else "the metadata service"


def unavailable(what: str, exc: BaseException) -> MetaflowUnavailable:
    """``MetaflowUnavailable("cannot read X: the metadata service at ... cannot be reached (...)")``."""
    return MetaflowUnavailable(f"{what}: {describe_error(exc)}")
