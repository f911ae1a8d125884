// Invalid pass options are diagnosed with the pass name, the value and exit code 1.
// RUN: not tessel-opt %s --tessel-stream-k=tile=0 2>&1 | FileCheck %s --check-prefix=TILE0
// RUN: not tessel-opt %s --tessel-stream-k=tile=-7 2>&1 | FileCheck %s --check-prefix=TILENEG
// RUN: not tessel-opt %s --tessel-stream-k=workers=-1 2>&1 | FileCheck %s --check-prefix=WORKERS
// RUN: not tessel-opt %s --tessel-stream-k=fixup=eager 2>&1 | FileCheck %s --check-prefix=FIXUP
// RUN: not tessel-opt %s --tessel-softmax-as-reduction=tile=0 2>&1 | FileCheck %s --check-prefix=SAR
// RUN: not tessel-opt %s --tessel-stream-k=tiles=64 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not tessel-opt %s --tessel-stream-k=tile=abc 2>&1 | FileCheck %s --check-prefix=NOTINT
// RUN: not tessel-opt %s --tessel-compile-pipeline=kv-ring-stages=9 2>&1 | FileCheck %s --check-prefix=PIPERING
// RUN: not tessel-opt %s --tessel-softmax-as-reduction=tune-for=h100,a100 2>&1 | FileCheck %s --check-prefix=SARDEV
// RUN: not tessel-opt %s --tessel-compile-pipeline=tune-for=h200, 2>&1 | FileCheck %s --check-prefix=PIPEDEV

// TILE0: pass-options-invalid.mlir:{{[0-9]+}}:{{[0-9]+}}: error: tessel-stream-k: tile must be a positive number of tokens (or -1 to keep the fold's tile), got 0
// TILENEG: error: tessel-stream-k: tile must be a positive number of tokens (or -1 to keep the fold's tile), got -7
// WORKERS: error: tessel-stream-k: workers must be >= 0 (0 = decided at load), got -1
// FIXUP: error: tessel-stream-k: unknown fix-up strategy 'eager' (expected in-kernel, separate or auto)
// SAR: error: tessel-softmax-as-reduction: tile must be a positive number of tokens (or -1 for the cost model's choice), got 0
// UNKNOWN: no such option tiles
// NOTINT: for the --tile option: 'abc' value invalid
// SARDEV: pass-options-invalid.mlir:{{[0-9]+}}:{{[0-9]+}}: error: tessel-softmax-as-reduction: tune-for: unknown device 'a100' in 'h100,a100' (known: h100,h200)
// PIPEDEV: error: tessel-compile-pipeline: tune-for: unknown device '' in 'h200,' (known: h100,h200)
// PIPERING: error: tessel-compile-pipeline: kv-ring-stages must be -1 (by target), 0 (registers) or 2..4, got 9

func.func @f(%q: tensor<1x8x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>) -> tensor<1x8x64xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x8x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>) -> tensor<1x8x64xf16>
  return %o : tensor<1x8x64xf16>
}
