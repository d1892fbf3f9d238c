#!/usr/bin/env bash
# The main job, start to finish: install, train the tutorial flow on the
# built-in demo data, gate the run with pytest, show the verdict and the tag.
#
#   bash examples/demo.sh
#
# Metaflow data goes to .metaflow-demo/ in the project (local metadata and
# datastore), so the demo touches nothing else on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
echo "==> installing modelgate with TensorFlow (first time: a few minutes)"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[tensorflow,dev]"

export METAFLOW_DEFAULT_METADATA=local
export METAFLOW_DEFAULT_DATASTORE=local
export METAFLOW_DATASTORE_SYSROOT_LOCAL="$root/.metaflow-demo"
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
# Metaflow refuses to guess a user name for root (containers, CI).
if [ -z "${METAFLOW_USER:-}" ] && [ "$(id -un)" = root ]; then export METAFLOW_USER=demo; fi
mkdir -p "$METAFLOW_DATASTORE_SYSROOT_LOCAL"

run_id_file=$(mktemp)
echo "==> training NLPFlow on the built-in demo data (about a minute)"
# Run from the datastore root: Metaflow writes cards to the .metaflow folder it
# finds from the working directory up, and reads them back the same way.
(cd "$METAFLOW_DATASTORE_SYSROOT_LOCAL" && "$root/.venv/bin/python" "$root/examples/nlpflow.py" run --tag-in-flow False --run-id-file "$run_id_file" 2>&1 \
  | grep -E "Workflow starting|Task finished|Model|Baseline|verdict|Done" || true)
run="NLPFlow/$(cat "$run_id_file")"
rm -f "$run_id_file"

echo "==> gating $run: pytest examples/gate --model-run=$run"
status=0
# (TensorFlow's native start-up chatter on stderr is filtered out, nothing else.)
.venv/bin/python -m pytest examples/gate --model-run="$run" -p no:cacheprovider -q \
  2> >(grep -vE '^(WARNING: All log messages before absl|[IEW][0-9]{4} )' >&2) || status=$?

echo "==> tags of $run, read back from Metaflow"
.venv/bin/python - "$run" <<'PY'
import sys
from metaflow import Run, namespace
namespace(None)
run = Run(sys.argv[1])
tags = sorted(run.user_tags)
print(f"user tags: {', '.join(tags) if tags else '(none)'}")
print("deployment_candidate:", "yes" if "deployment_candidate" in tags else "no")
PY
echo
echo "To gate it again yourself:"
echo "  export METAFLOW_DEFAULT_METADATA=local METAFLOW_DATASTORE_SYSROOT_LOCAL=$METAFLOW_DATASTORE_SYSROOT_LOCAL${METAFLOW_USER:+ METAFLOW_USER=$METAFLOW_USER}"
echo "  .venv/bin/python -m pytest examples/gate --model-run=$run"
echo "Its card, from the in-flow gate:"
echo "  (cd .metaflow-demo && ../.venv/bin/python ../examples/nlpflow.py card get ${run#NLPFlow/}/end --id gate ../gate-card.html)"
exit $status
