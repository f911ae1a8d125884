#!/usr/bin/env bash
# The main job on the bundled example: Llama-3-8B-shaped decode attention through
# Tessel's attention pipeline, printing the IR after each pass.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TESSEL_BUILD_DIR:-$root/build}"

"$root/tools/build.sh" >/dev/null
for example in "$root"/examples/*.mlir; do
  echo "== $example"
  "$build/bin/tessel-opt" "$example" \
    --tessel-softmax-as-reduction --tessel-stream-k --mlir-print-ir-after-all
done
