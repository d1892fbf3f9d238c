"""The example's quality tests, beyond the checks declared in ../pyproject.toml.

    pytest examples/gate --model-run=NLPFlow/<run id>

The baseline checks and the smoke cases of ``[tool.modelgate]`` become test
items of their own; every test here is a quality test too: the run is tagged
``deployment_candidate`` only when all of them pass.
"""
