"""The quality gate as a Metaflow flow of its own: modelgate's GateFlow, deployed for NLPFlow.

GateFlow ships in modelgate; this file only gives it a name. What it gates, with
which gate and which tag, is in ``gateflow.toml`` beside this file (a Metaflow
``Config``: read when the flow is launched, then carried by the run and by the
deployment, with no file to add to the code package)::

    python examples/gateflow.py run --model-run NLPFlow/1234     # gate one run by hand
    python examples/gateflow.py --trigger NLPFlow/1234 run       # as if NLPFlow/1234 had triggered it
    python examples/gateflow.py run --model-run NLPFlow/1234 --shards 4 --max-workers 2
    python examples/gateflow.py argo-workflows create            # gate every NLPFlow run that finishes
"""

from modelgate.flow import GateFlow


class NLPGateFlow(GateFlow):
    """Gates NLPFlow's runs with the gate of examples/pyproject.toml."""


if __name__ == "__main__":
    NLPGateFlow()
