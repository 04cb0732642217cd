#!/usr/bin/env bash
# Set up everything (Python environment, elan + Lean, Mathlib's cache, the REPL) and evaluate
# the `auto` strategy on miniF2F-test, then write an HTML report.
# Environment: DATASET (default minif2f-v4.24, the statements written for the pinned Lean;
# `minif2f` is the DeepSeek set most papers report on), WORKERS (default 2), STRATEGY
# (default auto), SPLIT (default test), BUDGET (default wall=300,tactic_timeout=30).
# Extra arguments go to `leanwb eval`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --disable-pip-version-check torch==2.13.0
python -m pip install -q --disable-pip-version-check -e .
leanwb setup
leanwb datasets fetch "${DATASET:-minif2f-v4.24}"
leanwb eval "${DATASET:-minif2f-v4.24}" --split "${SPLIT:-test}" --strategy "${STRATEGY:-auto}" \
  --workers "${WORKERS:-2}" --budget "${BUDGET:-wall=300,tactic_timeout=30}" "$@"
run=$(leanwb eval list --json | python -c 'import json,sys; print(max(r["run_id"] for r in json.load(sys.stdin)))')
leanwb eval report "$run" --format html --out "reports/run-$run"
echo "report: reports/run-$run/index.html"
