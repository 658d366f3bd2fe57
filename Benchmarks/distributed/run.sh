#!/usr/bin/env bash
# The distributed benchmarks, side by side with their baselines in one run (2 ranks on this machine):
#   1. all-reduce, 4 KB to 64 MB: Descent's Distributed.allReduce against Open MPI's MPI_Allreduce called
#      through its C ABI in the same job, in alternating blocks (this VM switches between two speed modes
#      for minutes at a time, so separate runs are not comparable); and, for reference, the C program
#      allreduce_c.c (the same protocol) run separately. Best of ROUNDS rounds per size.
#   2. one MNIST-MLP epoch (784-256-256-10, SGD 0.1, batch 64 per rank, 1 thread per rank): Descent DDP over
#      MPI against PyTorch DDP over gloo (ddp_mnist_torch.py), and both in one process; best of ROUNDS.
# Needs Open MPI (mpirun, mpicc: apt-get install openmpi-bin libopenmpi-dev) and PyTorch in $TORCH_VENV
# (default ../venv-torch). Usage: Benchmarks/distributed/run.sh [allreduce|ddp]
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${TORCH_VENV:-$(pwd)/../venv-torch}
rounds=${ROUNDS:-3}
what=${1:-all}
mpi=(mpirun --allow-run-as-root --oversubscribe -np 2)
swift build -c release --product descent-bench > /dev/null
bench=./.build/release/descent-bench
out=$(mktemp -d)

if [ "$what" = all ] || [ "$what" = allreduce ]; then
  mpicc -O2 Benchmarks/distributed/allreduce_c.c -o "$out/allreduce_c"
  for r in $(seq "$rounds"); do
    "${mpi[@]}" "$out/allreduce_c" >> "$out/c.txt"
    "${mpi[@]}" "$bench" allreduce >> "$out/descent.txt"
  done
  python3 - "$out" <<'PY'
import re, sys
d = sys.argv[1]
def best(f):
    b = {}
    for l in open(f"{d}/{f}"):
        m = re.search(r"bytes=(\d+) us=([\d.]+)", l)
        if m: n, us = int(m[1]), float(m[2]); b[n] = min(b.get(n, 1e30), us)
    return b
c = best("c.txt")
s, raw = {}, {}
for l in open(f"{d}/descent.txt"):
    m = re.search(r"(allreduce_\w+) bytes=(\d+) us=([\d.]+)", l)
    if m:
        t = s if m[1] == "allreduce_descent" else raw
        n, us = int(m[2]), float(m[3]); t[n] = min(t.get(n, 1e30), us)
print(f"{'bytes':>10} {'Descent us':>11} {'MPI raw us':>11} {'raw/Descent':>12} {'Descent GB/s':>13} {'C program us':>13}")
for n in sorted(s):
    print(f"{n:>10} {s[n]:>11.2f} {raw[n]:>11.2f} {raw[n]/s[n]:>12.3f} {n/s[n]/1e3:>13.2f} {c.get(n, float('nan')):>13.2f}")
PY
fi

if [ "$what" = all ] || [ "$what" = ddp ]; then
  for r in $(seq "$rounds"); do
    "$bench" ddp-mnist --single >> "$out/ddp.txt"
    "${mpi[@]}" "$bench" ddp-mnist >> "$out/ddp.txt"
    if [ -x "$venv/bin/torchrun" ]; then
      OMP_NUM_THREADS=1 "$venv/bin/python" Benchmarks/distributed/ddp_mnist_torch.py --single >> "$out/ddp.txt"
      OMP_NUM_THREADS=1 "$venv/bin/torchrun" --standalone --nproc_per_node=2 Benchmarks/distributed/ddp_mnist_torch.py 2>/dev/null >> "$out/ddp.txt"
    fi
  done
  python3 - "$out" <<'PY'
import re, sys
best = {}
for l in open(f"{sys.argv[1]}/ddp.txt"):
    m = re.match(r"(\w+) epoch_s=([\d.]+) steps=(\d+) final_loss=([\d.]+)", l)
    if m: best[m[1]] = min(best.get(m[1], (1e30,))[0:1] + (float(m[2]),)), m[3], m[4]
for k, (t, steps, loss) in best.items(): print(f"{k:16s} epoch {t:7.3f} s  steps {steps:>4}  last-batch loss {loss}")
if "ddp_descent" in best and "ddp_torch_gloo" in best:
    print(f"DDP epoch, PyTorch gloo / Descent: {best['ddp_torch_gloo'][0] / best['ddp_descent'][0]:.2f}x")
if "single_descent" in best and "single_torch" in best:
    print(f"one process, PyTorch / Descent:    {best['single_torch'][0] / best['single_descent'][0]:.2f}x")
PY
fi
rm -rf "$out"
