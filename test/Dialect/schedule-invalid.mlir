// RUN: tessel-opt %s -split-input-file -verify-diagnostics

func.func @tile_zero(%l: tensor<?xi32>) {
  // expected-error @+1 {{attribute 'tile' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %off, %t = tessel.tile_space %l {tile = 0 : i64, kv_heads = 8 : i64} : tensor<?xi32> -> tensor<?xi32>
  return
}

// -----

func.func @kv_heads_negative(%l: tensor<?xi32>) {
  // expected-error @+1 {{attribute 'kv_heads' failed to satisfy constraint}}
  %off, %t = tessel.tile_space %l {tile = 64 : i64, kv_heads = -8 : i64} : tensor<?xi32> -> tensor<?xi32>
  return
}

// -----

func.func @offsets_size(%l: tensor<4xi32>) {
  // expected-error @+1 {{tile offsets must have B + 1 = 5 entries, got 4}}
  %off, %t = tessel.tile_space %l {tile = 64 : i64, kv_heads = 8 : i64} : tensor<4xi32> -> tensor<4xi32>
  return
}

// -----

func.func @offsets_dynamic(%l: tensor<?xi32>) {
  // expected-error @+1 {{tile offsets must be dynamic exactly when the batch is}}
  %off, %t = tessel.tile_space %l {tile = 64 : i64, kv_heads = 8 : i64} : tensor<?xi32> -> tensor<5xi32>
  return
}

// -----

func.func @workers_negative(%t: index) {
  // expected-error @+1 {{attribute 'requested' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %w = tessel.launch_workers %t {requested = -1 : i64}
  return
}

// -----

func.func @unknown_fixup(%q: tensor<1x8x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>, %off: tensor<2xi32>, %t: index) {
  // expected-error @+2 {{expected ::tessel::Fixup to be one of: in_kernel, separate}}
  // expected-error @+1 {{failed to parse Tessel_FixupAttr parameter 'value'}}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%t) {tile = 64 : i64, fixup = #tessel.fixup<eager>, scale = 1.0 : f32} : tensor<1x8x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>, tensor<2xi32> -> tensor<1x8x64xf16>
  return
}

// -----

func.func @tile_mismatch(%q: tensor<1x8x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>) {
  %off, %t = tessel.tile_space %l {tile = 32 : i64, kv_heads = 8 : i64} : tensor<1xi32> -> tensor<2xi32>
  // expected-error @+1 {{tile (64) must equal the tile of its tessel.tile_space (32)}}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%t) {tile = 64 : i64, fixup = #tessel.fixup<in_kernel>, scale = 1.0 : f32} : tensor<1x8x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>, tensor<2xi32> -> tensor<1x8x64xf16>
  return
}

// -----

func.func @kv_heads_mismatch(%q: tensor<1x8x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>) {
  %off, %t = tessel.tile_space %l {tile = 64 : i64, kv_heads = 4 : i64} : tensor<1xi32> -> tensor<2xi32>
  // expected-error @+1 {{tessel.tile_space counts 4 KV heads but the key cache has 8}}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%t) {tile = 64 : i64, fixup = #tessel.fixup<in_kernel>, scale = 1.0 : f32} : tensor<1x8x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>, tensor<2xi32> -> tensor<1x8x64xf16>
  return
}

// -----

func.func @stream_k_offsets(%q: tensor<2x8x64xf16>, %k: tensor<2x8x16x64xf16>, %v: tensor<2x8x16x64xf16>, %l: tensor<2xi32>, %off: tensor<2xi32>, %t: index) {
  // expected-error @+1 {{tile offsets must have B + 1 = 3 entries, got 2}}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%t) {tile = 64 : i64, fixup = #tessel.fixup<in_kernel>, scale = 1.0 : f32} : tensor<2x8x64xf16>, tensor<2x8x16x64xf16>, tensor<2x8x16x64xf16>, tensor<2xi32>, tensor<2xi32> -> tensor<2x8x64xf16>
  return
}

// -----

func.func @stream_k_operands(%q: tensor<1x8x64xf16>, %k: tensor<1x8x16x32xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>, %off: tensor<2xi32>, %t: index) {
  // expected-error @+1 {{key cache head dim (32) must equal query head dim (64)}}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%t) {tile = 64 : i64, fixup = #tessel.fixup<in_kernel>, scale = 1.0 : f32} : tensor<1x8x64xf16>, tensor<1x8x16x32xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>, tensor<2xi32> -> tensor<1x8x64xf16>
  return
}

// -----

func.func @stream_k_result(%q: tensor<1x8x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>, %off: tensor<2xi32>, %t: index) {
  // expected-error @+1 {{result element type 'bf16' must match query element type 'f16'}}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%t) {tile = 64 : i64, fixup = #tessel.fixup<in_kernel>, scale = 1.0 : f32} : tensor<1x8x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>, tensor<2xi32> -> tensor<1x8x64xbf16>
  return
}
