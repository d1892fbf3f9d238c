"""The session's report files: opened before any test runs, written before the tag.

A report path that cannot be written is a usage error (exit 4) found when the
session starts, not after the tag was changed. The CI summary is only appended
to: what earlier steps and the session's own tests wrote there is kept. At the end, every report is
written with the decided tag action *before* the tag is written, and rewritten
only if the tag write then changes the story (an outage, an interrupt).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import GateUsageError


@dataclass
class _Target:
    label: str  # how the user named it: "--gate-report", "$GITHUB_STEP_SUMMARY", ...
    path: Path
    render: Callable[[object], str]
    handle: IO[str]
    append: bool  # the CI summary: other steps, and quality tests during the session, write to it too
    start: int | None = None  # where the gate's own text begins, known at its first write


class ReportFiles:
    def __init__(self, targets: list[_Target]) -> None:
        self._targets = targets

    @classmethod
    def open(
        cls, base: Path, *, json_path: str | None, markdown_path: str | None, summary_path: str | None
    ) -> ReportFiles:
        """Open (create) every report file now; GateUsageError naming the one that fails."""
        from .render import verdict_json, verdict_markdown

        wanted = [
            ("--gate-report", json_path, verdict_json, "w"),
            ("--gate-markdown", markdown_path, verdict_markdown, "w"),
            ("$GITHUB_STEP_SUMMARY", summary_path, lambda v: verdict_markdown(v) + "\n", "a"),
        ]
        targets: list[_Target] = []
        for label, value, render, mode in wanted:
            if not value:
                continue
            path = Path(base, value)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                handle = path.open(mode, encoding="utf-8")
            except OSError as exc:
                for t in targets:
                    t.handle.close()
                raise GateUsageError(
                    f"{label} {value}: cannot be written ({exc.strerror or exc}); no tag will be changed"
                ) from None
            targets.append(_Target(label, path, render, handle, append=mode == "a"))
        return cls(targets)

    def write(self, verdict: object) -> list[str]:
        """(Re)write every report; the errors, one line each."""
        errors = []
        for t in self._targets:
            try:
                if t.start is None:
                    # The end of the file now, not when the session began: what quality
                    # tests appended meanwhile stays; a rewrite replaces only the gate's text.
                    t.start = t.handle.seek(0, 2) if t.append else 0
                t.handle.seek(t.start)
                t.handle.truncate()
                t.handle.write(t.render(verdict))
                t.handle.flush()
            except OSError as exc:
                errors.append(f"could not write the report {t.path} ({t.label}): {exc.strerror or exc}")
        return errors

    def close(self) -> None:
        for t in self._targets:
            try:
                t.handle.close()
            except OSError:
                pass
