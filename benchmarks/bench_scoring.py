"""Benchmark the scorer against the tutorial's own NbowModel.predict.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/bench_scoring.py

It prints, with same-run ratios:

1. latency: median time to score one text through ``as_scorer`` (cache off,
   a distinct text per call) versus ``NbowModel.predict`` and ``model.predict``
   on the same one-row input (goal: scorer <= 3 ms);
2. the wall time of a 200-example invariance property (``check_invariance_rate``);
3. peak memory (ru_maxrss of a separate child process each) scoring 1,000,000
   reviews sampled with replacement from the real validation data (demo data
   when it is missing): the scorer (goal < 1.5 GB) beside the tutorial's
   ``NbowModel.predict``, which densifies everything at once. Each child is
   watched: it is killed when its resident memory passes ``--cap-gb`` (default
   12 GB, lowered to leave 4 GB of the machine free) or after ``--timeout``.
   The scorer also runs on 1,000 texts (the floor: TensorFlow itself) and the
   tutorial on a tenth of the texts, to extrapolate what it would need.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DATA = Path(os.environ.get("MODELGATE_BENCH_DATA", "/work/shared/data"))
GB = 10**9


def _load_examples():
    sys.path.insert(0, str(EXAMPLES))
    import demo_data
    import model

    return model, demo_data


def load_frames():
    """(train, valid, source): the real review data when present, else the demo frames."""
    import pandas as pd

    train_path, valid_path = DATA / "reviews_train.parquet", DATA / "reviews_valid.parquet"
    if train_path.is_file() and valid_path.is_file():
        return pd.read_parquet(train_path), pd.read_parquet(valid_path), str(valid_path)
    train, valid = _load_examples()[1].demo_frames()
    return train, valid, "demo data (real data not found)"


def sample_texts(valid_texts: list[str], n: int, seed: int = 0) -> list[str]:
    """``n`` texts drawn with replacement (references to the same strings, as a list of rows would be)."""
    import numpy as np

    idx = np.random.default_rng(seed).integers(0, len(valid_texts), n)
    return [valid_texts[i] for i in idx]


def train_and_save(out: Path, epochs: int) -> tuple[object, list[str], str]:
    """Train the tutorial model, save it for the child processes, return (nbow, valid texts, source)."""
    import keras

    keras.utils.set_random_seed(0)
    train, valid, source = load_frames()
    nbow = _load_examples()[0].NbowModel(750)
    nbow.fit(train.review, train.labels, epochs=epochs, verbose=0)
    nbow.model.save(out / "model.keras")
    with open(out / "vectorizer.pkl", "wb") as fh:
        pickle.dump(nbow.cv, fh)
    texts = [str(t) for t in valid.review]
    with open(out / "valid_texts.pkl", "wb") as fh:
        pickle.dump(texts, fh)
    return nbow, texts, source


def median_ms(fn, inputs) -> float:
    times = []
    for x in inputs:
        t0 = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


# --- parent: latency and property ----------------------------------------------------


def bench_latency(nbow, texts: list[str], n_scorer: int, n_predict: int) -> dict:
    from modelgate.evidence.scorers import as_scorer

    scorer = as_scorer(nbow.model_dict, cache=False)
    for t in texts[:5]:  # warm-up: trace the forward pass once, as predict warms up too
        scorer([t])
        nbow.predict([t])
    distinct = texts[5 : 5 + n_scorer]
    one_row = [nbow.cv.transform([t]).toarray() for t in texts[5 : 5 + n_predict]]
    result = {
        "scorer_ms": median_ms(lambda t: scorer([t]), distinct),
        "nbow_predict_ms": median_ms(lambda t: nbow.predict([t]), texts[5 : 5 + n_predict]),
        "keras_predict_ms": median_ms(lambda x: nbow.model.predict(x, verbose=0), one_row),
    }
    cached = as_scorer(nbow.model_dict)
    cached([texts[0]])
    result["scorer_cache_hit_ms"] = median_ms(lambda t: cached([t]), [texts[0]] * 200)
    return result


def bench_property(nbow, texts: list[str], n_examples: int) -> dict:
    from modelgate.behaviour import check_invariance_rate
    from modelgate.evidence.scorers import as_scorer

    out = {}
    for label, max_rate in (("within_10pct", 0.1), ("strict_shrinks", 0.0)):
        scorer = as_scorer(nbow.model_dict)  # fresh cache each time
        t0 = time.perf_counter()
        report = check_invariance_rate(scorer, texts, n_examples=n_examples, max_failure_rate=max_rate)
        out[label] = {
            "seconds": time.perf_counter() - t0,
            "failures": report.n_failures,
            "examples": report.n_examples,
            "passed": report.passed,
            "model_calls": scorer.model_calls,
            "shrunk": bool(report.counterexample and report.counterexample.shrunk),
        }
    return out


# --- children: peak memory ------------------------------------------------------------


def _vm(field: str) -> int:
    """A /proc/self/status field in bytes (VmRSS, VmHWM)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def child(mode: str, model_dir: Path, n: int) -> None:
    """Score ``n`` sampled texts one way; print a JSON line with timings and memory."""
    import keras

    from modelgate.evidence.scorers import as_scorer

    model = keras.saving.load_model(model_dir / "model.keras")
    with open(model_dir / "vectorizer.pkl", "rb") as fh:
        cv = pickle.load(fh)
    with open(model_dir / "valid_texts.pkl", "rb") as fh:
        texts = sample_texts(pickle.load(fh), n)
    before = _vm("VmHWM")
    t0 = time.perf_counter()
    if mode == "tutorial":
        nbow = _load_examples()[0].NbowModel.from_dict({"vectorizer": cv, "model": model})
        scores = nbow.predict(texts).ravel()
    else:
        scorer = as_scorer({"vectorizer": cv, "model": model}, cache=(mode == "scorer-cache"))
        scores = scorer(texts)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "mode": mode,
                "n": len(scores),
                "seconds": seconds,
                "peak_before_scoring": before,
                "mean_score": float(scores.mean()),
            }
        ),
        flush=True,
    )


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _available() -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def run_child(mode: str, model_dir: Path, n: int, cap: int, timeout: float) -> dict:
    """Run one child; return its report, peak RSS (ru_maxrss) and how it ended."""
    cmd = [sys.executable, __file__, "--child", mode, "--model-dir", str(model_dir), "--n-texts", str(n)]
    errors = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True)
    start, ended, watched_peak = time.monotonic(), "ok", 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss = _rss(proc.pid)
        watched_peak = max(watched_peak, rss)
        if rss > cap:
            ended = f"killed at the {_gb(cap)} cap"
            proc.kill()
        elif time.monotonic() - start > timeout:
            ended = f"killed after the {timeout:.0f} s timeout"
            proc.kill()
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read() if proc.stdout else ""
    report = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    if ended == "ok" and proc.returncode != 0:
        errors.seek(0)
        last = (errors.read().strip().splitlines() or ["no message"])[-1]
        ended = f"failed (exit code {proc.returncode}: {last})"
    errors.close()
    return {
        **report,
        "mode": mode,
        "n": n,
        "ended": ended,
        "peak_rss": usage.ru_maxrss * 1024,  # kB on Linux
        "watched_peak": watched_peak,
        "wall": time.monotonic() - start,
    }


