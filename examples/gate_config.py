"""The example's gate, defined once for both front ends.

The flow's end step evaluates :func:`example_gate` in memory; the pytest gate
suite in ``gate/`` turns the same checks and smoke cases into test items.
"""

from pathlib import Path

from modelgate import Gate, MarginCheck, load_smoke_cases

HERE = Path(__file__).resolve().parent
SMOKE_FILE = HERE / "gate" / "smoke_cases.csv"

# Beat the majority-class baseline by a real margin, judged on the one-sided
# 95% lower confidence bound of the paired difference, not the point estimate.
BASELINE_CHECKS = (
    MarginCheck("roc_auc", baseline="majority", margin=0.10),
    MarginCheck("accuracy", baseline="majority", margin=0.03),
)


def smoke_cases():
    return load_smoke_cases(SMOKE_FILE)


def example_gate() -> Gate:
    return Gate(checks=BASELINE_CHECKS, smoke_cases=smoke_cases())
