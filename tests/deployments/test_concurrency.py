"""Concurrent gates and a metadata service outage, on real deployments.

- Six gate sessions at once on six runs of TinyFlow, on local metadata and on
  Netflix's metadata service: each run ends with exactly the tag its verdict
  implies, and the other user tags put on the runs beforehand are all still there.
- Two sessions at once on the same run, one passing suite and one failing one,
  three pairs at once: no other user tag is lost, and a final state that carries
  the tag is always reported as a race by one of the two sessions (exit 1).
- The metadata service stops in the middle of a session: the session ends with
  one ``modelgate: FAILED: ...`` line and exit code 1 (README, "Exit codes": no
  pass, the tag could not be written), changes no tag, and its reports do not
  say "passed" or "applied".

Every session of a test is held at a barrier (its suite's last test waits for a
file) until all of them got there, so that they decide and write their tags at
the same moment. Flows and sessions run in subprocesses (tests/deployments/servers.py).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from servers import TINY_FLOW, Deployment, PrivateService, tag_lines, write_suite

from helpers import PASSING
from modelgate.names import DEFAULT_TAG

pytestmark = pytest.mark.slow  # flows and gate sessions in subprocesses

LOCAL = pytest.param("local", id="local")
SERVICE = pytest.param("service", id="service", marks=pytest.mark.service)
local_and_service = pytest.mark.parametrize("deployment", [LOCAL, SERVICE], indirect=True)

FAILING = "\ndef test_too_strict(gate):\n    gate.beats('roc_auc', margin=0.99)\n"
# The last test of every suite: signal readiness, then wait for the release.
BARRIER = """

def test_zz_all_sessions_at_once():
    import os, time
    from pathlib import Path

    Path(os.environ["GATE_READY"]).touch()
    deadline = time.monotonic() + 240
    while not Path(os.environ["GATE_GO"]).exists():
        assert time.monotonic() < deadline, "never released"
        time.sleep(0.02)
