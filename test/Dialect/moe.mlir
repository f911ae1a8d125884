// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// RUN: tessel-opt %s --mlir-print-op-generic | tessel-opt | FileCheck %s

// CHECK-LABEL: func.func @router_from_logits
// CHECK: %{{.*}}, %{{.*}} = tessel.router %{{.*}} {k = 2 : i64, renormalize = true, scoring = #tessel.scoring<softmax_topk>} : (tensor<?x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
func.func @router_from_logits(%logits: tensor<?x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>) {
  %ids, %w = tessel.router %logits {k = 2 : i64, scoring = #tessel.scoring<softmax_topk>, renormalize = true}
      : (tensor<?x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return %ids, %w : tensor<?x2xi32>, tensor<?x2xf32>
}

// CHECK-LABEL: func.func @router_with_gate
// CHECK: tessel.router %{{.*}} gate %{{.*}} {k = 8 : i64, scoring = #tessel.scoring<topk_softmax>}
func.func @router_with_gate(%x: tensor<4x4096xbf16>, %g: tensor<64x4096xbf16>) -> (tensor<4x8xi32>, tensor<4x8xf32>) {
  %ids, %w = tessel.router %x gate %g {k = 8 : i64, scoring = #tessel.scoring<topk_softmax>}
      : (tensor<4x4096xbf16>, tensor<64x4096xbf16>) -> (tensor<4x8xi32>, tensor<4x8xf32>)
  return %ids, %w : tensor<4x8xi32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @moe
// CHECK: tessel.moe %{{.*}}, %{{.*}}, %{{.*}}, experts(%{{.*}}, %{{.*}}) {activation = #tessel.activation<silu>}
// CHECK-SAME: (tensor<?x64xf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x256x64xf16>, tensor<8x64x128xf16>) -> tensor<?x64xf16>
func.func @moe(%x: tensor<?x64xf16>, %ids: tensor<?x2xi32>, %w: tensor<?x2xf32>,
               %gu: tensor<8x256x64xf16>, %d: tensor<8x64x128xf16>) -> tensor<?x64xf16> {
  %y = tessel.moe %x, %ids, %w, experts(%gu, %d) {activation = #tessel.activation<silu>}
      : (tensor<?x64xf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x256x64xf16>, tensor<8x64x128xf16>) -> tensor<?x64xf16>
  return %y : tensor<?x64xf16>
}
