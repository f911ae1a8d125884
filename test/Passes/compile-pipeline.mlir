// tessel-opt runs the same pipeline as tesselc, and reports bad pipeline options.
// RUN: tessel-opt %s --tessel-compile-pipeline="target=sm_80 tile=32 fixup=separate" | FileCheck %s
// RUN: not tessel-opt %s --tessel-compile-pipeline="target=sm_75" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not tessel-opt %s --tessel-compile-pipeline="tile=0" 2>&1 | FileCheck %s --check-prefix=TILE

// CHECK: tessel.launch_plan @attn {{{.*}}fixup = #tessel.fixup<separate>{{.*}}merge_kernel = @tessel_kernels::@attn_merge{{.*}}tile = 32 : i64
// CHECK: gpu.binary @tessel_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80">
// CHECK-SAME: .target sm_80
// TARGET: error: tessel-compile-pipeline: unknown target 'sm_75' (expected sm_80, sm_90 or sm_90a)
// TILE: error: tessel-compile-pipeline: tile must be a positive number of tokens, got 0

func.func @attn(%q: tensor<?x8x64xf16>, %k: tensor<?x2x?x64xf16>, %v: tensor<?x2x?x64xf16>, %l: tensor<?xi32>) -> tensor<?x8x64xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x8x64xf16>, tensor<?x2x?x64xf16>, tensor<?x2x?x64xf16>, tensor<?xi32>) -> tensor<?x8x64xf16>
  return %o : tensor<?x8x64xf16>
}
