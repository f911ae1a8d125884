// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// RUN: tessel-opt %s --mlir-print-op-generic | tessel-opt | FileCheck %s

// CHECK-LABEL: func.func @lora
// CHECK: tessel.lora %{{.*}}, %{{.*}}, adapter(%{{.*}}, %{{.*}}) {scale = 2.000000e+00 : f32} : (tensor<?x4096xf16>, tensor<1024x4096xf16>, tensor<16x4096xf16>, tensor<1024x16xf16>) -> tensor<?x1024xf16>
func.func @lora(%x: tensor<?x4096xf16>, %w: tensor<1024x4096xf16>, %a: tensor<16x4096xf16>,
                %b: tensor<1024x16xf16>) -> tensor<?x1024xf16> {
  %y = tessel.lora %x, %w, adapter(%a, %b) {scale = 2.0 : f32}
      : (tensor<?x4096xf16>, tensor<1024x4096xf16>, tensor<16x4096xf16>, tensor<1024x16xf16>) -> tensor<?x1024xf16>
  return %y : tensor<?x1024xf16>
}

// CHECK-LABEL: func.func @block_lora
// CHECK: tessel.block_lora %{{.*}}, %{{.*}}, adapter(%{{.*}}, %{{.*}}) {blocks = 4 : i64} : (tensor<2x512xbf16>, tensor<256x512xbf16>, tensor<8x128xbf16>, tensor<256x8xbf16>) -> tensor<2x256xbf16>
func.func @block_lora(%x: tensor<2x512xbf16>, %w: tensor<256x512xbf16>, %a0: tensor<8x128xbf16>,
                      %b: tensor<256x8xbf16>) -> tensor<2x256xbf16> {
  %y = tessel.block_lora %x, %w, adapter(%a0, %b) {blocks = 4 : i64}
      : (tensor<2x512xbf16>, tensor<256x512xbf16>, tensor<8x128xbf16>, tensor<256x8xbf16>) -> tensor<2x256xbf16>
  return %y : tensor<2x256xbf16>
}

// CHECK-LABEL: func.func @low_rank
// CHECK: tessel.low_rank %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4096xf16>, tensor<256x4096xf16>, tensor<11008x256xf16>) -> tensor<?x11008xf16>
func.func @low_rank(%x: tensor<?x4096xf16>, %v: tensor<256x4096xf16>, %u: tensor<11008x256xf16>) -> tensor<?x11008xf16> {
  %y = tessel.low_rank %x, %v, %u : (tensor<?x4096xf16>, tensor<256x4096xf16>, tensor<11008x256xf16>) -> tensor<?x11008xf16>
  return %y : tensor<?x11008xf16>
}
