#!/usr/bin/env bash
# The GPU suite in one command, for a machine with an NVIDIA GPU and no Swift (the device machine):
# it runs a statically linked `descent` built beforehand on a Swift machine (libcurl4-openssl-dev
# installed, for Foundation's networking) and shrunk to fit the device tool's 64 MiB carry limit:
#   swift build -c release --static-swift-stdlib --product descent --scratch-path .build-static
#   strip -o .build-static/descent .build-static/release/descent && gzip -9 -f .build-static/descent
# then carry .build-static/descent.gz there (~20 MB); this script unpacks it. NVRTC comes from PyTorch's own wheels when
# DESCENT_NVRTC is not set, and so does cuBLAS when DESCENT_CUBLAS is not. It checks the driver, the devices and the kernels' compilation for this
# GPU's architecture, runs every GPU check against the CPU (`descent gpu-suite`, the same checks as
# the tests' GPUSuiteTests) and lecture 05's timing table, then PyTorch's timing of the same
# experiment on the same GPU (lecture05.py) for the ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${DESCENT_BIN:-.build-static/descent}
if [ ! -x "$bin" ] && [ -f "$bin.gz" ]; then gunzip -c "$bin.gz" > "$bin" && chmod +x "$bin"; fi
[ -x "$bin" ] || { echo "no $bin: build it first (see the top of this script)"; exit 2; }
if [ -z "${DESCENT_NVRTC:-}" ]; then
  for py in python3 python; do
    p=$($py -c 'import nvidia.cuda_nvrtc as m, os; print(os.path.join(list(m.__path__)[0], "lib", "libnvrtc.so.12"))' 2>/dev/null || true)
    if [ -n "$p" ] && [ -f "$p" ]; then export DESCENT_NVRTC="$p"; break; fi
  done
fi
if [ -z "${DESCENT_CUBLAS:-}" ]; then
  for py in python3 python; do
    p=$($py -c 'import nvidia.cublas as m, os; print(os.path.join(list(m.__path__)[0], "lib", "libcublas.so.12"))' 2>/dev/null || true)
    if [ -n "$p" ] && [ -f "$p" ]; then export DESCENT_CUBLAS="$p"; break; fi
  done
fi
command -v nvidia-smi > /dev/null && nvidia-smi -L || true
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.' || true)
"$bin" cuda-info --require-gpu --arch "sm_80,sm_90${arch:+,sm_$arch}"
"$bin" gpu-suite
# PyTorch's own CUDA random numbers on this GPU against Descent's (Philox stream, layout, dropout masks)
python3 Benchmarks/gpu/torch_random.py .build-static/torch-random && "$bin" torch-random-check .build-static/torch-random || true
python3 Benchmarks/gpu/lecture05.py || true
# SGEMM, bandwidth (as fractions of the theoretical peak) and MNIST-shaped MLP epochs, ours then PyTorch's
"$bin" gpu-bench || true
python3 Benchmarks/gpu/bench.py || true
