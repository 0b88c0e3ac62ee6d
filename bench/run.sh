#!/usr/bin/env bash
# `make bench`: every benchmark, each side by side with its peer in the same run.
# Figures go to stdout and to bench/out/<name>.txt. Set BENCH_QUICK=1 for a small smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out

bash bench/setup_pybkt.sh        # .venv-bench: sounding + pyBKT's C++ build (+ statsmodels)
.venv-bench/bin/pip install --quiet statsmodels
bash scripts/setup_r.sh            # R quantreg for the SGP baseline (Debian packages)
PY=.venv-bench/bin/python

run() {
  local name=$1; shift
  echo "=== $name: $*"
  "$PY" "$@" 2>&1 | tee "bench/out/$name.txt"
}

if [ "${BENCH_QUICK:-0}" = "1" ]; then
  run simulate bench/bench_simulate.py --students 2000 20000
  run bkt bench/bench_bkt.py --responses 100000 --repeats 1 --skip-assist
  run models bench/bench_models.py --answers 100000 --skip-assist
  run graph bench/bench_graph.py --students 5000 --fit-students 2000
  run planning bench/bench_planning.py --sizes 2000
  run sgp bench/bench_sgp.py --students 20000 --br-students 5000 --sm-students 5000
  run load_diagnostic bench/load_diagnostic.py --students 100
else
  run simulate bench/bench_simulate.py
  run bkt bench/bench_bkt.py
  run models bench/bench_models.py
  run graph bench/bench_graph.py
  run planning bench/bench_planning.py
  run sgp bench/bench_sgp.py
  run load_diagnostic bench/load_diagnostic.py --students 1000
fi
