// RUN: tessel-opt %s -split-input-file -verify-diagnostics

func.func @lora_rank(%x: tensor<2x64xf16>, %w: tensor<32x64xf16>, %a: tensor<8x64xf16>, %b: tensor<32x4xf16>) {
  // expected-error @+1 {{'tessel.lora' op lora_b rank (4) must equal lora_a rank (8)}}
  %y = tessel.lora %x, %w, adapter(%a, %b) : (tensor<2x64xf16>, tensor<32x64xf16>, tensor<8x64xf16>, tensor<32x4xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @lora_a_in(%x: tensor<2x64xf16>, %w: tensor<32x64xf16>, %a: tensor<8x32xf16>, %b: tensor<32x8xf16>) {
  // expected-error @+1 {{lora_a input dim (32) must equal weight input dim (64)}}
  %y = tessel.lora %x, %w, adapter(%a, %b) : (tensor<2x64xf16>, tensor<32x64xf16>, tensor<8x32xf16>, tensor<32x8xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @lora_b_out(%x: tensor<2x64xf16>, %w: tensor<32x64xf16>, %a: tensor<8x64xf16>, %b: tensor<16x8xf16>) {
  // expected-error @+1 {{lora_b output dim (16) must equal weight output dim (32)}}
  %y = tessel.lora %x, %w, adapter(%a, %b) : (tensor<2x64xf16>, tensor<32x64xf16>, tensor<8x64xf16>, tensor<16x8xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @lora_x(%x: tensor<2x48xf16>, %w: tensor<32x64xf16>, %a: tensor<8x64xf16>, %b: tensor<32x8xf16>) {
  // expected-error @+1 {{input feature dim (48) must equal weight input dim (64)}}
  %y = tessel.lora %x, %w, adapter(%a, %b) : (tensor<2x48xf16>, tensor<32x64xf16>, tensor<8x64xf16>, tensor<32x8xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @lora_types(%x: tensor<2x64xf16>, %w: tensor<32x64xf16>, %a: tensor<8x64xf32>, %b: tensor<32x8xf16>) {
  // expected-error @+1 {{lora_a element type 'f32' must match input element type 'f16'}}
  %y = tessel.lora %x, %w, adapter(%a, %b) : (tensor<2x64xf16>, tensor<32x64xf16>, tensor<8x64xf32>, tensor<32x8xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @lora_dynamic_rank(%x: tensor<2x64xf16>, %w: tensor<32x64xf16>, %a: tensor<?x64xf16>, %b: tensor<32x?xf16>) {
  // expected-error @+1 {{rank r must be static}}
  %y = tessel.lora %x, %w, adapter(%a, %b) : (tensor<2x64xf16>, tensor<32x64xf16>, tensor<?x64xf16>, tensor<32x?xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @lora_matrix(%x: tensor<2x64xf16>, %w: tensor<32x64xf16>, %a: tensor<64xf16>, %b: tensor<32x8xf16>) {
  // expected-error @+1 {{lora_a must have rank 2 ([r, in])}}
  %y = tessel.lora %x, %w, adapter(%a, %b) : (tensor<2x64xf16>, tensor<32x64xf16>, tensor<64xf16>, tensor<32x8xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @block_lora_divisible(%x: tensor<2x64xf16>, %w: tensor<32x64xf16>, %a: tensor<8x21xf16>, %b: tensor<32x8xf16>) {
  // expected-error @+1 {{input features (64) must be divisible by blocks (3)}}
  %y = tessel.block_lora %x, %w, adapter(%a, %b) {blocks = 3 : i64} : (tensor<2x64xf16>, tensor<32x64xf16>, tensor<8x21xf16>, tensor<32x8xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @block_lora_a(%x: tensor<2x64xf16>, %w: tensor<32x64xf16>, %a: tensor<8x64xf16>, %b: tensor<32x8xf16>) {
  // expected-error @+1 {{lora_a input dim (64) must equal input features / blocks (16)}}
  %y = tessel.block_lora %x, %w, adapter(%a, %b) {blocks = 4 : i64} : (tensor<2x64xf16>, tensor<32x64xf16>, tensor<8x64xf16>, tensor<32x8xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @block_lora_blocks(%x: tensor<2x64xf16>, %w: tensor<32x64xf16>, %a: tensor<8x64xf16>, %b: tensor<32x8xf16>) {
  // expected-error @+1 {{attribute 'blocks' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %y = tessel.block_lora %x, %w, adapter(%a, %b) {blocks = 0 : i64} : (tensor<2x64xf16>, tensor<32x64xf16>, tensor<8x64xf16>, tensor<32x8xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @block_lora_dynamic(%x: tensor<2x?xf16>, %w: tensor<32x?xf16>, %a: tensor<8x16xf16>, %b: tensor<32x8xf16>) {
  // expected-error @+1 {{block_lora needs a static input feature dim}}
  %y = tessel.block_lora %x, %w, adapter(%a, %b) {blocks = 4 : i64} : (tensor<2x?xf16>, tensor<32x?xf16>, tensor<8x16xf16>, tensor<32x8xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @low_rank_r(%x: tensor<2x64xf16>, %v: tensor<8x64xf16>, %u: tensor<32x4xf16>) {
  // expected-error @+1 {{u rank (4) must equal v rank (8)}}
  %y = tessel.low_rank %x, %v, %u : (tensor<2x64xf16>, tensor<8x64xf16>, tensor<32x4xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @low_rank_in(%x: tensor<2x64xf16>, %v: tensor<8x32xf16>, %u: tensor<32x8xf16>) {
  // expected-error @+1 {{input feature dim (64) must equal weight input dim (32)}}
  %y = tessel.low_rank %x, %v, %u : (tensor<2x64xf16>, tensor<8x32xf16>, tensor<32x8xf16>) -> tensor<2x32xf16>
  return
}

// -----

func.func @low_rank_out(%x: tensor<2x64xf16>, %v: tensor<8x64xf16>, %u: tensor<32x8xf16>) {
  // expected-error @+1 {{result feature dim (16) must equal weight output dim (32)}}
  %y = tessel.low_rank %x, %v, %u : (tensor<2x64xf16>, tensor<8x64xf16>, tensor<32x8xf16>) -> tensor<2x16xf16>
  return
}

// -----

func.func @low_rank_types(%x: tensor<2x64xf16>, %v: tensor<8x64xbf16>, %u: tensor<32x8xf16>) {
  // expected-error @+1 {{v element type 'bf16' must match input element type 'f16'}}
  %y = tessel.low_rank %x, %v, %u : (tensor<2x64xf16>, tensor<8x64xbf16>, tensor<32x8xf16>) -> tensor<2x32xf16>
  return
}
