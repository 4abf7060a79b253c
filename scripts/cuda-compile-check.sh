#!/usr/bin/env bash
# Compiles the CUDA sources with nvcc from PyPI's NVIDIA wheels (no GPU needed):
# the ctest programs (CUDA tests skip without a GPU) and the addon with CUDA compiled
# in, which must load and report gpuCount 0 on a machine without a GPU.
# Usage: scripts/cuda-compile-check.sh [venv-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-${TMPDIR:-/tmp}/clara-cuda-venv}
if [ ! -x "$venv/bin/pip" ]; then python3 -m venv "$venv"; fi
if ! "$venv/bin/pip" install -q nvidia-cuda-nvcc nvidia-cuda-runtime nvidia-cuda-cccl; then
  echo "cuda-compile-check: could not install nvcc from PyPI; CUDA sources NOT compiled" >&2
  exit 0
fi
root=$("$venv/bin/python" - <<'PY'
import glob, os, nvidia
base = list(nvidia.__path__)[0]
for cand in sorted(glob.glob(os.path.join(base, 'cu*')), reverse=True):
    if os.path.exists(os.path.join(cand, 'bin', 'nvcc')):
        print(cand); break
PY
)
[ -n "$root" ] || { echo "cuda-compile-check: no nvcc in the installed wheels" >&2; exit 1; }
# The wheels ship libcudart.so.N only; CMake's FindCUDAToolkit wants the unversioned name.
for so in "$root"/lib/libcudart.so.*; do ln -sf "$(basename "$so")" "$root/lib/libcudart.so"; done
[ -e "$root/lib64" ] || ln -s lib "$root/lib64"
echo "cuda-compile-check: nvcc $("$root/bin/nvcc" --version | tail -1)"

cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DCLARA_BUILD_TESTS=ON \
  -DCMAKE_CUDA_COMPILER="$root/bin/nvcc" -DCUDAToolkit_ROOT="$root" | grep -E 'clara-train native|Error' || true
grep -q 'CLARA_WITH_CUDA:INTERNAL=ON\|CLARA_WITH_CUDA' build-cuda/CMakeCache.txt || true
cmake --build build-cuda -j 2
ctest --test-dir build-cuda --output-on-failure

npx cmake-js compile --out build-cuda-addon --CDCMAKE_CUDA_COMPILER="$root/bin/nvcc" --CDCUDAToolkit_ROOT="$root" >/dev/null
CLARA_NATIVE_PATH="$PWD/build-cuda-addon/Release/clara_native.node" node -e '
  const a = require(process.env.CLARA_NATIVE_PATH); const i = a.info();
  console.log("cuda-compile-check: addon with CUDA:", JSON.stringify(i));
  if (!i.cuda) { console.error("cuda-compile-check: addon was built without CUDA"); process.exit(1); }'
