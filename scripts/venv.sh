#!/usr/bin/env bash
# Create the virtual environment $1 with $PYTHON (python3), installing Debian's venv package
# first when this Python lacks ensurepip (stock Debian python3 does), so that a machine with
# only python3, make and root can run `make demo` and `make test`.
set -euo pipefail
VENV="${1:-.venv}"
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "venv.sh: Sounding needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "venv.sh: $PYTHON has no venv/ensurepip; install your system's python3-venv package" >&2
    exit 1
  fi
  ver="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
  echo "venv.sh: installing Debian's python${ver}-venv (this Python has no ensurepip)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y "python${ver}-venv" >&2 || apt-get install -y python3-venv >&2
fi
"$PYTHON" -m venv "$VENV"
