"""Which tests share an xdist worker (the README's `pytest -n 2`): tests/conftest.py's
``pytest_xdist_make_scheduler`` hands over to :func:`make_scheduler` (a module of its
own so that a test can run a pytest session with the same scheduler)."""

from __future__ import annotations

from typing import Any

# Every xdist worker makes the session fixtures its tests ask for, so a fixture used by tests on
# both workers is made twice: the deployments' servers and runs, the NLPFlow
# trainings, the tabular examples' six runs. The tests that use them run on one
# worker each; every other file is one unit, so its module's runs are made once.
# (xdist's own `--dist loadgroup` reads marks through a node id rewrite that
# pytest 9.2 no longer honours: pytest-xdist issue 1386.)
SHARED_WORKER = {
    "tests/deployments/": "deployments",  # Postgres, the metadata service, S3, and their runs
    "tests/examples/": "example-runs",  # NLPFlow (TensorFlow) and the tabular examples
    "tests/integration/metamorphic/": "example-runs",
    "tests/integration/test_smoke_gate.py": "example-runs",
    "tests/integration/test_label_coding_sessions.py": "example-runs",
    "tests/integration/test_positive_class_sessions.py": "example-runs",
    "tests/integration/test_tabular_input_sessions.py": "example-runs",
    "tests/integration/test_task_sessions.py": "example-runs",
}


def worker_unit(nodeid: str) -> str:
    """The unit of tests that xdist sends to one worker: a shared group, or the test's file."""
    path = nodeid.split("::", 1)[0]
    return next((group for prefix, group in SHARED_WORKER.items() if path.startswith(prefix)), path)


def make_scheduler(config: Any, log: Any) -> Any:
    if config.getoption("dist") != "load":  # the default of -n; a --dist given explicitly wins
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_unit(nodeid)

        def remove_node(self, node: Any) -> str | None:
            # xdist's LoadScopeScheduling puts the crashed test back in the queue with
            # its unit (and every finished unit of that worker): it ran again beside its
            # "crashed" failure, and a test that always crashes took down each worker
            # in turn. Here, as with `load`, xdist reports it failed once and only the
            # rest of its unit runs on.
            workload = self.assigned_work.pop(node)
            pending = {scope: unit for scope, unit in workload.items() if not all(unit.values())}
            if not pending:
                return None
            # The worker runs its tests in the order they were sent: the first not done crashed.
            crashitem = next(nodeid for unit in pending.values() for nodeid, done in unit.items() if not done)
            for unit in pending.values():
                unit.pop(crashitem, None)
            self.workqueue.update((scope, unit) for scope, unit in pending.items() if unit)
            for other in self.assigned_work:
                self._reschedule(other)
            return crashitem

        def _reschedule(self, node: Any) -> None:
            # A replacement worker is still collecting: schedule() gives it work when it is
            # done (xdist's own code asked for its collection here: KeyError, INTERNALERROR).
            if node in self.registered_collections:
                super()._reschedule(node)

    # In collection order, not the largest unit first: the two groups come first
    # (tests/deployments, tests/examples), so each worker starts with one of them.
    config.option.loadscopereorder = False
    return SharedFixtureScheduling(config, log)
