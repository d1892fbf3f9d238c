"""TensorFlow's start-up chatter kept out of the gate's output.

Unpickling a Keras model imports TensorFlow, and its first call starts its
devices: TensorFlow and absl then write lines such as ``WARNING: All log
messages before absl::InitializeLog() is called are written to STDERR`` and
``I0000 00:00:... cudart_stub.cc:31] Could not find cuda drivers ...`` straight
to file descriptor 2, below Python, where no logging setting reaches them.
:func:`tensorflow_quieted` sets ``TF_CPP_MIN_LOG_LEVEL`` (unless the user did)
before TensorFlow is imported and filters those lines out of what the block
writes to descriptor 2; any other line is passed on.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

# absl's C++ log lines ("I0000 00:00:1796.. 4409 cudart_stub.cc:31] ..."), its notice before
# it is initialised, and absl's Python logger through logging's last-resort handler.
_CHATTER = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.]+:\d+\] "
    r"|WARNING:absl:)"
)


@contextmanager
def tensorflow_quieted() -> Iterator[None]:
    """Run the block (importing TensorFlow, a Keras model's first call) without TensorFlow's
    C++ and absl start-up lines on stderr; its other output is kept, after the block."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's own C++ INFO and WARNING lines
    absl = logging.getLogger("absl")
    level = absl.level
    absl.setLevel(max(level, logging.ERROR))
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 to filter
        saved = -1
    if saved < 0:
        try:
            yield
        finally:
            absl.setLevel(level)
        return
    with tempfile.TemporaryFile() as sink:
        _flush()
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            _flush()
            os.dup2(saved, 2)
            os.close(saved)
            absl.setLevel(level)
            sink.seek(0)
            kept = [
                line
                for line in sink.read().decode(errors="replace").splitlines(keepends=True)
                if not _CHATTER.match(line)
            ]
            if kept:
                sys.stderr.write("".join(kept))
                _flush()


def _flush() -> None:
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # a closed or replaced stream
        pass
