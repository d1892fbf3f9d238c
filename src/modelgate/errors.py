"""Errors that mean "the user asked for something that cannot be done", and an outage.

The pytest plugin turns a GateUsageError into pytest's usage error (one line,
exit code 4, no traceback) and a MetaflowUnavailable into one ``FAILED`` line
and exit code 1; the in-flow API lets them propagate as ordinary exceptions.
"""

from .text import printable


class GateUsageError(Exception):
    """A bad run spec, a missing artifact, unusable validation data, bad config."""


class MetaflowUnavailable(RuntimeError):
    """The metadata service or the datastore could not be reached (or answered 5xx):
    not bad input. The pytest plugin ends the session with this one line and
    exit code 1 (no tag change); ``promote`` exits 3."""


class GateCheckFailed(AssertionError):
    """A quality check did not pass; the message says what was measured.

    An AssertionError: in a pytest session it is the model's verdict (a
    failure), not an error. Control characters in the message (a smoke case's
    name, a text) are escaped: it is printed."""

    def __init__(self, message: str) -> None:
        super().__init__(printable(message, keep_newlines=True))  # a property's report has several lines


class TagWriteError(RuntimeError):
    """A tag change did not stick: re-reading the run shows the old tags."""


class GateWarning(UserWarning):
    """Something the gate accepts but a person should know; the plugin prints
    these in the session header."""


class GateDataWarning(GateWarning):
    """Validation data the gate accepts but that makes its bounds look surer than they are
    (duplicate rows, a duplicate index): the rows are kept, the warning says how many."""
