#!/usr/bin/env bash
# GPU readiness, for a lent GPU machine with no internet (only the working tree and a few
# carried folders reach it). Runs what can run there and says what it did not run:
#   1. nvidia-smi: the GPUs and the driver.
#   2. The addon's CUDA ctests (CUDA kernels against the CPU kernels): from a build folder
#      compiled elsewhere (scripts/cuda-compile-check.sh leaves build-cuda/, carry it;
#      cudart is linked statically, so only the driver is needed), or built here when
#      nvcc is on PATH or in $CUDA_HOME/bin.
#   3. The train step on tfjs-node-gpu, when a TensorFlow with CUDA is already installed
#      on the machine (CLARA_TF_SITE_PACKAGES, else the site-packages of `python3 -c
#      "import tensorflow"`) and node_modules/@tensorflow/tfjs-node-gpu is there (carry
#      it, or `npm install --no-save --ignore-scripts @tensorflow/tfjs-node-gpu@<tfjs version>`
#      where a registry is reachable): `clara-train setup tensorflow --gpu --from DIR`
#      builds the binding against it, then one UNet and one SegResNet train step run on
#      tfjs-node-gpu and, for comparison, on cpu-native.
# Usage: scripts/gpu-readiness.sh   (exit 0 when every step that could run passed)
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
say() { echo "gpu-readiness: $*"; }

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  say "no NVIDIA GPU visible (nvidia-smi missing or lists none): nothing to check"; exit 0
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu-readiness: GPU /'

# 2. CUDA ctests
nvcc_bin=$(command -v nvcc || true)
[ -z "$nvcc_bin" ] && [ -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ] && nvcc_bin="${CUDA_HOME:-/usr/local/cuda}/bin/nvcc"
if [ -f build-cuda/CTestTestfile.cmake ]; then
  say "CUDA ctests from the carried build-cuda/"
  ctest --test-dir build-cuda --output-on-failure || status=1
elif [ -n "$nvcc_bin" ]; then
  say "building the CUDA ctests with $nvcc_bin"
  cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCLARA_BUILD_TESTS=ON -DCMAKE_CUDA_COMPILER="$nvcc_bin" >/dev/null \
    && cmake --build build-gpu -j "$(nproc)" >/dev/null && ctest --test-dir build-gpu --output-on-failure || status=1
else
  say "CUDA ctests NOT run: no build-cuda/ carried and no nvcc here"
fi

# 3. tfjs-node-gpu
site=${CLARA_TF_SITE_PACKAGES:-$(python3 -c 'import os, tensorflow; print(os.path.dirname(os.path.dirname(tensorflow.__file__)))' 2>/dev/null || true)}
if [ -z "$site" ] || [ ! -e "$site/tensorflow/libtensorflow_cc.so.2" ] || [ ! -d "$site/nvidia" ]; then
  say "tfjs-node-gpu train step NOT run: no TensorFlow with CUDA installed here (set CLARA_TF_SITE_PACKAGES to a site-packages with tensorflow/ and nvidia/)"
elif [ ! -f node_modules/@tensorflow/tfjs-node-gpu/package.json ]; then
  say "tfjs-node-gpu train step NOT run: node_modules/@tensorflow/tfjs-node-gpu is not here (carry it)"
elif [ ! -f dist/cli/main.js ] || [ ! -f build/Release/clara_native.node ]; then
  say "tfjs-node-gpu train step NOT run: dist/ and build/ are not built (npm run build, npm run build:native, or carry them)"
else
  say "TensorFlow with CUDA in $site"
  if node bin/clara-train.js setup tensorflow --gpu --from "$site"; then
    for w in unet-small segresnet; do
      for b in tfjs-node-gpu cpu-native; do
        out=$(TF_CPP_MIN_LOG_LEVEL=0 node --import tsx benchmarks/backends_one.ts "$b" "$w" 3 "$(nproc)" 2>/tmp/gpu-readiness-$b-$w.log | tail -1)
        if [ -n "$out" ] && [ "${out#\{}" != "$out" ]; then say "train step $w on $b: $out"
        else say "train step $w on $b FAILED: $(grep -v '^I0000' /tmp/gpu-readiness-$b-$w.log | tail -2 | tr '\n' ' ')"; status=1; fi
      done
    done
    grep -h "Created device" /tmp/gpu-readiness-tfjs-node-gpu-*.log | head -2 | sed 's/^/gpu-readiness: TF: /'
  else
    status=1
  fi
fi
exit $status
