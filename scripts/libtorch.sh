#!/usr/bin/env bash
# Makes sure the pinned libtorch is installed and that `.libtorch` in the project points at it.
#
# libtorch comes from PyPI's torch wheel (the version tch needs), installed once per user into
#   ${KDBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdbench}/libtorch-$TORCH_VERSION
# and linked into the project as `.libtorch` (gitignored). `.cargo/config.toml` points torch-sys
# at `.libtorch/torch`, and each crate's build script adds an rpath, so plain `cargo` commands and
# the built binary need no exported variables afterwards.
#
# Set LIBTORCH yourself to use another libtorch of the same version instead.
set -euo pipefail

TORCH_VERSION=2.13.0
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ -n "${LIBTORCH:-}" ]; then
  [ -f "$LIBTORCH/lib/libtorch_cpu.so" ] || {
    echo "error: LIBTORCH=$LIBTORCH has no lib/libtorch_cpu.so; unset LIBTORCH to let kdbench install torch==$TORCH_VERSION" >&2
    exit 2
  }
  exit 0
fi

cache=${KDBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdbench}
dest="$cache/libtorch-$TORCH_VERSION"

if [ ! -f "$dest/.complete" ]; then
  python=$(command -v python3 || command -v python || true)
  if [ -z "$python" ] || ! "$python" -m pip --version >/dev/null 2>&1; then
    cat >&2 <<MSG
error: kdbench needs pip to install libtorch (PyPI torch==$TORCH_VERSION), and none was found.
  On Debian/Ubuntu run:   apt-get install -y python3-pip
  or point LIBTORCH at an existing libtorch $TORCH_VERSION:   export LIBTORCH=/path/to/libtorch
MSG
    exit 2
  fi
  echo "kdbench: installing libtorch (PyPI torch==$TORCH_VERSION, about 4.7 GB, 2 minutes) into $dest" >&2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.libtorch-install.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  if ! "$python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
      --target "$tmp" "torch==$TORCH_VERSION" >&2; then
    cat >&2 <<MSG
error: 'pip install torch==$TORCH_VERSION' failed (see pip's message above).
  Check that PyPI is reachable and that $cache has about 5 GB free, then run again, or run by hand:
    $python -m pip install --target "$dest" torch==$TORCH_VERSION && touch "$dest/.complete"
MSG
    exit 2
  fi
  [ -f "$tmp/torch/lib/libtorch_cpu.so" ] || { echo "error: the torch wheel has no torch/lib/libtorch_cpu.so" >&2; exit 2; }
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
  touch "$dest/.complete"
fi

link="$root/.libtorch"
if [ "$(readlink "$link" 2>/dev/null)" != "$dest" ]; then
  if [ -e "$link" ] && [ ! -L "$link" ]; then
    echo "error: $link exists and is not a symlink; remove it so kdbench can link libtorch there" >&2
    exit 2
  fi
  ln -sfn "$dest" "$link"
fi
