"""GateFlow on a large validation set: one scoring process beside shards in a local foreach.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/bench_shards.py                      # 1,000,000 rows, once each: about 4 minutes
    .venv/bin/python benchmarks/bench_shards.py --rows 20000 --repeats 3   # a few minutes
    .venv/bin/python benchmarks/bench_shards.py --home /tmp/shards   # keep the Metaflow store and run, reuse it

In a temporary METAFLOW_HOME and local datastore and metadata, it makes one
candidate run (benchmarks/bigvalflow.py: the example's NLP model and ``--rows``
validation rows, each a distinct text), then runs modelgate's GateFlow on it
(a three-line subclass and a ``gateflow.toml`` written to the temporary folder,
with the gate of benchmarks/shards_gate.toml: two margin checks against the
majority class), alternating:

(a) ``run --model-run BigValFlow/<id> --shards 1``: one score task scores every row;
(b) ``run --model-run BigValFlow/<id> --shards 4 --max-workers 2``: four score tasks,
    two at a time (local foreach).

Before each gate run the gate flow's stored artifacts are deleted (``--keep-blobs``
keeps them): Metaflow's datastore is content-addressed, and a run whose shard rows an
earlier run stored already skips compressing and writing them.

It prints, side by side with their ratios (b / a), the medians over ``--repeats``:
the wall time of the whole run (the launching command), of the scoring (the first
score task's start to the last one's end, from the Metaflow client's task
``created_at`` / ``finished_at``), of each step, and each task's peak memory.

Peak memory is each task process's ``ru_maxrss`` at exit (written by an ``atexit``
hook that a ``sitecustomize`` on the subprocesses' PYTHONPATH installs), so it
includes Metaflow saving the task's artifacts after the step's code returns; the
flow's own ``peak_memory_mb`` / ``join_peak_memory_mb`` artifacts, taken inside
the step, are printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
PYTHON = sys.executable
CANDIDATE_FLOW = "BigValFlow"
GATE_FLOW = "ShardsGateFlow"

# Installed in every subprocess through PYTHONPATH: each Metaflow task (argv ``... step <name>
# ... --task-id <id>``) and the runtime (``... run ...``) appends its peak RSS at exit.
SITECUSTOMIZE = """
import atexit, json, os, resource, sys

def _record_peak():
    argv = sys.argv
    if "step" in argv and "--task-id" in argv:
        what = {"step": argv[argv.index("step") + 1], "task": argv[argv.index("--task-id") + 1]}
    elif "run" in argv and "--run-id-file" in argv:
        what = {"step": "(runtime)", "task": ""}
    else:
        return
    if "--run-id" in argv:
        run_id = argv[argv.index("--run-id") + 1]
    else:
        with open(argv[argv.index("--run-id-file") + 1]) as fh:
            run_id = fh.read().strip()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(os.environ["BENCH_SHARDS_PEAKS"], "a") as fh:
        fh.write(json.dumps({**what, "run_id": run_id, "pid": os.getpid(), "peak_mb": peak_mb}) + "\\n")

if os.environ.get("BENCH_SHARDS_PEAKS"):
    atexit.register(_record_peak)
"""

GATE_FILE = f'''"""GateFlow deployed for the benchmark's candidate flow."""

from modelgate.flow import GateFlow


class {GATE_FLOW}(GateFlow):
    """Gates {CANDIDATE_FLOW} runs."""


if __name__ == "__main__":
    {GATE_FLOW}()
