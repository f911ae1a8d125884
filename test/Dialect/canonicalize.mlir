// RUN: tessel-opt %s --canonicalize --split-input-file | FileCheck %s

// Merging with the identity state returns the other state, on either side.
// CHECK-LABEL: func.func @merge_identity
// CHECK-SAME: (%[[M:.*]]: tensor<4x8xf32>, %[[L:.*]]: tensor<4x8xf32>, %[[O:.*]]: tensor<4x8x64xf32>)
// CHECK-NOT: tessel.softmax_merge
// CHECK-NOT: tessel.softmax_identity
// CHECK: return %[[M]], %[[L]], %[[O]], %[[M]], %[[L]], %[[O]]
func.func @merge_identity(%m: tensor<4x8xf32>, %l: tensor<4x8xf32>, %o: tensor<4x8x64xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>) {
  %im, %il, %io = tessel.softmax_identity : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>
  %a:3 = tessel.softmax_merge (%im, %il, %io), (%m, %l, %o) : tensor<4x8xf32>, tensor<4x8x64xf32>
  %b:3 = tessel.softmax_merge (%m, %l, %o), (%im, %il, %io) : tensor<4x8xf32>, tensor<4x8x64xf32>
  return %a#0, %a#1, %a#2, %b#0, %b#1, %b#2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>
}

// -----

// A triple mixing results of different ops is not the identity: no fold.
// CHECK-LABEL: func.func @merge_not_identity
// CHECK: tessel.softmax_merge
func.func @merge_not_identity(%m: tensor<4x8xf32>, %l: tensor<4x8xf32>, %o: tensor<4x8x64xf32>) -> tensor<4x8x64xf32> {
  %im, %il, %io = tessel.softmax_identity : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>
  %a:3 = tessel.softmax_merge (%m, %il, %io), (%m, %l, %o) : tensor<4x8xf32>, tensor<4x8x64xf32>
  return %a#2 : tensor<4x8x64xf32>
}

// -----

// Unused pure ops disappear.
// CHECK-LABEL: func.func @dead_attention
// CHECK-NOT: tessel.attention
func.func @dead_attention(%q: tensor<1x8x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>) {
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x8x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>) -> tensor<1x8x64xf16>
  return
}