# --- main -----------------------------------------------------------------------------


def _gb(b: float) -> str:
    return f"{b / 1e9:.2f} GB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-texts", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=2, help="training epochs (speed only)")
    parser.add_argument("--examples", type=int, default=200, help="property examples")
    parser.add_argument("--cap-gb", type=float, default=12.0, help="memory cap per child (GB)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per child")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.model_dir, args.n_texts)
        return

    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as tmp:
        model_dir = Path(tmp)
        t0 = time.perf_counter()
        nbow, texts, source = train_and_save(model_dir, args.epochs)
        print(f"data: {source}; {len(texts)} validation texts; trained in {time.perf_counter() - t0:.1f} s")

        lat = bench_latency(nbow, texts, n_scorer=300, n_predict=40)
        prop = bench_property(nbow, texts, args.examples)

        memory = []
        if not args.skip_memory:
            cap = int(min(args.cap_gb * GB, _available() - 4 * GB))
            small = max(1, args.n_texts // 10)
            for mode, n in (
                ("scorer", min(1000, args.n_texts)),
                ("scorer", args.n_texts),
                ("scorer-cache", args.n_texts),
                ("tutorial", small),
                ("tutorial", args.n_texts),
            ):
                print(f"memory: {mode} on {n:,} texts (cap {_gb(cap)}) ...", flush=True)
                memory.append(run_child(mode, model_dir, n, cap, args.timeout))

    print("\n== latency: one text (median) ==")
    print(f"scorer, cache off, distinct texts : {lat['scorer_ms']:8.2f} ms  (goal <= 3 ms)")
    print(f"NbowModel.predict([text])         : {lat['nbow_predict_ms']:8.2f} ms")
    print(f"model.predict(one dense row)      : {lat['keras_predict_ms']:8.2f} ms")
    print(f"scorer, cache hit                 : {lat['scorer_cache_hit_ms']:8.3f} ms")
    print(f"ratio NbowModel.predict / scorer  : {lat['nbow_predict_ms'] / lat['scorer_ms']:8.1f}x")

    print(f"\n== {args.examples}-example invariance property on the tutorial model ==")
    for label, r in prop.items():
        print(
            f"{label:15s}: {r['seconds']:6.2f} s, {r['failures']}/{r['examples']} failed, "
            f"passed={r['passed']}, model calls={r['model_calls']}, shrunk={r['shrunk']}"
        )

    if memory:
        print(f"\n== peak memory (ru_maxrss of a child each; data: {source}) ==")
        for m in memory:
            extra = ""
            if "seconds" in m:
                extra = f", scoring {m['seconds']:.1f} s, before scoring {_gb(m['peak_before_scoring'])}"
            print(f"{m['mode']:13s} {m['n']:>9,} texts: peak {_gb(m['peak_rss'])}{extra}; {m['ended']}")
        ours = [m for m in memory if m["mode"] == "scorer"][-1]
        tutorial = [m for m in memory if m["mode"] == "tutorial"]
        print(f"scorer goal < 1.5 GB on {ours['n']:,} texts: {'met' if ours['peak_rss'] < 1.5e9 else 'NOT met'}")
        small, full = tutorial[0], tutorial[-1]
        if small["ended"] == "ok" and small["n"] < full["n"]:
            base = small["peak_before_scoring"]
            guess = base + (small["peak_rss"] - base) * full["n"] / small["n"]
            print(f"tutorial predict extrapolated linearly from {small['n']:,} texts: ~{_gb(guess)} for {full['n']:,}")
        if full["ended"] == "ok":
            print(f"ratio tutorial / scorer peak on {full['n']:,} texts: {full['peak_rss'] / ours['peak_rss']:.1f}x")
        else:
            print(
                f"tutorial predict on {full['n']:,} texts did not finish ({full['ended']}): it needs "
                f"more than {_gb(full['watched_peak'])} (a dense {full['n']:,} x 750 int64 matrix "
                f"alone is {_gb(full['n'] * 750 * 8)})"
            )


if __name__ == "__main__":
    main()
