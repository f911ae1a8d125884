// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// RUN: tessel-opt %s --mlir-print-op-generic | tessel-opt | FileCheck %s

// CHECK-LABEL: func.func @stream_k
// CHECK: %[[OFF:.*]], %[[T:.*]] = tessel.tile_space %{{.*}} {kv_heads = 8 : i64, tile = 128 : i64} : tensor<?xi32> -> tensor<?xi32>
// CHECK: %[[W:.*]] = tessel.launch_workers %[[T]] {requested = 0 : i64}
// CHECK: tessel.stream_k_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} tiles(%[[OFF]], %[[T]]) workers(%[[W]])
// CHECK-SAME: fixup = #tessel.fixup<in_kernel>
// CHECK-SAME: tile = 128 : i64
func.func @stream_k(%q: tensor<?x32x128xf16>, %k: tensor<?x8x?x128xf16>,
                    %v: tensor<?x8x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x32x128xf16> {
  %off, %t = tessel.tile_space %l {tile = 128 : i64, kv_heads = 8 : i64} : tensor<?xi32> -> tensor<?xi32>
  %w = tessel.launch_workers %t {requested = 0 : i64}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%w)
      {tile = 128 : i64, fixup = #tessel.fixup<in_kernel>, scale = 0.0883883461 : f32}
      : tensor<?x32x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>, tensor<?xi32>
      -> tensor<?x32x128xf16>
  return %o : tensor<?x32x128xf16>
}

// Static batch: B + 1 offsets; explicit worker count; separate fix-up.
// CHECK-LABEL: func.func @static_separate
// CHECK: tessel.tile_space {{.*}} : tensor<4xi32> -> tensor<5xi32>
// CHECK: tessel.launch_workers %{{.*}} {requested = 264 : i64}
// CHECK: fixup = #tessel.fixup<separate>
func.func @static_separate(%q: tensor<4x8x64xbf16>, %k: tensor<4x8x1024x64xbf16>,
                           %v: tensor<4x8x1024x64xbf16>, %l: tensor<4xi32>) -> tensor<4x8x64xbf16> {
  %off, %t = tessel.tile_space %l {tile = 64 : i64, kv_heads = 8 : i64} : tensor<4xi32> -> tensor<5xi32>
  %w = tessel.launch_workers %t {requested = 264 : i64}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%w)
      {tile = 64 : i64, fixup = #tessel.fixup<separate>, scale = 0.125 : f32}
      : tensor<4x8x64xbf16>, tensor<4x8x1024x64xbf16>, tensor<4x8x1024x64xbf16>, tensor<4xi32>, tensor<5xi32>
      -> tensor<4x8x64xbf16>
  return %o : tensor<4x8x64xbf16>
}
