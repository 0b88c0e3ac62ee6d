#!/usr/bin/env bash
# Create the benchmark venv (/work/main/.venv-bench) with sounding (editable) and pyBKT's C++
# build, so bench/bench_bkt.py can time both in the same run. Idempotent: reuses the venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROOT}/.venv-bench"

if [ ! -x "${VENV}/bin/python" ]; then
    bash "${ROOT}/scripts/venv.sh" "${VENV}"
fi
"${VENV}/bin/pip" install --quiet --upgrade pip setuptools wheel
"${VENV}/bin/pip" install --quiet -e "${ROOT}"
"${VENV}/bin/pip" install --quiet numpy
# pyBKT compiles its C++ E-step against the numpy already installed, hence no build isolation.
# PyPI also serves a pure-Python wheel of pyBKT (the ~100x slower fallback); --no-binary forces
# the sdist, whose setup.py builds the C++/OpenMP extensions (needs g++). A previously installed
# pure-Python copy is replaced.
if ! "${VENV}/bin/python" -c "import pyBKT.fit.E_step" 2>/dev/null; then
    "${VENV}/bin/pip" uninstall --yes --quiet pybkt 2>/dev/null || true
    "${VENV}/bin/pip" install --no-build-isolation --no-binary pybkt --no-cache-dir \
        pybkt "scikit-learn<1.8"
fi

"${VENV}/bin/python" - <<'PY'
from pyBKT.models import Model
import pyBKT.fit.E_step as e  # noqa: F401  (the compiled module; ImportError = pure-Python fallback)
print("pyBKT C++ build OK:", e.__file__)
PY
