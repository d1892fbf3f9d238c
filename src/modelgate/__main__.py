"""``python -m modelgate COMMAND``: ``promote`` (:mod:`modelgate.metaflow_io.promote`) and
``history`` (:mod:`modelgate.metaflow_io.history`).

Each command is an argparse subcommand: ``--help`` describes every command, and
a command's bad option is refused naming that command's own options. Errors
are one line on stderr, exit 4 (bad input), never argparse's exit 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .errors import GateUsageError
from .metaflow_io import history, promote

PROG = "python -m modelgate"


def parser() -> promote.CommandParser:
    made = promote.CommandParser(
        prog=PROG,
        description="modelgate's commands. The gate itself runs in pytest: pytest gate/ --model-run Flow/run_id.",
    )
    commands = made.add_subparsers(
        title="commands",
        dest="command",
        metavar="COMMAND",
        parser_class=promote.CommandParser,
    )
    promote.add_arguments(
        commands.add_parser(
            "promote",
            prog=promote.PROG,
            help=promote.SUMMARY,
            description=promote.DESCRIPTION,
        )
    )
    history.add_arguments(
        commands.add_parser("history", prog=history.PROG, help=history.SUMMARY, description=history.DESCRIPTION)
    )
    return made


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    except GateUsageError as exc:
        print(f"{getattr(exc, 'command', 'modelgate')}: error: {exc}", file=sys.stderr)
        return promote.EXIT_USAGE
    except SystemExit as exc:  # --help, after printing it
        return int(exc.code or 0)
    if args.command is None:
        print(f"modelgate: error: name a command: promote, history ({PROG} --help describes each)", file=sys.stderr)
        return promote.EXIT_USAGE
    if args.command == "history":
        return history.run(args)
    return promote.run(args)


if __name__ == "__main__":
    sys.exit(main())
