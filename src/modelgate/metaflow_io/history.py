"""``python -m modelgate history Flow/run_id``: every verdict recorded on a run, oldest
first, as a table (or ``--json``), and how many candidates its validation data has gated.

Exit 0 when the run was found (with or without records), 3 when Metaflow failed, 4 on
bad input (a malformed run, a run that does not exist).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from ..errors import GateUsageError, MetaflowUnavailable
from .promote import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandParser
from .records import champion_shown

PROG = "python -m modelgate history"
SUMMARY = "show every verdict recorded on a run (which gate, against which champion, on which data)"
DESCRIPTION = (
    "Show every verdict the gate recorded on a run, oldest first: the time, the front end, the verdict, "
    "the tag action, the champion, the config hash, the validation data's fingerprint and how many runs "
    "of the flow were gated on that data, the user and modelgate's version. Exit 0, 3 Metaflow failed, 4 bad input."
)
COLUMNS = ("time (UTC)", "front end", "verdict", "tag", "champion", "config", "data", "user", "version")


def add_arguments(made: argparse.ArgumentParser) -> argparse.ArgumentParser:
    made.add_argument("run", metavar="Flow/run_id", help="the candidate run whose records to show")
    made.add_argument("--json", action="store_true", help="print the records as a JSON list, not a table")
    return made


def rows(records: Sequence[dict[str, Any]]) -> list[tuple[str, ...]]:
    """One table row a record, every cell printable (a record's text is data: a user name
    or a tag reason with an ESC or a newline would rewrite the terminal or break the table)."""
    from ..text import printable

    out: list[tuple[str, ...]] = []
    for r in records:
        try:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(r.get("time", 0))))
        except (OverflowError, ValueError, OSError):  # a time no calendar holds: shown as it is
            when = str(r.get("time"))
        passed = r.get("passed")
        verdict = "PASS" if passed is True else "FAIL" if passed is False else "ERROR"
        tag = r.get("tag") or {}
        out.append(
            tuple(
                printable(cell)
                for cell in (
                    when,
                    str(r.get("front_end", "")),
                    verdict,
                    f"{tag.get('action', '')} {tag.get('name', '')}".strip(),
                    champion_shown(r),
                    str(r.get("config_hash", "")).removeprefix("sha256:"),
                    str(r.get("data_fingerprint") or "").removeprefix("sha256:"),
                    str(r.get("user", "")),
                    str(r.get("modelgate_version", "")),
                )
            )
        )
    return out


def table(records: Sequence[dict[str, Any]]) -> str:
    body = rows(records)
    widths = [max(len(c), *(len(row[i]) for row in body)) if body else len(c) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in body]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the records of ``args.run``; the exit code. Errors are one line on stderr."""
    from ..text import printable
    from . import records, runs

    try:
        try:
            spec = runs.parse_run_spec(args.run)
        except GateUsageError:  # its words are --model-run's and --model-flow's, options history has not
            spec = None
        if spec is None or spec.run_id is None:
            raise GateUsageError(f"history reads one run: give Flow/run_id, not {args.run!r}")
        pathspec = f"{spec.flow}/{spec.run_id}"
        _exists(pathspec)  # any run, finished or failed: a failed @gate records there
        found = records.history(pathspec)
        if args.json:
            print(json.dumps(found, indent=2, sort_keys=True, default=str))
            return EXIT_OK
        if not found:
            print(f"{pathspec}: no verdict recorded (no gate has judged it, or only in dry runs)")
            return EXIT_OK
        print(f"{pathspec}: {len(found)} verdict{'s' * (len(found) != 1)} recorded, oldest first")
        print(table(found))
        data = found[-1].get("data_fingerprint")
        if data:
            uses, _ = records.holdout_uses(pathspec.split("/")[0], data)
            print(
                f"its latest validation data ({printable(data)}) has gated {uses} run{'s' * (uses != 1)} of this flow"
            )
        return EXIT_OK
    except GateUsageError as exc:
        print(f"modelgate history: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MetaflowUnavailable as exc:
        print(f"modelgate history: failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # Metaflow: one line, no traceback
        from .outages import describe_error

        print(f"modelgate history: failed: {type(exc).__name__}: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED


def _exists(pathspec: str) -> None:
    """A GateUsageError unless Metaflow knows the run (successful, failed or running)."""
    from metaflow import Run
    from metaflow.exception import MetaflowNotFound

    from .runs import global_namespace

    with global_namespace():
        try:
            Run(pathspec)
        except MetaflowNotFound:
            raise GateUsageError(f"unknown run {pathspec}: Metaflow has no such run") from None


def parser() -> argparse.ArgumentParser:
    return add_arguments(CommandParser(prog=PROG, description=DESCRIPTION))
