// RUN: tessel-opt %s --tessel-lower-to-gpu --split-input-file -verify-diagnostics
// RUN: not tessel-opt %s --tessel-lower-to-gpu=kv-ring-stages=1 --split-input-file 2>&1 | FileCheck %s --check-prefix=RING1
// RUN: not tessel-opt %s --tessel-lower-to-gpu=kv-ring-stages=5 --split-input-file 2>&1 | FileCheck %s --check-prefix=RING5
// One stage could not copy while the warps compute; more than 4 is refused too.
// RING1: error: tessel-lower-to-gpu: kv-ring-stages must be 0 (registers) or 2..4, got 1
// RING5: error: tessel-lower-to-gpu: kv-ring-stages must be 0 (registers) or 2..4, got 5

func.func @unscheduled(%q: tensor<1x8x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>) -> tensor<1x8x64xf16> {
  // expected-error @+1 {{tessel-lower-to-gpu: 'tessel.attention' is not scheduled; run tessel-softmax-as-reduction and tessel-stream-k first}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x8x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>) -> tensor<1x8x64xf16>
  return %o : tensor<1x8x64xf16>
}

// -----

func.func @not_lowered_yet(%x: tensor<4x64xf16>, %w: tensor<32x64xf16>) -> tensor<4x32xf16> {
  // expected-error @+1 {{tessel-lower-to-gpu: 'tessel.linear' has no GPU lowering yet}}
  %y = tessel.linear %x, %w : (tensor<4x64xf16>, tensor<32x64xf16>) -> tensor<4x32xf16>
  return %y : tensor<4x32xf16>
}

// -----

func.func @extra_result(%q: tensor<1x8x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>) -> (tensor<1x8x64xf16>, index) {
  %off, %t = tessel.tile_space %l {tile = 16 : i64, kv_heads = 8 : i64} : tensor<1xi32> -> tensor<2xi32>
  %w = tessel.launch_workers %t {requested = 0 : i64}
  // expected-error @+1 {{tessel-lower-to-gpu: cannot lower @extra_result: the function must return the attention result and nothing else}}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%w) {tile = 16 : i64, fixup = #tessel.fixup<in_kernel>, scale = 0.125 : f32} : tensor<1x8x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>, tensor<2xi32> -> tensor<1x8x64xf16>
  return %o, %t : tensor<1x8x64xf16>, index
}

// -----

func.func @computed_operand(%q: tensor<1x8x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>) -> tensor<1x8x64xf16> {
  %off, %t = tessel.tile_space %l {tile = 16 : i64, kv_heads = 8 : i64} : tensor<1xi32> -> tensor<2xi32>
  %w = tessel.launch_workers %t {requested = 0 : i64}
  %q2 = tensor.empty() : tensor<1x8x64xf16>
  // expected-error @+1 {{the attention operands must be function arguments}}
  %o = tessel.stream_k_attention %q2, %k, %v, %l tiles(%off, %t) workers(%w) {tile = 16 : i64, fixup = #tessel.fixup<in_kernel>, scale = 0.125 : f32} : tensor<1x8x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>, tensor<2xi32> -> tensor<1x8x64xf16>
  return %o : tensor<1x8x64xf16>
}

// -----

func.func @odd_head_dim(%q: tensor<1x8x36xf16>, %k: tensor<1x8x16x36xf16>, %v: tensor<1x8x16x36xf16>, %l: tensor<1xi32>) -> tensor<1x8x36xf16> {
  %off, %t = tessel.tile_space %l {tile = 16 : i64, kv_heads = 8 : i64} : tensor<1xi32> -> tensor<2xi32>
  %w = tessel.launch_workers %t {requested = 0 : i64}
  // expected-error @+1 {{tessel-lower-to-gpu: unsupported attention shape: head dims must be multiples of 8 elements (16-byte rows)}}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%w) {tile = 16 : i64, fixup = #tessel.fixup<in_kernel>, scale = 0.125 : f32} : tensor<1x8x36xf16>, tensor<1x8x16x36xf16>, tensor<1x8x16x36xf16>, tensor<1xi32>, tensor<2xi32> -> tensor<1x8x36xf16>
  return %o : tensor<1x8x36xf16>
}

// -----

func.func @huge_group(%q: tensor<1x64x512xf16>, %k: tensor<1x1x16x512xf16>, %v: tensor<1x1x16x512xf16>, %l: tensor<1xi32>) -> tensor<1x64x512xf16> {
  %off, %t = tessel.tile_space %l {tile = 16 : i64, kv_heads = 1 : i64} : tensor<1xi32> -> tensor<2xi32>
  %w = tessel.launch_workers %t {requested = 0 : i64}
  // expected-error @+1 {{tessel-lower-to-gpu: unsupported attention shape: a GQA group of 64 with head dims 512/512 needs more than 128 registers per lane for q and the accumulators}}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%w) {tile = 16 : i64, fixup = #tessel.fixup<in_kernel>, scale = 0.125 : f32} : tensor<1x64x512xf16>, tensor<1x1x16x512xf16>, tensor<1x1x16x512xf16>, tensor<1xi32>, tensor<2xi32> -> tensor<1x64x512xf16>
  return %o : tensor<1x64x512xf16>
}

// -----

// A group of 16 f16 heads: beyond the tensor-core layout (at most 8 heads in the mma's N
// columns) and, at head dim 64, beyond the CUDA-core layout's register budget.
func.func @group16_f16(%q: tensor<1x16x64xf16>, %k: tensor<1x1x16x64xf16>, %v: tensor<1x1x16x64xf16>, %l: tensor<1xi32>) -> tensor<1x16x64xf16> {
  %off, %t = tessel.tile_space %l {tile = 16 : i64, kv_heads = 1 : i64} : tensor<1xi32> -> tensor<2xi32>
  %w = tessel.launch_workers %t {requested = 0 : i64}
  // expected-error @+1 {{tessel-lower-to-gpu: unsupported attention shape: a GQA group of 16 with head dims 64/64 needs more than 128 registers per lane for q and the accumulators}}
  %o = tessel.stream_k_attention %q, %k, %v, %l tiles(%off, %t) workers(%w) {tile = 16 : i64, fixup = #tessel.fixup<in_kernel>, scale = 0.125 : f32} : tensor<1x16x64xf16>, tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>, tensor<1xi32>, tensor<2xi32> -> tensor<1x16x64xf16>
  return %o : tensor<1x16x64xf16>
}
