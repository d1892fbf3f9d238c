"""``python -m modelgate promote Flow/id``: move the "deployed" tag to a run.

``deployment_candidate`` is the gate's verdict (the run passed); what is
deployed is a separate tag, ``champion_tag`` in ``[tool.modelgate]`` (or
``--tag``). Promoting a run moves that tag to it from the run(s) holding it
in the run's champion scope (``champion_scope``, or ``--champion-scope``:
its ``@project`` branch by default), so that the champion of later gates,
and :func:`modelgate.deployed_run`, follow it.

Writes, fewest possible, in an order that never leaves the scope with no
holder: first the tag is added to the new run (no write when it carries it
already), then removed from each old holder. Metaflow's ``Run.replace_tag``
does not apply: it replaces one tag with another on *one* run, while a
promotion moves one tag between runs. Every write is verified by reading the
run again (:mod:`modelgate.tagging`, with its bounded retries). Afterwards the
holders in scope are read again: any run other than the new one that still
carries the tag (another promotion at the same moment) is reported.

A run the gate did not pass (it does not carry the gate's tag, ``tag`` in
``[tool.modelgate]``, by default ``deployment_candidate``) is refused unless
``--force`` is given. Exit codes: 0 promoted; 1 promoted, but another run in
scope still carries the tag; 3 a Metaflow read or tag write failed; 4 bad
input (unknown or unfinished run, a refused run, a bad tag or option). Errors
are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..errors import GateUsageError, GateWarning, MetaflowUnavailable
from ..names import SCOPES

if TYPE_CHECKING:
    from ..config import ConfigChoice, GateConfig

EXIT_OK, EXIT_OTHER_HOLDER, EXIT_FAILED, EXIT_USAGE = 0, 1, 3, 4
PROG = "python -m modelgate promote"


SUMMARY = "move the deployed-model tag (champion_tag) to a run the gate passed"
DESCRIPTION = (
    "Move the deployed-model tag (champion_tag) to a run the gate passed, from the runs holding it in "
    "the run's champion scope. Exit 0 promoted, 1 another run still holds it, 3 Metaflow failed, 4 bad input."
)


class CommandParser(argparse.ArgumentParser):
    """argparse for ``python -m modelgate`` and its commands: an error is a
    GateUsageError (one line, exit 4) naming the command, never argparse's exit 2;
    an unknown option is refused naming this command's own options."""

    def error(self, message: str) -> NoReturn:
        error = GateUsageError(message)
        error.command = self.prog.removeprefix("python -m ")  # type: ignore[attr-defined]
        raise error

    def parse_known_args(  # type: ignore[override]  # one signature for argparse's overloads
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> Any:
        # Before argparse complains about a missing argument, or hands the option up to
        # the parent parser (whose error would list its own options, not this command's).
        args = sys.argv[1:] if args is None else list(args)
        commands = any(isinstance(a, argparse._SubParsersAction) for a in self._actions)
        for arg in args:
            if arg == "--" or (commands and not arg.startswith("-")):
                break  # the rest is the command's own
            option = arg.split("=", 1)[0]
            if arg.startswith("-") and not self._known(option):
                options = sorted({o for a in self._actions for o in a.option_strings if o.startswith("--")})
                close = difflib.get_close_matches(option, options, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                self.error(f"unknown option {option}{hint} (options: {', '.join(options)})")
        return super().parse_known_args(args, namespace)

    def _known(self, option: str) -> bool:
        known = self._option_string_actions
        return option in known or (option.startswith("--") and any(o.startswith(option) for o in known))


def add_arguments(made: argparse.ArgumentParser) -> argparse.ArgumentParser:
    made.add_argument("run", metavar="Flow/run_id", help="the run to promote")
    made.add_argument("--tag", help="the tag to move (default: champion_tag of [tool.modelgate])")
    made.add_argument("--force", action="store_true", help="promote a run that does not carry the gate's tag")
    made.add_argument(
        "--champion-scope",
        choices=SCOPES,
        help="where the old holders are sought (default: champion_scope of [tool.modelgate], else branch)",
    )
    made.add_argument(
        "--gate-config",
        metavar="PATH",
        help="the pyproject.toml with [tool.modelgate] "
        "(default: the nearest one from the current folder up to its project root)",
    )
    return made


def parser() -> argparse.ArgumentParser:
    """``promote`` on its own (``python -m modelgate`` adds it as a subcommand)."""
    return add_arguments(CommandParser(prog=PROG, description=DESCRIPTION))


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except GateUsageError as exc:
        print(f"modelgate promote: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help, after printing it
        return int(exc.code or 0)
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Promote the parsed command line's run; the exit code. Errors are one line on stderr."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code, lines = promote(args)
        for w in caught:  # the gate's own (runs skipped as unreadable), not libraries' deprecations
            if issubclass(w.category, GateWarning):
                print(f"modelgate promote: warning: {w.message}", file=sys.stderr)
    except GateUsageError as exc:
        print(f"modelgate promote: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MetaflowUnavailable as exc:
        print(f"modelgate promote: failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("modelgate promote: interrupted", file=sys.stderr)
        return 2
    except Exception as exc:  # Metaflow or a tag write: one line, no traceback
        from .outages import describe_error

        print(f"modelgate promote: failed: {type(exc).__name__}: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    for line in lines:
        print(line, file=sys.stdout if code == EXIT_OK else sys.stderr)
    return code


def _config(path: str | None) -> tuple[GateConfig, ConfigChoice]:
    """The config, by the pytest gate's rule (:func:`modelgate.config.find_config`), from the current folder."""
    from ..config import choose_config

    return choose_config(path, [], Path.cwd(), "current folder")


def promote(args: argparse.Namespace) -> tuple[int, list[str]]:
    """Promote ``args.run``; (exit code, lines to print). GateUsageError on bad input."""
    from ..config import validate_tag
    from . import runs, tagging

    config, choice = _config(args.gate_config)
    settings = config.settings
    tag = args.tag if args.tag is not None else settings.champion_tag
    if not tag:
        raise GateUsageError(
            f"name the tag to move: --tag deployed, or champion_tag in [tool.modelgate]; gate config: {choice}"
        )
    tag = validate_tag(tag, "--tag" if args.tag is not None else f"champion_tag of {choice.shown or choice.path}")
    if tag == settings.tag:
        raise GateUsageError(
            f"--tag {tag!r} is the gate's own verdict tag; promote moves the deployed tag (champion_tag)"
        )
    kind = args.champion_scope or settings.champion_scope
    pathspec = runs.resolve_run(runs.parse_run_spec(args.run), role="promoted")
    if not args.force and not tagging.has_tag(pathspec, settings.tag):
        raise GateUsageError(
            f"refusing to promote {pathspec}: it does not carry {settings.tag!r} (the gate has not passed it); "
            "--force promotes it anyway"
        )
    scope = runs.champion_scope(pathspec, kind)
    where = scope.describe()
    before = [run.pathspec for run in runs.tagged_runs(scope, tag)]
    old = [holder for holder in before if holder != pathspec]
    # Add first, then remove: the scope always has a holder of the tag.
    if pathspec not in before:
        tagging.apply_tag(pathspec, tag)
    for holder in old:
        tagging.revoke_tag(holder, tag)
    after = [run.pathspec for run in runs.tagged_runs(scope, tag)]  # read again, from Metaflow
    others = [holder for holder in after if holder != pathspec]
    if pathspec not in after:  # not promoted at all: a failure, not "promoted, but shared"
        return EXIT_FAILED, [
            f"modelgate promote: {pathspec} does not carry {tag!r} on re-reading "
            f"(another promotion at the same time?); holders in {where}: {', '.join(after) or 'none'}"
        ]
    if others:
        return EXIT_OTHER_HOLDER, [
            f"modelgate promote: {pathspec} carries {tag!r}, but so does "
            f"{', '.join(others)} in {where} (another promotion at the same time?)"
        ]
    forced = (
        " (forced: it does not carry the gate's tag)"
        if args.force and not tagging.has_tag(pathspec, settings.tag)
        else ""
    )
    if pathspec in before and not old:
        return EXIT_OK, [f"{pathspec} already is the only run carrying {tag!r} in {where}: nothing to do"]
    moved = f"; removed from {', '.join(old)}" if old else "; no run held it before"
    return EXIT_OK, [f"promoted {pathspec}{forced}: tag {tag!r} now on it alone in {where}{moved}"]
