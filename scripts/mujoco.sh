#!/usr/bin/env bash
# Sets up the optional `mujoco` feature (HalfCheetah-v5, Hopper-v5, Walker2d-v5, Swimmer-v5).
#
# Downloads two pinned PyPI wheels with pip, checks their sha256, and extracts into a per-user
# cache, once:
#   ${KDBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdbench}/mujoco-3.17.0/
#     lib/libmujoco.so.3.17.0, lib/libmujoco.so -> libmujoco.so.3.17.0   (wheel mujoco==3.17.0)
#     assets/*.xml                    (Gymnasium's MuJoCo models, wheel gymnasium==1.4.0, MIT)
#     LICENSE-mujoco, LICENSES_THIRD_PARTY-mujoco.md, LICENSE-gymnasium
# and links it into the project as `.mujoco` (gitignored). `.cargo/config.toml` points the
# build at `.mujoco/lib` (MUJOCO_DYNAMIC_LINK_DIR), and the build scripts add an rpath and embed
# the model XMLs, so afterwards `cargo build --release --features mujoco` and the built binary
# need no exported variables. Idempotent; a second run only checks the link.
#
# No compiler tools are needed beyond Rust's: mujoco-rs ships pre-generated bindings.
set -euo pipefail

MUJOCO_VERSION=3.17.0
GYMNASIUM_VERSION=1.4.0
MUJOCO_WHEEL=mujoco-3.17.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl
MUJOCO_SHA256=d66928d86a2d1b601bbaa4dc11db50214d17d5301bb8afd84721313b67ff0874
GYMNASIUM_WHEEL=gymnasium-1.4.0-py3-none-any.whl
GYMNASIUM_SHA256=1cb947c59e7c72d8eabb2c2274c00cd20948e69f8452a9ef4092223be24fdf0e
ASSETS="half_cheetah.xml hopper.xml walker2d_v5.xml swimmer.xml"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${KDBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdbench}
dest="$cache/mujoco-$MUJOCO_VERSION"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "error: scripts/mujoco.sh supports Linux x86_64 only (the pinned mujoco wheel); found $(uname -s)-$(uname -m)" >&2
  exit 2
fi

if [ ! -f "$dest/.complete" ]; then
  python=$(command -v python3 || command -v python || true)
  if [ -z "$python" ] || ! "$python" -m pip --version >/dev/null 2>&1; then
    cat >&2 <<MSG
error: kdbench needs pip to fetch MuJoCo (PyPI mujoco==$MUJOCO_VERSION) and the Gymnasium models, and none was found.
  On Debian/Ubuntu run:   apt-get install -y python3-pip
MSG
    exit 2
  fi
  echo "kdbench: fetching MuJoCo $MUJOCO_VERSION and Gymnasium $GYMNASIUM_VERSION's models (27 MB) into $dest" >&2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.mujoco-install.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # The cp311 manylinux wheel whatever the local Python: only its C library is used.
  if ! "$python" -m pip download --quiet --disable-pip-version-check --no-deps -d "$tmp/wheels" \
      --only-binary=:all: --platform manylinux_2_28_x86_64 --python-version 3.11 \
      --implementation cp --abi cp311 "mujoco==$MUJOCO_VERSION" "gymnasium==$GYMNASIUM_VERSION" >&2; then
    echo "error: 'pip download mujoco==$MUJOCO_VERSION gymnasium==$GYMNASIUM_VERSION' failed (see pip's message above); check that PyPI is reachable" >&2
    exit 2
  fi
  for pair in "$MUJOCO_WHEEL:$MUJOCO_SHA256" "$GYMNASIUM_WHEEL:$GYMNASIUM_SHA256"; do
    wheel=${pair%%:*}
    want=${pair##*:}
    [ -f "$tmp/wheels/$wheel" ] || { echo "error: pip did not fetch $wheel (got: $(ls "$tmp/wheels"))" >&2; exit 2; }
    got=$(sha256sum "$tmp/wheels/$wheel" | cut -d' ' -f1)
    if [ "$got" != "$want" ]; then
      echo "error: $wheel has sha256 $got, expected $want" >&2
      exit 2
    fi
  done
  "$python" - "$tmp" "$MUJOCO_WHEEL" "$GYMNASIUM_WHEEL" "$ASSETS" <<'PY'
import os, sys, zipfile
tmp, mujoco_wheel, gym_wheel, assets = sys.argv[1:5]
def copy(wheel, member, target):
    with zipfile.ZipFile(os.path.join(tmp, "wheels", wheel)) as z:
        data = z.read(member)
    path = os.path.join(tmp, "out", target)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
copy(mujoco_wheel, "mujoco/libmujoco.so.3.17.0", "lib/libmujoco.so.3.17.0")
copy(mujoco_wheel, "mujoco-3.17.0.dist-info/licenses/LICENSE", "LICENSE-mujoco")
copy(mujoco_wheel, "mujoco-3.17.0.dist-info/licenses/LICENSES_THIRD_PARTY.md", "LICENSES_THIRD_PARTY-mujoco.md")
copy(gym_wheel, "gymnasium-1.4.0.dist-info/licenses/LICENSE", "LICENSE-gymnasium")
for name in assets.split():
    copy(gym_wheel, "gymnasium/envs/mujoco/assets/" + name, "assets/" + name)
PY
  ln -s libmujoco.so.3.17.0 "$tmp/out/lib/libmujoco.so"
  cat > "$tmp/out/README" <<MSG
MuJoCo $MUJOCO_VERSION's C library (from PyPI's $MUJOCO_WHEEL, Apache-2.0: LICENSE-mujoco)
and the MuJoCo model files of Gymnasium $GYMNASIUM_VERSION (from $GYMNASIUM_WHEEL,
gymnasium/envs/mujoco/assets/, MIT: LICENSE-gymnasium), for kdbench's \`mujoco\` feature.
Installed by kdbench's scripts/mujoco.sh.
MSG
  rm -rf "$dest"
  mv "$tmp/out" "$dest"
  touch "$dest/.complete"
fi

link="$root/.mujoco"
if [ "$(readlink "$link" 2>/dev/null)" != "$dest" ]; then
  if [ -e "$link" ] && [ ! -L "$link" ]; then
    echo "error: $link exists and is not a symlink; remove it so kdbench can link MuJoCo there" >&2
    exit 2
  fi
  ln -sfn "$dest" "$link"
fi
echo "kdbench: MuJoCo $MUJOCO_VERSION ready at $link -> $dest; build with: cargo build --release --features mujoco" >&2
