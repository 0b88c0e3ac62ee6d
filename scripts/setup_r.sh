#!/usr/bin/env bash
# Install R with quantreg and data.table (Debian/Ubuntu packages) for the SGP baselines in
# bench/bench_sgp.py and tests/growth. Does nothing when Rscript and both packages are present.
set -euo pipefail

have_r_packages() {
  command -v Rscript >/dev/null 2>&1 &&
    Rscript -e 'quit(status = !all(c("quantreg", "data.table") %in% rownames(installed.packages())))' \
      >/dev/null 2>&1
}

if have_r_packages; then
  echo "R with quantreg and data.table is already installed: $(Rscript --version 2>&1 | head -1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends r-base-core r-cran-quantreg r-cran-data.table
have_r_packages && echo "installed: $(Rscript --version 2>&1 | head -1)"
