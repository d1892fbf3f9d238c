"""The smoke check: one smoke case run as a check (the cases themselves: :mod:`modelgate.smoke`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..evidence.evaluation import Evaluation
from ..names import SMOKE
from ..verdict import CheckResult

if TYPE_CHECKING:
    from ..smoke import SmokeCase, SmokeRow


@dataclass(frozen=True)
class SmokeCheck:
    """One smoke case as a check: the candidate must give its input the expected answer
    (a text or a row; a class on the expected side, or a value in range: :mod:`modelgate.smoke`)."""

    check_kind: ClassVar[str] = "smoke"

    case: SmokeCase | SmokeRow

    @property
    def name(self) -> str:
        return self.case.name

    def __str__(self) -> str:
        return self.name

    def prepare(self, evidence: Evaluation) -> None:
        from ..smoke import check_cases

        check_cases([self.case], evidence)  # a case that does not fit the model: an error, not a verdict

    def evaluate(self, evidence: Evaluation) -> CheckResult:
        from ..smoke import smoke_inputs

        output = evidence.candidate_scorer(smoke_inputs([self.case], evidence))  # the scorer caches the runner's batch
        return smoke_result(self.case, np.asarray(output)[0], evidence)


def smoke_result(case: SmokeCase | SmokeRow, output: Any, evidence: Evaluation | None = None) -> CheckResult:
    """The result of one smoke case, given the model's output for it (a score, a row of
    class probabilities or a value); ``evidence`` gives the task and classes (None: binary)."""
    from ..smoke import judge

    judged = judge(case, output, evidence)
    return CheckResult(
        name=case.name,
        group=SMOKE,
        passed=judged.passed,
        message=judged.message,
        candidate_value=judged.value,
        margin=judged.threshold,
        n=1,
    )
