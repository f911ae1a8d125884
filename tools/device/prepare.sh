#!/usr/bin/env bash
# Here (the build machine, with LLVM/MLIR): build everything, compile the device-test and
# benchmark models to PTX with tesselc, and stage what the GPU machine needs in
# .device-carry/ (ignored by git; pass it as `carry`). The GPU machine has CUDA but no
# LLVM/MLIR, so PTX and the binaries are made here; they run there unchanged.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${TESSEL_BUILD_DIR:-$root/build}"
carry="$root/.device-carry"

"$root/tools/build.sh"
rm -rf "$carry"
mkdir -p "$carry/bin" "$carry/artifacts" "$carry/bench"
for target in sm_90 sm_80; do
  for fixup in in-kernel separate; do
    out="$carry/artifacts/${target}_${fixup}"
    "$build/bin/tesselc" "$root/test/device/models.mlir" -o "$out" --name models \
      --target "$target" --fixup "$fixup"
  done
done
# More workers than can be resident at once (2048 vs 264-528): the in-kernel fix-up
# must not depend on co-residency (the last worker to arrive merges; nobody waits).
"$build/bin/tesselc" "$root/test/device/models.mlir" -o "$carry/artifacts/sm_90_in-kernel-2048-workers" \
  --name models --target sm_90 --fixup in-kernel --workers 2048
# The separate fix-up with the same workers: its output must equal the in-kernel one bit
# for bit (FixupStrategies.InKernelAndSeparateAgreeBitwise).
"$build/bin/tesselc" "$root/test/device/models.mlir" -o "$carry/artifacts/sm_90_separate-2048-workers" \
  --name models --target sm_90 --fixup separate --workers 2048
# A --trace-phases build: the same outputs, plus one phase record per CTA
# (PhaseTrace.RecordsEveryCtaWithoutChangingTheOutput).
"$build/bin/tesselc" "$root/test/device/models.mlir" -o "$carry/artifacts/sm_90_in-kernel-trace" \
  --name models --target sm_90 --fixup in-kernel --trace-phases
"$build/bin/tesselc" "$root/bench/models.mlir" -o "$carry/bench" --name models --fixup in-kernel
# The benchmark models with the phase trace: tessel-bench --artifact .device-carry/bench-trace --trace
"$build/bin/tesselc" "$root/bench/models.mlir" -o "$carry/bench-trace" --name models \
  --fixup in-kernel --trace-phases
cp "$build/test/device/tessel-device-tests" "$build/bin/tessel-bench" "$carry/bin/"
du -sh "$carry"
