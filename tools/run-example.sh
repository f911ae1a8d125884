#!/usr/bin/env bash
# The main job on the bundled example: compile Llama-3-8B-shaped decode attention
# (examples/*.mlir) to PTX + launch manifest with tesselc.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TESSEL_BUILD_DIR:-$root/build}"
out="${TESSEL_EXAMPLE_OUT:-$build/example-out}"

"$root/tools/build.sh" >/dev/null
for example in "$root"/examples/*.mlir; do
  "$build/bin/tesselc" "$example" -o "$out" --emit=ptx,manifest,header --timing
  name="$(basename "${example%.mlir}")"
  echo "compiled $example"
  echo "  PTX:      $out/$name.ptx"
  echo "  manifest: $out/$name.manifest.json"
  echo "  header:   $out/$name.h"
  grep -o '"name": "[a-z0-9_]*_attention"' "$out/$name.manifest.json" | sed 's/^/  kernel   /'
done
