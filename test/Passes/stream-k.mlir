// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k --split-input-file | FileCheck %s
// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k="tile=256 workers=132 fixup=separate" --split-input-file | FileCheck %s --check-prefix=OPTS
// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k=fixup=in-kernel --split-input-file | FileCheck %s --check-prefix=INK

// CHECK-LABEL: func.func @gqa
// CHECK-SAME: (%[[Q:.*]]: tensor<?x32x128xf16>, %[[K:.*]]: tensor<?x8x?x128xf16>, %[[V:.*]]: tensor<?x8x?x128xf16>, %[[L:.*]]: tensor<?xi32>)
// CHECK: %[[OFF:.*]], %[[T:.*]] = tessel.tile_space %[[L]] {kv_heads = 8 : i64, tile = 64 : i64} : tensor<?xi32> -> tensor<?xi32>
// CHECK: %[[W:.*]] = tessel.launch_workers %[[T]] {requested = 0 : i64}
// CHECK: %[[O:.*]] = tessel.stream_k_attention %[[Q]], %[[K]], %[[V]], %[[L]] tiles(%[[OFF]], %[[T]]) workers(%[[W]])
// CHECK-SAME: {fixup = #tessel.fixup<in_kernel>, scale = 0.0883883461 : f32, tile = 64 : i64}
// CHECK: return %[[O]]
// The fold is gone.
// CHECK-NOT: scf.for
// CHECK-NOT: tessel.softmax_merge
// OPTS-LABEL: func.func @gqa
// OPTS: tessel.tile_space {{.*}}tile = 256 : i64
// OPTS: tessel.launch_workers %{{.*}} {requested = 132 : i64}
// OPTS: fixup = #tessel.fixup<separate>{{.*}}tile = 256 : i64
// INK-LABEL: func.func @gqa
// INK: fixup = #tessel.fixup<in_kernel>
func.func @gqa(%q: tensor<?x32x128xf16>, %k: tensor<?x8x?x128xf16>,
               %v: tensor<?x8x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x32x128xf16> {
  %o = tessel.attention %q, %k, %v, %l
      : (tensor<?x32x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>)
      -> tensor<?x32x128xf16>
  return %o : tensor<?x32x128xf16>
}

// -----

// A static batch of 4 gets 5 tile offsets.
// CHECK-LABEL: func.func @static_batch
// CHECK: tessel.tile_space %{{.*}} {kv_heads = 2 : i64, tile = 64 : i64} : tensor<4xi32> -> tensor<5xi32>
// CHECK: tessel.stream_k_attention {{.*}} -> tensor<4x14x64xbf16>
func.func @static_batch(%q: tensor<4x14x128xbf16>, %k: tensor<4x2x1000x128xbf16>,
                        %v: tensor<4x2x1000x64xbf16>, %l: tensor<4xi32>) -> tensor<4x14x64xbf16> {
  %o = tessel.attention %q, %k, %v, %l
      : (tensor<4x14x128xbf16>, tensor<4x2x1000x128xbf16>, tensor<4x2x1000x64xbf16>, tensor<4xi32>)
      -> tensor<4x14x64xbf16>
  return %o : tensor<4x14x64xbf16>
}

// -----

// A fold that is not the one softmax-as-reduction builds (it starts at token 64) is
// left alone: regrouping it would change which tokens are attended.
// CHECK-LABEL: func.func @partial_range_fold
// CHECK: scf.for
// CHECK: tessel.softmax_finalize
// CHECK-NOT: tessel.stream_k_attention
func.func @partial_range_fold(%q: tensor<1x8x64xf16>, %k: tensor<1x8x256x64xf16>,
                              %v: tensor<1x8x256x64xf16>, %l: tensor<1xi32>) -> tensor<1x8x64xf16> {
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %m0, %s0, %o0 = tessel.softmax_identity : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8x64xf32>
  %r:3 = scf.for %t = %c64 to %c256 step %c64 iter_args(%m = %m0, %s = %s0, %o = %o0)
      -> (tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8x64xf32>) {
    %e = arith.addi %t, %c64 : index
    %pm, %ps, %po = tessel.attention_partial %q, %k, %v, %l[%t, %e) {scale = 0.125 : f32}
        : tensor<1x8x64xf16>, tensor<1x8x256x64xf16>, tensor<1x8x256x64xf16>, tensor<1xi32>
        -> tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8x64xf32>
    %nm, %ns, %no = tessel.softmax_merge (%m, %s, %o), (%pm, %ps, %po) : tensor<1x8xf32>, tensor<1x8x64xf32>
    scf.yield %nm, %ns, %no : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8x64xf32>
  }
  %out = tessel.softmax_finalize %r#1, %r#2 : tensor<1x8xf32>, tensor<1x8x64xf32> -> tensor<1x8x64xf16>
  return %out : tensor<1x8x64xf16>
}

// -----

// The merge is commutative: a fold written partial-first is recognised too.
// CHECK-LABEL: func.func @commuted_fold
// CHECK: tessel.stream_k_attention {{.*}}tile = 64 : i64
func.func @commuted_fold(%q: tensor<1x8x64xf16>, %k: tensor<1x8x256x64xf16>,
                         %v: tensor<1x8x256x64xf16>, %l: tensor<1xi32>) -> tensor<1x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %m0, %s0, %o0 = tessel.softmax_identity : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8x64xf32>
  %r:3 = scf.for %t = %c0 to %c256 step %c64 iter_args(%m = %m0, %s = %s0, %o = %o0)
      -> (tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8x64xf32>) {
    %e = arith.addi %t, %c64 : index
    %pm, %ps, %po = tessel.attention_partial %q, %k, %v, %l[%t, %e) {scale = 0.125 : f32}
        : tensor<1x8x64xf16>, tensor<1x8x256x64xf16>, tensor<1x8x256x64xf16>, tensor<1xi32>
        -> tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8x64xf32>
    %nm, %ns, %no = tessel.softmax_merge (%pm, %ps, %po), (%m, %s, %o) : tensor<1x8xf32>, tensor<1x8x64xf32>
    scf.yield %nm, %ns, %no : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8x64xf32>
  }
  %out = tessel.softmax_finalize %r#1, %r#2 : tensor<1x8xf32>, tensor<1x8x64xf32> -> tensor<1x8x64xf16>
  return %out : tensor<1x8x64xf16>
}