'''


def environment(home: Path, src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        METAFLOW_HOME=str(home / "home"),
        METAFLOW_DEFAULT_METADATA="local",
        METAFLOW_DEFAULT_DATASTORE="local",
        METAFLOW_DATASTORE_SYSROOT_LOCAL=str(home / "store"),
        METAFLOW_USER="bench",
        TF_CPP_MIN_LOG_LEVEL="3",
        BENCH_SHARDS_PEAKS=str(home / "peaks.jsonl"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(home / "hook"), str(src), env.get("PYTHONPATH", "")])),
    )
    return env


def prepare(home: Path, gate: Path) -> Path:
    """The Metaflow folders, the peak-memory hook and the deployment (flow file and gateflow.toml)."""
    for folder in ("home", "store", "hook", "deploy"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    (home / "hook" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    deploy = home / "deploy"
    (deploy / "shardsgate.py").write_text(GATE_FILE)
    (deploy / "gateflow.toml").write_text(f'[gateflow]\nflow = "{CANDIDATE_FLOW}"\ngate = "{gate}"\n')
    return deploy


def launch(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> float:
    """Run ``command``; its wall seconds. Its output goes to ``log``; a failure shows the end of it."""
    start = time.perf_counter()
    with open(log, "w") as out:
        done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{log.read_text()[-4000:]}")
    return elapsed


def make_candidate(home: Path, env: dict[str, str], rows: int, epochs: int) -> str:
    """A BigValFlow run with ``rows`` validation rows (reused when ``home`` already holds one that size)."""
    id_file = home / f"candidate_{rows}"
    if id_file.exists():
        return f"{CANDIDATE_FLOW}/{id_file.read_text().strip()}"
    print(f"making the candidate run ({rows:,} validation rows) ...", flush=True)
    command = [PYTHON, str(BENCH / "bigvalflow.py"), "run", "--rows", str(rows), "--epochs", str(epochs)]
    seconds = launch([*command, "--run-id-file", str(id_file)], env, home, home / "candidate.log")
    run = f"{CANDIDATE_FLOW}/{id_file.read_text().strip()}"
    peaks = [p for p in read_peaks(home) if p["run_id"] == id_file.read_text().strip() and p["step"] == "start"]
    peak = f", its start step peaked at {peaks[0]['peak_mb']:,.0f} MB" if peaks else ""
    print(f"  {run} in {seconds:.0f} s{peak}", flush=True)
    return run


def read_peaks(home: Path) -> list[dict[str, Any]]:
    path = home / "peaks.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def gate_once(
    home: Path, env: dict[str, str], deploy: Path, candidate: str, shards: int, workers: int, keep_blobs: bool
) -> dict:
    """One GateFlow run; its wall time, each step's tasks (seconds, peak memory) and the verdict."""
    if not keep_blobs:
        # Metaflow's datastore is content-addressed: a gate run whose shard rows an earlier run
        # already stored only hashes them, skipping the compression and the write. Start from an
        # empty store of the gate flow's artifacts, as a new validation set would (the earlier
        # gate runs' artifacts become unreadable; they were read already).
        shutil.rmtree(home / "store" / ".metaflow" / GATE_FLOW / "data", ignore_errors=True)
    id_file = home / "gate_run_id"
    id_file.unlink(missing_ok=True)
    command = [PYTHON, "shardsgate.py", "run", "--model-run", candidate, "--shards", str(shards)]
    command += ["--max-workers", str(workers), "--run-id-file", str(id_file)]
    wall = launch(command, env, deploy, home / "gate.log")
    run_id = id_file.read_text().strip()
    return {"wall": wall, **describe(home, run_id)}


def describe(home: Path, run_id: str) -> dict:
    from metaflow import Run, namespace

    namespace(None)
    run = Run(f"{GATE_FLOW}/{run_id}")
    peaks = {(p["step"], p["task"]): p["peak_mb"] for p in read_peaks(home) if p["run_id"] == run_id}
    steps: dict[str, list[dict]] = {}
    for step in run:
        for task in step:
            data = task.data
            inside = {"score": "peak_memory_mb", "join": "join_peak_memory_mb"}.get(step.id)
            steps.setdefault(step.id, []).append(
                {
                    "created": _seconds(task.created_at),
                    "finished": _seconds(task.finished_at),
                    "peak_mb": peaks.get((step.id, task.id)),
                    "inside_mb": getattr(data, inside, None) if inside and inside in data else None,
                    "shard_seconds": data.shard_seconds if step.id == "score" else None,
                }
            )
    for tasks in steps.values():
        tasks.sort(key=lambda t: t["created"])
    score = steps["score"]
    end = run["end"].task
    return {
        "steps": steps,
        "scoring": max(t["finished"] for t in score) - min(t["created"] for t in score),
        "run_span": _seconds(end.finished_at) - _seconds(run.created_at),
        "passed": bool(end.data.passed),
        "runtime_peak_mb": peaks.get(("(runtime)", "")),
    }


def _seconds(stamp: Any) -> float:
    if isinstance(stamp, datetime):
        return stamp.timestamp()
    return datetime.fromisoformat(str(stamp)).timestamp()


# --- the report -------------------------------------------------------------------------------


def rows_of(result: dict) -> dict[str, tuple[float | None, str]]:
    """The measures of one gate run: name -> (value, unit)."""
    steps = result["steps"]
    out: dict[str, tuple[float | None, str]] = {
        "run wall time (the command)": (result["wall"], "s"),
        "run wall time (start created to end finished)": (result["run_span"], "s"),
        "scoring wall time (first score task created to last finished)": (result["scoring"], "s"),
    }
    for name in ("start", "join", "end"):
        task = steps[name][0]
        out[f"{name}: task wall time"] = (task["finished"] - task["created"], "s")
    score = steps["score"]
    out["score: task wall time, each (max)"] = (max(t["finished"] - t["created"] for t in score), "s")
    out["score: shard_seconds (scoring code only), max"] = (max(t["shard_seconds"] for t in score), "s")
    out["score: shard_seconds, sum over tasks"] = (sum(t["shard_seconds"] for t in score), "s")
    for name in ("start", "score", "join", "end"):
        peaks = [t["peak_mb"] for t in steps[name]]
        value = max(peaks) if all(p is not None for p in peaks) else None
        label = "each (max)" if name == "score" else ""
        out[f"{name}: peak memory {label}".rstrip()] = (value, "MB")
        inside = [t["inside_mb"] for t in steps[name] if t["inside_mb"] is not None]
        if inside:
            out[f"{name}: peak memory in the step (artifact){', max' if name == 'score' else ''}"] = (max(inside), "MB")
    out["score: peak memory, sum over tasks"] = (sum(t["peak_mb"] or 0 for t in score), "MB")
    out["runtime process: peak memory"] = (result["runtime_peak_mb"], "MB")
    return out


def median_rows(results: list[dict]) -> dict[str, tuple[float | None, str]]:
    per_run = [rows_of(r) for r in results]
    merged = {}
    for name, (_, unit) in per_run[0].items():
        values = [r[name][0] for r in per_run if r[name][0] is not None]
        merged[name] = (statistics.median(values) if values else None, unit)
    return merged


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f} s" if unit == "s" else f"{value:,.0f} MB"


def report(one: list[dict], many: list[dict], rows: int, shards: int, workers: int) -> None:
    a, b = median_rows(one), median_rows(many)
    head_b = f"{shards} shards, --max-workers {workers}"
    print(f"\n{rows:,} validation rows, medians of {len(one)} repeat(s):\n")
    print(f"| measure | 1 shard | {head_b} | ratio |")
    print("| --- | --- | --- | --- |")
    for name, (value_a, unit) in a.items():
        value_b = b[name][0]
        ratio = f"{value_b / value_a:.2f}x" if value_a and value_b is not None else ""
        print(f"| {name} | {_fmt(value_a, unit)} | {_fmt(value_b, unit)} | {ratio} |")
    print(f"\nper score task ({head_b}; the last repeat):")
    for i, task in enumerate(many[-1]["steps"]["score"]):
        start = task["created"] - many[-1]["steps"]["score"][0]["created"]
        print(
            f"  shard {i}: created at +{start:.1f} s, {task['finished'] - task['created']:.1f} s, "
            f"scoring {task['shard_seconds']:.1f} s, peak {_fmt(task['peak_mb'], 'MB')} "
            f"(in the step {_fmt(task['inside_mb'], 'MB')})"
        )
    verdicts = {r["passed"] for r in one + many}
    print(f"\nverdicts: {'PASS' if verdicts == {True} else 'FAIL' if verdicts == {False} else 'mixed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="validation rows (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=1, help="gate runs of each kind, alternating (default 1)")
    parser.add_argument("--shards", type=int, default=4, help="shards of the sharded run (default 4)")
    parser.add_argument("--max-workers", type=int, default=2, help="its --max-workers (default 2)")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs of the candidate (default 2)")
    parser.add_argument("--gate", type=Path, default=BENCH / "shards_gate.toml", help="the gate file")
    parser.add_argument("--home", type=Path, help="keep the Metaflow home, store and candidate here (reused)")
    parser.add_argument(
        "--keep-blobs",
        action="store_true",
        help="keep the gate flow's stored artifacts between runs (start then finds the shard rows stored already)",
    )
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the modelgate source to run (default ./src)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelgate-shards-") as tmp:
        home = (args.home or Path(tmp)).resolve()
        deploy = prepare(home, args.gate.resolve())
        env = environment(home, args.src.resolve())
        for key in ("METAFLOW_HOME", "METAFLOW_DEFAULT_METADATA", "METAFLOW_DEFAULT_DATASTORE"):
            os.environ[key] = env[key]  # this process reads the runs with Metaflow's client
        os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = env["METAFLOW_DATASTORE_SYSROOT_LOCAL"]
        os.environ["METAFLOW_USER"] = env["METAFLOW_USER"]
        candidate = make_candidate(home, env, args.rows, args.epochs)
        kinds = {"one": (1, args.max_workers), "many": (args.shards, args.max_workers)}
        results: dict[str, list[dict]] = {"one": [], "many": []}
        for i in range(args.repeats):
            order = ["one", "many"] if i % 2 == 0 else ["many", "one"]  # alternate: both see the load
            for kind in order:
                shards, workers = kinds[kind]
                result = gate_once(home, env, deploy, candidate, shards, workers, args.keep_blobs)
                results[kind].append(result)
                print(
                    f"  repeat {i + 1}, {shards} shard(s): {result['wall']:.1f} s, scoring {result['scoring']:.1f} s, "
                    f"{'PASS' if result['passed'] else 'FAIL'}",
                    flush=True,
                )
        report(results["one"], results["many"], args.rows, args.shards, args.max_workers)
        print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
