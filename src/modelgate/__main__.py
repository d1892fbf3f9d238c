"""``python -m modelgate COMMAND``: ``promote`` (see :mod:`modelgate.promote`)."""

from __future__ import annotations

import sys
from typing import Sequence

COMMANDS = ("promote",)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        usage = f"usage: python -m modelgate {{{','.join(COMMANDS)}}} ...  (gate a run with pytest: pytest gate/ --model-run Flow/id)"
        print(usage, file=sys.stdout if args else sys.stderr)
        return 0 if args else 4
    if args[0] == "promote":
        from .promote import main as promote

        return promote(args[1:])
    print(f"modelgate: error: unknown command {args[0]!r} (commands: {', '.join(COMMANDS)})", file=sys.stderr)
    return 4


if __name__ == "__main__":
    sys.exit(main())
