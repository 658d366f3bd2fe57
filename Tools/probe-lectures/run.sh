#!/usr/bin/env bash
# Builds the probe lecture programs in this folder against this checkout of Descent (run it from
# the project's root), runs the ones named (default: all that have a PyTorch twin), and compares
# what each prints with what its PyTorch original prints (needs a virtualenv with torch at
# $TORCH_VENV, default ../venv-torch; make one with ../shared/tools/setup-torch.sh).
#   Tools/probe-lectures/run.sh            # all
#   Tools/probe-lectures/run.sh 11 17      # some
set -uo pipefail
lectures=$(cd "$(dirname "$0")" && pwd)
proj=$(pwd)
[ -f "$proj/Package.swift" ] || { echo "run this from the project's root"; exit 2; }
work=${LECTURES_WORK:-$proj/../.descent-probe}
venv=${TORCH_VENV:-$proj/../venv-torch}
export DESCENT_MNIST=${DESCENT_MNIST:-$(cd "$proj/../shared/data/mnist" && pwd)}
mkdir -p "$work/Sources"
targets=""
for f in "$lectures"/[0-9]*.swift; do
  n=$(basename "$f" .swift); t="L${n%%-*}"
  mkdir -p "$work/Sources/$t"; cp "$f" "$work/Sources/$t/main.swift"
  targets+="    .executableTarget(name: \"$t\", dependencies: [.product(name: \"Descent\", package: \"$(basename "$proj")\")], path: \"Sources/$t\"),
"
done
cat > "$work/Package.swift" <<PKG
// swift-tools-version:6.0
import PackageDescription
let package = Package(
  name: "descent-lectures",
  dependencies: [.package(path: "$proj")],
  targets: [
$targets  ],
  swiftLanguageModes: [.v5]
)
PKG
want=("$@")
[ ${#want[@]} -gt 0 ] || want=($(ls "$lectures"/pytorch/*.py | xargs -n1 basename | cut -c1-2))
status=0
for w in "${want[@]}"; do
  f=$(ls "$lectures"/"$w"-*.swift 2>/dev/null | head -1); [ -n "$f" ] || { echo "no lecture $w"; status=1; continue; }
  n=$(basename "$f" .swift); t="L$w"
  echo "=== $n"
  if ! (cd "$work" && swift build -c release --product "$t" >"$work/build-$t.log" 2>&1); then
    grep -E "error:" "$work/build-$t.log" | head -8; echo "--- does not compile"; status=1; continue
  fi
  (cd "$work" && "./.build/release/$t") >"$work/$t.swift.out" 2>&1 || { echo "--- exited with an error"; status=1; }
  py="$lectures/pytorch/$n.py"
  if [ -f "$py" ] && [ -x "$venv/bin/python" ]; then
    "$venv/bin/python" "$py" "$DESCENT_MNIST" >"$work/$t.torch.out" 2>&1
    if diff -u "$work/$t.torch.out" "$work/$t.swift.out" >"$work/$t.diff"; then echo "--- prints what PyTorch prints"
    else cat "$work/$t.diff"; echo "--- differs from PyTorch (above: - PyTorch, + Descent)"; status=1; fi
  else
    cat "$work/$t.swift.out"
  fi
done
exit $status
