"""The gate's own overhead: gating an NLPFlow run beside a bare scoring script.

    .venv/bin/python benchmarks/bench_overhead.py               # 5 repeats each, a few minutes
    .venv/bin/python benchmarks/bench_overhead.py --repeats 7 --profile
    .venv/bin/python benchmarks/bench_overhead.py --compare /path/to/old/src   # before/after, side by side

Makes one NLPFlow run on the built-in demo data (2 epochs) in a temporary
METAFLOW_HOME and local datastore, then times, alternating, each in a fresh
subprocess:

(a) the bare script: load the run's ``model_dict`` and ``val_df`` with the
    Metaflow client, score the validation reviews once, compute ROC AUC and
    accuracy;
(b) ``pytest examples/gate --model-run=NLPFlow/<id> --gate-dry-run`` (a dry
    run, so the run's tags are the same before every repeat).

It prints the medians and their ratios, of the wall time and of the CPU time
(the process and its threads: steadier than the wall time on a machine shared
with other work). ``--profile`` also prints where the
gate's time goes: ``-X importtime``'s slowest imports, and cProfile's
cumulative top 15 of one gate session with its time per phase (imports, run
and artifact load, scoring, checks, reports).
"""

from __future__ import annotations

import argparse
import os
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

BARE = """
import sys
from metaflow import Run, namespace
from sklearn.metrics import accuracy_score, roc_auc_score

namespace(None)
run = Run(sys.argv[1])
model_dict, val_df = run.data.model_dict, run.data.val_df
x = model_dict["vectorizer"].transform(val_df["review"]).toarray()
scores = model_dict["model"].predict(x, verbose=0).ravel()
labels = val_df["labels"]
print(f"AUC {roc_auc_score(labels, scores):.4f} accuracy {accuracy_score(labels, scores > 0.5):.4f}")
"""


def environment(home: Path, src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        METAFLOW_HOME=str(home / "home"),
        METAFLOW_DEFAULT_METADATA="local",
        METAFLOW_DEFAULT_DATASTORE="local",
        METAFLOW_DATASTORE_SYSROOT_LOCAL=str(home / "store"),
        METAFLOW_USER=env.get("METAFLOW_USER", "bench"),
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH", "")])),
    )
    return env


def make_run(env: dict[str, str], home: Path) -> str:
    """One NLPFlow run on the demo data; its pathspec."""
    (home / "store").mkdir(parents=True, exist_ok=True)
    (home / "home").mkdir(parents=True, exist_ok=True)
    id_file = home / "run_id"
    subprocess.run(
        [
            PYTHON,
            str(ROOT / "examples" / "nlpflow.py"),
            "run",
            "--epochs",
            "2",
            "--tag-in-flow",
            "False",
            "--run-id-file",
            str(id_file),
        ],
        cwd=home / "store",
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return f"NLPFlow/{id_file.read_text().strip()}"


def gate_command(run: str, *extra: str) -> list[str]:
    return [
        PYTHON,
        *extra,
        "-m",
        "pytest",
        "examples/gate",
        f"--model-run={run}",
        "--gate-dry-run",
        "-p",
        "no:cacheprovider",
        "-q",
    ]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its threads) of one run of ``command``.

    On a machine shared with other work the wall time swings with their load;
    the CPU time hardly does, so the ratio is given on both."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_times(run: str, env: dict[str, str], top: int = 12) -> list[tuple[float, str]]:
    """The slowest imports of one gate session (cumulative seconds, module)."""
    done = subprocess.run(
        gate_command(run, "-X", "importtime"), cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) <= 3:  # top-level imports and their direct children
            rows.append((int(match.group(1)) / 1e6, match.group(2) + match.group(3)))
    return sorted(rows, reverse=True)[:top]


# The phases of a gate session, each the cumulative time of a few functions (file, function).
PHASES = {
    "run and artifact load": [("runs.py", "resolve_run"), ("runs.py", "check_artifact"), ("runs.py", "load_artifact")],
    "scoring (the evidence)": [("runner.py", "evidence")],
    "checks incl. properties": [("items.py", "runtest"), ("plugin.py", "runtest")],
    "tag decision and reports": [("session.py", "finish")],
}


def profile(run: str, env: dict[str, str], home: Path) -> None:
    out = home / "gate.prof"
    done = subprocess.run(
        gate_command(run, "-m", "cProfile", "-o", str(out)),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(done.stdout[-2000:] + done.stderr[-2000:])
    stats = pstats.Stats(str(out))
    print(f"\ncProfile of one gate session: {stats.total_tt:.2f} s in all; cumulative top 15:")  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(15)
    entries = stats.stats  # type: ignore[attr-defined]
    print("per phase (cumulative seconds; the rest is imports, pytest and collection):")
    for phase, functions in PHASES.items():
        seconds = sum(
            ct
            for (file, _, name), (_, _, _, ct, _) in entries.items()
            if "modelgate" in file and any(file.endswith(f) and name == n for f, n in functions)
        )
        print(f"  {phase:28} {seconds:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also show where the gate's time goes")
    parser.add_argument(
        "--home", type=Path, help="keep the Metaflow home, datastore and run here (reused when it holds one)"
    )
    parser.add_argument("--compare", type=Path, help="also time the gate with the modelgate of this other src folder")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the modelgate source to time (default: ./src)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelgate-overhead-") as tmp:
        home = (args.home or Path(tmp)).resolve()
        env = environment(home, args.src.resolve())
        if (home / "run_id").exists():
            run = f"NLPFlow/{(home / 'run_id').read_text().strip()}"
        else:
            print("making an NLPFlow run on the demo data ...", flush=True)
            run = make_run(env, home)
        bare_file = home / "bare.py"
        bare_file.write_text(BARE)
        commands = {"bare": ([PYTHON, str(bare_file), run], env), "gate": (gate_command(run), env)}
        if args.compare:  # the same gate, with another checkout's modelgate
            commands["gate (--compare)"] = (gate_command(run), environment(home, args.compare.resolve()))
        for command, command_env in commands.values():
            timed(command, command_env)  # warm the file cache
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for i in range(args.repeats):  # alternate, so all see the same machine load
            for name, (command, command_env) in commands.items():
                times[name].append(timed(command, command_env))
            print(
                f"  repeat {i + 1}: "
                + ", ".join(f"{n} {t[-1][0]:.2f} s ({t[-1][1]:.2f} s CPU)" for n, t in times.items()),
                flush=True,
            )
        print(f"\n{run}, medians of {args.repeats}:")
        wall = {name: statistics.median(t[0] for t in ts) for name, ts in times.items()}
        cpu = {name: statistics.median(t[1] for t in ts) for name, ts in times.items()}
        for name in commands:
            ratio = (
                ""
                if name == "bare"
                else f"   ratio to bare: {wall[name] / wall['bare']:.2f}x wall, {cpu[name] / cpu['bare']:.2f}x CPU"
            )
            print(f"  {name:18} {wall[name]:7.2f} s wall {cpu[name]:7.2f} s CPU{ratio}")
        print("goal: gate / bare at most 1.2x")
        if args.profile:
            print("\nslowest imports of the gate session (-X importtime, cumulative):")
            for seconds, module in import_times(run, env):
                print(f"  {seconds:6.2f} s  {module}")
            profile(run, env, home)


if __name__ == "__main__":
    main()
