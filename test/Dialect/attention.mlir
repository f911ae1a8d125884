// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// RUN: tessel-opt %s --mlir-print-op-generic | tessel-opt | FileCheck %s

// CHECK-LABEL: func.func @gqa_dynamic
// CHECK-SAME: (%[[Q:.*]]: tensor<?x32x128xf16>, %[[K:.*]]: tensor<?x8x?x128xf16>, %[[V:.*]]: tensor<?x8x?x128xf16>, %[[L:.*]]: tensor<?xi32>)
// CHECK: %[[O:.*]] = tessel.attention %[[Q]], %[[K]], %[[V]], %[[L]] {scale = 1.250000e-01 : f32}
// CHECK-SAME: : (tensor<?x32x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>) -> tensor<?x32x128xf16>
// CHECK: return %[[O]]
func.func @gqa_dynamic(%q: tensor<?x32x128xf16>, %k: tensor<?x8x?x128xf16>,
                       %v: tensor<?x8x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x32x128xf16> {
  %o = tessel.attention %q, %k, %v, %l {scale = 0.125 : f32}
      : (tensor<?x32x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>)
      -> tensor<?x32x128xf16>
  return %o : tensor<?x32x128xf16>
}

// MHA, static shapes, bf16, default scale (no attribute printed).
// CHECK-LABEL: func.func @mha_static_bf16
// CHECK: tessel.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x16x64xbf16>
// CHECK-NOT: scale
// CHECK: return
func.func @mha_static_bf16(%q: tensor<4x16x64xbf16>, %k: tensor<4x16x512x64xbf16>,
                           %v: tensor<4x16x512x64xbf16>, %l: tensor<4xi32>) -> tensor<4x16x64xbf16> {
  %o = tessel.attention %q, %k, %v, %l
      : (tensor<4x16x64xbf16>, tensor<4x16x512x64xbf16>, tensor<4x16x512x64xbf16>, tensor<4xi32>)
      -> tensor<4x16x64xbf16>
  return %o : tensor<4x16x64xbf16>
}

// MQA with Dqk != Dv (compressed value heads), f32 for testing.
// CHECK-LABEL: func.func @mqa_dqk_ne_dv
// CHECK: tessel.attention {{.*}} -> tensor<1x7x64xf32>
func.func @mqa_dqk_ne_dv(%q: tensor<1x7x192xf32>, %k: tensor<1x1x?x192xf32>,
                         %v: tensor<1x1x?x64xf32>, %l: tensor<1xi32>) -> tensor<1x7x64xf32> {
  %o = tessel.attention %q, %k, %v, %l
      : (tensor<1x7x192xf32>, tensor<1x1x?x192xf32>, tensor<1x1x?x64xf32>, tensor<1xi32>)
      -> tensor<1x7x64xf32>
  return %o : tensor<1x7x64xf32>
}