"""
N_RUNS = 6
WARNING = "modelgate: WARNING: the tags changed after this session wrote them"
RACED = "but is not there on re-reading"  # a tag write whose read-back saw another session's revoke
REVOKE_RACED = "but is still there on re-reading"  # a revoke whose read-back saw another session's write


def explain(result) -> str:
    return f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"


# -- runs and tags -------------------------------------------------------------------------------
_runs: dict[str, list[str]] = {}


@pytest.fixture
def many_runs(deployment, tiny_runs) -> list[str]:
    """Six TinyFlow runs of this deployment's own, made in parallel once per test session
    (after the deployment's three shared runs: tests/deployments/test_deployments.py expects them to be TinyFlow/1..3)."""
    if deployment.name not in _runs:
        tiny_runs.all()
        with ThreadPoolExecutor(N_RUNS) as pool:
            # 0.2 s apart: local metadata names a run by the microsecond it starts at.
            made = list(pool.map(lambda i: time.sleep(0.2 * i) or deployment.run_flow(TINY_FLOW), range(N_RUNS)))
            assert len(set(made)) == N_RUNS, made
            _runs[deployment.name] = made
    return _runs[deployment.name]


_SET_TAGS = """
import json, sys
from metaflow import Run, namespace

namespace(None)
wanted = json.loads(sys.argv[1])
for pathspec, tags in wanted.items():
    run = Run(pathspec)
    gone = sorted(set(run.user_tags) - set(tags))
    if gone:
        run.remove_tags(gone)
    new = sorted(set(tags) - set(Run(pathspec).user_tags))
    if new:
        Run(pathspec).add_tags(new)
print(json.dumps({p: sorted(Run(p).user_tags) for p in wanted}))
"""


def set_tags(deployment: Deployment, wanted: dict[str, set[str]]) -> None:
    """Give each run exactly these user tags (one client process for all of them)."""
    done = deployment.python(_SET_TAGS, json.dumps({run: sorted(tags) for run, tags in wanted.items()}))
    assert done.returncode == 0, done.stderr
    assert {run: set(tags) for run, tags in json.loads(done.stdout.splitlines()[-1]).items()} == wanted


def read_tags(deployment: Deployment, runs: list[str]) -> dict[str, set[str]]:
    done = deployment.python(_SET_TAGS.replace("wanted.items()", "[]"), json.dumps({run: [] for run in runs}))
    assert done.returncode == 0, done.stderr
    return {run: set(tags) for run, tags in json.loads(done.stdout.splitlines()[-1]).items()}


# -- sessions at once ---------------------------------------------------------------------------
def gates_at_once(deployment: Deployment, folder: Path, sessions: list[tuple[Path, str]]) -> list:
    """Start a gate session for each (suite, run) together; release them from the barrier once
    all are there (or one ended early); their CompletedProcess results, in order."""
    go = folder / "go"
    ready = [folder / f"ready-{i}" for i in range(len(sessions))]
    with ThreadPoolExecutor(len(sessions)) as pool:
        futures = [
            pool.submit(deployment.with_env(GATE_READY=str(ready[i]), GATE_GO=str(go)).gate, suite, "--model-run", run)
            for i, (suite, run) in enumerate(sessions)
        ]
        deadline = time.monotonic() + 240
        while not all(r.exists() for r in ready) and not any(f.done() for f in futures):
            assert time.monotonic() < deadline, "the sessions never all reached the barrier"
            time.sleep(0.05)
        go.touch()
        return [f.result() for f in futures]


@local_and_service
def test_six_sessions_at_once_on_six_runs_lose_and_clobber_no_tag(deployment, many_runs, tmp_path):
    failing = {2, 5}
    passing_suite = write_suite(tmp_path / "passing", PASSING + BARRIER)
    failing_suite = write_suite(tmp_path / "failing", PASSING + FAILING + BARRIER)
    # Other user tags on every run; two runs carry the gate's tag from an earlier gate
    # (a passing one keeps it, a failing one loses it).
    before = {
        run: {"team:nlp", f"keep:{i}"} | ({DEFAULT_TAG} if i in (0, 5) else set()) for i, run in enumerate(many_runs)
    }
    set_tags(deployment, before)

    results = gates_at_once(
        deployment,
        tmp_path,
        [(failing_suite if i in failing else passing_suite, run) for i, run in enumerate(many_runs)],
    )

    after = read_tags(deployment, many_runs)
    for i, (run, result) in enumerate(zip(many_runs, results)):
        [line] = tag_lines(result)  # no warning: nobody else wrote this run's tags
        if i in failing:
            assert result.returncode == 1, explain(result)
            done = "revoked from" if i == 5 else "not applied to"
            assert line.startswith(f"modelgate: tag '{DEFAULT_TAG}' {done} {run}: 1 quality test failed"), line
            assert after[run] == {"team:nlp", f"keep:{i}"}, (i, after[run])
        else:
            assert result.returncode == 0, explain(result)
            assert line == f"modelgate: tag '{DEFAULT_TAG}' applied to {run}: all 3 quality tests passed", line
            assert after[run] == {"team:nlp", f"keep:{i}", DEFAULT_TAG}, (i, after[run])


@local_and_service
def test_two_sessions_at_once_on_one_run_end_fail_closed_or_flag_the_race(deployment, many_runs, tmp_path):
    """Three pairs at once, each on its own run: a passing and a failing session.

    The three ways it can go, by when the passing session writes its tag:
    before the failing one revokes it (the tag is gone; when the revoke lands
    between the passing session's write and its read-back, that session says
    so: exit 1); after the revoke but
    before the failing session re-reads the tags (the tag is there, and the
    failing session's re-read says so: exit 1); or after that re-read, when
    the failing session has finished: the same as gating the run twice, one
    after the other, and nothing to flag. The suites' conftests rule out the
    last, which no session can tell apart from two gates in a row: the failing
    session re-reads only once the passing one has written (its terminal
    summary, before modelgate's re-read), so its tag phase overlaps the other.
    The order of the two writes stays free.
    """
    pairs = many_runs[:3]
    signal = "import os\nfrom pathlib import Path\n\ndef pytest_terminal_summary():\n    Path(os.environ['GATE_GO'] + '.written').touch()\n"
    wait = (
        "import os, time\nfrom pathlib import Path\n\ndef pytest_terminal_summary():\n"
        "    deadline = time.monotonic() + 120\n"
        "    while not Path(os.environ['GATE_GO'] + '.written').exists() and time.monotonic() < deadline:\n"
        "        time.sleep(0.02)\n"
    )
    before = {run: {"team:nlp", f"keep:{i}"} | ({DEFAULT_TAG} if i >= 2 else set()) for i, run in enumerate(pairs)}
    set_tags(deployment, before)
    # Each pair has its own barrier folder, so that its "written" signal is its own.
    sessions, folders = [], []
    for i, run in enumerate(pairs):
        folder = tmp_path / f"pair-{i}"
        passing = write_suite(folder / "passing", PASSING + BARRIER)
        (passing / "conftest.py").write_text(signal)
        failing = write_suite(folder / "failing", PASSING + FAILING + BARRIER)
        (failing / "conftest.py").write_text(wait)
        sessions += [(passing, run, folder), (failing, run, folder)]
        folders.append(folder)

    ready = [tmp_path / f"ready-{i}" for i in range(len(sessions))]
    with ThreadPoolExecutor(len(sessions)) as pool:
        futures = [
            pool.submit(
                deployment.with_env(GATE_READY=str(ready[i]), GATE_GO=str(folder / "go")).gate,
                suite,
                "--model-run",
                run,
            )
            for i, (suite, run, folder) in enumerate(sessions)
        ]
        deadline = time.monotonic() + 240
        while not all(r.exists() for r in ready) and not any(f.done() for f in futures):
            assert time.monotonic() < deadline, "the sessions never all reached the barrier"
            time.sleep(0.05)
        for folder in folders:  # every pair at once
            (folder / "go").touch()
        results = [f.result() for f in futures]

    after = read_tags(deployment, pairs)
    orders = []
    for i, run in enumerate(pairs):
        passed, failed = results[2 * i], results[2 * i + 1]
        assert after[run] - {DEFAULT_TAG} == {"team:nlp", f"keep:{i}"}, (i, after[run])  # no other tag lost or added
        assert failed.returncode == 1, explain(failed)
        # A race is flagged by the session that re-reads the tags: the failing one (the tag came
        # back after its revoke) or the passing one (its read-back already saw the revoke).
        warned = [
            r
            for r in (passed, failed)
            if any(l.startswith(WARNING) for l in tag_lines(r)) or RACED in r.stdout or REVOKE_RACED in r.stdout
        ]
        for r in warned:
            assert r.returncode == 1, explain(r)  # a race reported is not a pass
        if passed not in warned:
            assert passed.returncode == 0, explain(passed)
        if DEFAULT_TAG in after[run]:
            # The tag is there while a failing verdict exists: the failing session says so.
            assert failed in warned, explain(failed)
            # Either its final re-read saw the tag come back, or the revoke's own read-back did
            # (the other session's write landed between the two): both name the tag on the run.
            said = (f"{run} now carries '{DEFAULT_TAG}'", f"({run} carries it now)")
            assert any(s in failed.stdout for s in said), explain(failed)
            orders.append("revoke, then apply: flagged")
        else:
            orders.append("apply, then revoke" + (": flagged" if warned else ""))
    print("orderings seen:", orders)


# -- an outage of the metadata service ---------------------------------------------------------------
OUTAGE_SUITE = (
    PASSING
    + """

def test_zz_waits_for_the_outage():
    import os, time
    from pathlib import Path

    Path(os.environ["GATE_READY"]).touch()
    deadline = time.monotonic() + 120
    while not Path(os.environ["GATE_GO"]).exists():
        assert time.monotonic() < deadline, "never released"
        time.sleep(0.02)
"""
)


@pytest.mark.service
def test_the_metadata_service_stopping_mid_session_is_one_error_line_and_no_tag_change(tmp_path):
    with PrivateService(tmp_path / "private") as private:  # the session's own services stay up
        deployment = private.deployment
        assert deployment is not None
        run = deployment.run_flow(TINY_FLOW)
        assert deployment.add_tags(run, "team:nlp") == {"team:nlp"}
        suite = write_suite(tmp_path / "suite", OUTAGE_SUITE)
        ready, go = tmp_path / "ready", tmp_path / "go"
        # Metaflow retries an unreachable service 5 times (1+2+4+8 s apart); 3 keeps this test short.
        session = deployment.with_env(GATE_READY=str(ready), GATE_GO=str(go), METAFLOW_SERVICE_RETRY_COUNT="3")
        report, markdown = tmp_path / "verdict.json", tmp_path / "verdict.md"
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(
                session.gate, suite, "--model-run", run, "--gate-report", str(report), "--gate-markdown", str(markdown)
            )
            deadline = time.monotonic() + 120
            while not ready.exists():
                assert not future.done(), explain(future.result())
                assert time.monotonic() < deadline
                time.sleep(0.05)
            private.outage()  # the service and its Postgres stop: connections are refused
            go.touch()
            result = future.result()
        tags_after = private.restart().tags(run)

    assert result.returncode == 1, explain(result)  # no pass (README, "Exit codes")
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "HTTPConnectionPool" not in output, explain(result)
    [line] = tag_lines(result)
    assert line.startswith(f"modelgate: FAILED: could not read the tags of {run}: the metadata service at http://"), (
        line
    )
    assert line.endswith("cannot be reached (connection refused); no tag was changed"), line
    assert len(line) < 250, line
    assert tags_after == {"team:nlp"}  # no tag change: read from the service, restarted on its data

    verdict = json.loads(report.read_text())
    assert verdict["status"] == "error" and verdict["passed"] is None  # no verdict is claimed
    assert verdict["error"] == line.removeprefix("modelgate: FAILED: ").removesuffix("; no tag was changed")
    assert verdict["tag"]["action"] == "none" and verdict["tag"]["line"] == line.removeprefix("modelgate: ")
    assert "could not be read or written" in verdict["tag"]["reason"]
    text = markdown.read_text()
    assert text.startswith("## modelgate: ⚠️ ERROR, no verdict (could not read the tags of"), text[:200]
    assert "applied to" not in text and "FAIL (" not in text
    # No verdict is claimed; the forest plot below the table may still give each check's own outcome.
    assert "PASS" not in text.split("### Forest plot", 1)[0]
