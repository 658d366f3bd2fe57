#!/usr/bin/env bash
# Coverage-guided fuzzing of Descent's parsers with libFuzzer (swiftc -sanitize=fuzzer): MNIST IDX and
# gzip, safetensors, torch.save files, images (PNG, PGM, PPM, JPEG), Trainer checkpoints (resumed), CSVLogger metrics files, the digits CSV, pickles and
# tar archives (CIFAR's files), and the
# `descent` command line (arguments split at NUL bytes, parsed by the program's own definitions).
#   Fuzz/run.sh                 a million inputs per parser (FUZZ_RUNS to change), then a summary
#   Fuzz/run.sh smoke           10 seconds per parser (what .ci/run does)
#   Fuzz/run.sh <target> ...    only these targets (idx safetensors checkpoint csv digits pickle tar torchfile image cli)
# Each target starts from a seed corpus of valid files written by Descent itself (descent-fuzz --seeds).
# libFuzzer stops on a crash, a hang (-timeout, seconds per input) or an allocation over -malloc_limit_mb,
# leaving the input as crash-*/timeout-*/oom-* in Fuzz/artifacts/; this script then exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${FUZZ_RUNS:-1000000}
limit=()
targets=(idx safetensors checkpoint csv digits pickle tar torchfile image cli)
if [ "${1:-}" = smoke ]; then limit=(-max_total_time=10); runs=-1; shift; fi
if [ $# -gt 0 ]; then targets=("$@"); fi

swift build -c release --product descent-fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING > /dev/null
swift build -c release --product descent-fuzz > /dev/null          # the replay build writes the seeds
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./.build/release/descent-fuzz --seeds "$work/seeds"
mkdir -p Fuzz/artifacts
status=0
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t"
  set +e
  DESCENT_FUZZ_TARGET=$t ./.build-fuzz/release/descent-fuzz "$work/corpus/$t" "$work/seeds/$t" \
    -runs="$runs" "${limit[@]}" -max_len=65536 -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=1024 \
    -artifact_prefix="Fuzz/artifacts/$t-" -print_final_stats=1 > "$work/$t.log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$' || echo "?")
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$work/$t.log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -1 | grep -o '[0-9]*' || echo "?")
  corpus=$(ls "$work/corpus/$t" | wc -l)
  if [ $rc -eq 0 ]; then
    echo "$t: $execs inputs, ${secs}s, coverage $cov, corpus $corpus, no crash"
  else
    echo "$t: FAILED after $execs inputs (rc $rc):"; grep -E "ERROR|Fatal|artifact|SUMMARY" "$work/$t.log" | head -8
    status=1
  fi
done
exit $status
