#!/usr/bin/env bash
# Runs Descent's benchmark (release build) and the same workloads in PyTorch on this machine, in
# the same run, and prints the ratio PyTorch time / Descent time (> 1 means Descent is faster).
#   Benchmarks/run.sh [workload-prefix]        (PyTorch from $TORCH_VENV, default ../venv-torch)
#   Benchmarks/run.sh trainer                  lecture 04 under the Trainer vs PyTorch Lightning (EPOCHS=1;
#                                              needs `pip install lightning torchmetrics tensorboard` in the venv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${TORCH_VENV:-$(pwd)/../venv-torch}
swift build -c release --product descent-bench >/dev/null
./.build/release/descent-bench "$@" | tee /tmp/descent-bench.txt
if [ -x "$venv/bin/python" ]; then
  "$venv/bin/python" Benchmarks/pytorch/bench.py "$@" | tee /tmp/pytorch-bench.txt
  case "${1:-}" in trainer*) "$venv/bin/python" Benchmarks/pytorch/lightning_mnist_mlp.py | tee -a /tmp/pytorch-bench.txt ;; esac
  python3 - <<'PY'
d = {l.split("\t")[0]: float(l.split("\t")[1]) for l in open("/tmp/descent-bench.txt") if not l.startswith("#")}
p = {l.split("\t")[0]: float(l.split("\t")[1]) for l in open("/tmp/pytorch-bench.txt") if not l.startswith("#")}
print(f"\n{'workload':34s} {'descent':>11s} {'pytorch':>11s} {'speedup':>8s}")
for k in d:
    if k in p: print(f"{k:34s} {d[k]:11.3e} {p[k]:11.3e} {p[k]/d[k]:7.2f}x")
PY
else
  echo "(no PyTorch at $venv: make one with ../shared/tools/setup-torch.sh to see ratios)"
fi
