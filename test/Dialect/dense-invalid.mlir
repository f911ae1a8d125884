// RUN: tessel-opt %s -split-input-file -verify-diagnostics

func.func @linear_k(%x: tensor<4x64xf16>, %w: tensor<32x63xf16>) {
  // expected-error @+1 {{'tessel.linear' op input feature dim (64) must equal weight input dim (63)}}
  %y = tessel.linear %x, %w : (tensor<4x64xf16>, tensor<32x63xf16>) -> tensor<4x32xf16>
  return
}

// -----

func.func @linear_n(%x: tensor<4x64xf16>, %w: tensor<32x64xf16>) {
  // expected-error @+1 {{result feature dim (16) must equal weight output dim (32)}}
  %y = tessel.linear %x, %w : (tensor<4x64xf16>, tensor<32x64xf16>) -> tensor<4x16xf16>
  return
}

// -----

func.func @linear_batch(%x: tensor<4x64xf16>, %w: tensor<32x64xf16>) {
  // expected-error @+1 {{input dim 0 (4) must equal result dim 0 (5)}}
  %y = tessel.linear %x, %w : (tensor<4x64xf16>, tensor<32x64xf16>) -> tensor<5x32xf16>
  return
}

// -----

func.func @linear_rank(%x: tensor<4x64xf16>, %w: tensor<32x64xf16>) {
  // expected-error @+1 {{result rank 3 must equal input rank 2}}
  %y = tessel.linear %x, %w : (tensor<4x64xf16>, tensor<32x64xf16>) -> tensor<1x4x32xf16>
  return
}

// -----

func.func @linear_scalar(%x: tensor<f16>, %w: tensor<32x64xf16>) {
  // expected-error @+1 {{input must have rank >= 1 ([..., in])}}
  %y = tessel.linear %x, %w : (tensor<f16>, tensor<32x64xf16>) -> tensor<f16>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<4x64xf16>, %w: tensor<64xf16>) {
  // expected-error @+1 {{weight must have rank 2 ([N, K])}}
  %y = tessel.linear %x, %w : (tensor<4x64xf16>, tensor<64xf16>) -> tensor<4x32xf16>
  return
}

// -----

func.func @linear_types(%x: tensor<4x64xf16>, %w: tensor<32x64xbf16>) {
  // expected-error @+1 {{weight element type 'bf16' must match input element type 'f16'}}
  %y = tessel.linear %x, %w : (tensor<4x64xf16>, tensor<32x64xbf16>) -> tensor<4x32xf16>
  return
}

// -----

func.func @linear_bias(%x: tensor<4x64xf16>, %w: tensor<32x64xf16>, %b: tensor<31xf16>) {
  // expected-error @+1 {{bias size (31) must equal weight output dim (32)}}
  %y = tessel.linear %x, %w bias %b : (tensor<4x64xf16>, tensor<32x64xf16>, tensor<31xf16>) -> tensor<4x32xf16>
  return
}

// -----

func.func @linear_bias_rank(%x: tensor<4x64xf16>, %w: tensor<32x64xf16>, %b: tensor<1x32xf16>) {
  // expected-error @+1 {{bias must have rank 1 ([N])}}
  %y = tessel.linear %x, %w bias %b : (tensor<4x64xf16>, tensor<32x64xf16>, tensor<1x32xf16>) -> tensor<4x32xf16>
  return
}

// -----

func.func @mlp_fused_odd(%x: tensor<4x64xf16>, %gu: tensor<255x64xf16>, %d: tensor<64x128xf16>) {
  // expected-error @+1 {{fused gate/up weight must have an even number of rows ([2I, H]), got 255}}
  %y = tessel.mlp %x, gate %gu, down %d {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<255x64xf16>, tensor<64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @mlp_down(%x: tensor<4x64xf16>, %gu: tensor<256x64xf16>, %d: tensor<64x256xf16>) {
  // expected-error @+1 {{down input dim (256) must equal intermediate size (128)}}
  %y = tessel.mlp %x, gate %gu, down %d {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @mlp_down_out(%x: tensor<4x64xf16>, %gu: tensor<256x64xf16>, %d: tensor<32x128xf16>) {
  // expected-error @+1 {{down output dim (32) must equal input hidden size (64)}}
  %y = tessel.mlp %x, gate %gu, down %d {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<256x64xf16>, tensor<32x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @mlp_up(%x: tensor<4x64xf16>, %g: tensor<128x64xf16>, %u: tensor<64x64xf16>, %d: tensor<64x128xf16>) {
  // expected-error @+1 {{up rows (64) must equal gate rows (128)}}
  %y = tessel.mlp %x, gate %g, up %u, down %d {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<128x64xf16>, tensor<64x64xf16>, tensor<64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @mlp_gate_in(%x: tensor<4x64xf16>, %g: tensor<128x32xf16>, %u: tensor<128x64xf16>, %d: tensor<64x128xf16>) {
  // expected-error @+1 {{gate input dim (32) must equal input hidden size (64)}}
  %y = tessel.mlp %x, gate %g, up %u, down %d {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<128x32xf16>, tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @mlp_result(%x: tensor<4x64xf16>, %gu: tensor<256x64xf16>, %d: tensor<64x128xf16>) {
  // expected-error @+1 {{result tokens (3) must equal input tokens (4)}}
  %y = tessel.mlp %x, gate %gu, down %d {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<256x64xf16>, tensor<64x128xf16>) -> tensor<3x64xf16>
  return
}

// -----

func.func @mlp_rank(%x: tensor<64xf16>, %gu: tensor<256x64xf16>, %d: tensor<64x128xf16>) {
  // expected-error @+1 {{input must have rank 2 ([T, H])}}
  %y = tessel.mlp %x, gate %gu, down %d {activation = #tessel.activation<silu>} : (tensor<64xf16>, tensor<256x64xf16>, tensor<64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @mlp_dynamic_gate(%x: tensor<4x64xf16>, %gu: tensor<?x64xf16>, %d: tensor<64x128xf16>) {
  // expected-error @+1 {{gate rows must be static}}
  %y = tessel.mlp %x, gate %gu, down %d {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<?x64xf16>, tensor<64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @mlp_types(%x: tensor<4x64xf16>, %gu: tensor<256x64xf16>, %d: tensor<64x128xf32>) {
  // expected-error @+1 {{down element type 'f32' must match input element type 'f16'}}
  %y = tessel.mlp %x, gate %gu, down %d {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<256x64xf16>, tensor<64x128xf32>) -> tensor<4x64xf16>
  return
}

// -----

func.func @mlp_activation(%x: tensor<4x64xf16>, %gu: tensor<256x64xf16>, %d: tensor<64x128xf16>) {
  // expected-error @+2 {{expected ::tessel::Activation to be one of: silu, gelu, relu}}
  // expected-error @+1 {{failed to parse Tessel_ActivationAttr parameter 'value'}}
  %y = tessel.mlp %x, gate %gu, down %d {activation = #tessel.activation<tanh>} : (tensor<4x64xf16>, tensor<256x64xf16>, tensor<64x128xf16>) -> tensor<4x64xf16>
  return
}
