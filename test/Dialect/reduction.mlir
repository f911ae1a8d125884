// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// RUN: tessel-opt %s --mlir-print-op-generic | tessel-opt | FileCheck %s

// CHECK-LABEL: func.func @fold_one_tile
// CHECK: %[[B:.*]] = tensor.dim
// CHECK: %[[M0:.*]], %[[L0:.*]], %[[O0:.*]] = tessel.softmax_identity %[[B]] : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32x128xf32>
// CHECK: %[[M1:.*]], %[[L1:.*]], %[[O1:.*]] = tessel.attention_partial %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}) {scale = 1.250000e-01 : f32}
// CHECK-SAME: -> tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32x128xf32>
// CHECK: %[[M2:.*]], %[[L2:.*]], %[[O2:.*]] = tessel.softmax_merge(%[[M0]], %[[L0]], %[[O0]]), (%[[M1]], %[[L1]], %[[O1]]) : tensor<?x32xf32>, tensor<?x32x128xf32>
// CHECK: %[[R:.*]] = tessel.softmax_finalize %[[L2]], %[[O2]] : tensor<?x32xf32>, tensor<?x32x128xf32> -> tensor<?x32x128xf16>
// CHECK: return %[[R]]
func.func @fold_one_tile(%q: tensor<?x32x128xf16>, %k: tensor<?x8x?x128xf16>,
                         %v: tensor<?x8x?x128xf16>, %l: tensor<?xi32>,
                         %begin: index, %end: index) -> tensor<?x32x128xf16> {
  %c0 = arith.constant 0 : index
  %b = tensor.dim %q, %c0 : tensor<?x32x128xf16>
  %m0, %l0, %o0 = tessel.softmax_identity %b : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32x128xf32>
  %m1, %l1, %o1 = tessel.attention_partial %q, %k, %v, %l[%begin, %end) {scale = 0.125 : f32}
      : tensor<?x32x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>
      -> tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32x128xf32>
  %m2, %l2, %o2 = tessel.softmax_merge (%m0, %l0, %o0), (%m1, %l1, %o1) : tensor<?x32xf32>, tensor<?x32x128xf32>
  %r = tessel.softmax_finalize %l2, %o2 : tensor<?x32xf32>, tensor<?x32x128xf32> -> tensor<?x32x128xf16>
  return %r : tensor<?x32x128xf16>
}

// A static batch takes no size operand.
// CHECK-LABEL: func.func @static_identity
// CHECK: tessel.softmax_identity : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>
func.func @static_identity() -> tensor<4x8x64xf32> {
  %m, %l, %o = tessel.softmax_identity : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>
  return %o : tensor<4x8x64xf32>
}
