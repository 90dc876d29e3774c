#!/usr/bin/env bash
# Sets up the Python side of `kdbench bench`: a venv with torch 2.13.0, NumPy, Gymnasium 1.4.0 and
# rliable, used by the reference scripts in benches/reference/. Idempotent; prints the venv's python.
#
# The venv lives in ${KDBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdbench}/bench-venv. torch is
# the very wheel libtorch came from (scripts/libtorch.sh installs PyPI's torch==2.13.0 there), made
# importable through a .pth file, so both sides of a ratio run the same libtorch binaries and
# nothing is downloaded twice. Without that install, torch==2.13.0 is pip-installed from PyPI.
# `kdbench bench` finds the venv itself; set KDBENCH_BENCH_PYTHON to use another python.
set -euo pipefail

TORCH_VERSION=2.13.0
cache=${KDBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdbench}
venv="$cache/bench-venv"
libtorch="$cache/libtorch-$TORCH_VERSION"

python=$(command -v python3 || command -v python || true)
if [ -z "$python" ]; then
  echo "error: the benchmark reference side needs python3 (3.9 or newer) with the venv module" >&2
  exit 2
fi

if [ ! -f "$venv/.complete" ]; then
  echo "kdbench: setting up the benchmark python in $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
  if [ -f "$libtorch/.complete" ] && [ -f "$libtorch/torch/__init__.py" ]; then
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    # Appended after the venv's own packages, so NumPy & co. installed below take precedence.
    echo "$libtorch" >"$site/kdbench-libtorch.pth"
  else
    "${pip[@]}" "torch==$TORCH_VERSION"
  fi
  # rliable 1.2.0 needs arch < 8, and arch 7 fails to import under pandas 3.
  "${pip[@]}" numpy "gymnasium==1.4.0" "rliable==1.2.0" "arch==7.2.0" "pandas<3"
  "$venv/bin/python" -c "import torch, numpy, gymnasium, rliable; assert torch.__version__.startswith('$TORCH_VERSION'), torch.__version__" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
