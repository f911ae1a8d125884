// RUN: tessel-opt %s -split-input-file -verify-diagnostics

func.func @q_rank(%q: tensor<32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{'tessel.attention' op query must have rank 3 ([B, Hq, Dqk]), got 'tensor<32x128xf16>'}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @k_rank(%q: tensor<1x32x128xf16>, %k: tensor<8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{key cache must have rank 4 ([B, Hkv, Nmax, Dqk])}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @v_rank(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128x1xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{value cache must have rank 4 ([B, Hkv, Nmax, Dv])}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128x1xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @lens_rank(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1x1xi32>) {
  // expected-error @+1 {{context lengths must have rank 1 ([B])}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1x1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @lens_type(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi64>) {
  // expected-error @+1 {{operand #3 must be ranked tensor of 32-bit signless integer values}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi64>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @element_type(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xbf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{key cache element type 'bf16' must match query element type 'f16'}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xbf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @value_element_type(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf32>, %l: tensor<1xi32>) {
  // expected-error @+1 {{value cache element type 'f32' must match query element type 'f16'}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf32>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @int_inputs(%q: tensor<1x32x128xi8>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float values}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xi8>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @dynamic_heads(%q: tensor<1x?x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{query head count Hq must be static}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x?x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @dynamic_head_dim(%q: tensor<1x32x?xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{query head dim Dqk must be static}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x?xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @dynamic_kv_heads(%q: tensor<1x32x128xf16>, %k: tensor<1x?x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{key cache head count Hkv must be static}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x?x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @dynamic_v_dim(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x?xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{value head dim Dv must be static}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x?xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @group(%q: tensor<1x30x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{query heads (30) must be a multiple of KV heads (8)}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x30x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x30x128xf16>
  return
}

// -----

func.func @zero_heads(%q: tensor<1x0x128xf16>, %k: tensor<1x0x16x128xf16>, %v: tensor<1x0x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{head counts and head dims must be positive}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x0x128xf16>, tensor<1x0x16x128xf16>, tensor<1x0x16x128xf16>, tensor<1xi32>) -> tensor<1x0x128xf16>
  return
}

// -----

func.func @batch(%q: tensor<2x32x128xf16>, %k: tensor<3x8x16x128xf16>, %v: tensor<?x8x16x128xf16>, %l: tensor<?xi32>) {
  // expected-error @+1 {{key cache batch (3) must equal query batch (2)}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<2x32x128xf16>, tensor<3x8x16x128xf16>, tensor<?x8x16x128xf16>, tensor<?xi32>) -> tensor<2x32x128xf16>
  return
}

// -----

// The batch is checked across all operands even when the query's is dynamic.
func.func @batch_dynamic_query(%q: tensor<?x32x128xf16>, %k: tensor<3x8x16x128xf16>, %v: tensor<?x8x16x128xf16>, %l: tensor<4xi32>) {
  // expected-error @+1 {{context lengths batch (4) must equal query batch (3)}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x32x128xf16>, tensor<3x8x16x128xf16>, tensor<?x8x16x128xf16>, tensor<4xi32>) -> tensor<?x32x128xf16>
  return
}

// -----

func.func @kv_heads(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x4x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{value cache head count (4) must equal key cache head count (8)}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x4x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @nmax(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x32x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{value cache length (32) must equal key cache length (16)}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x32x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @qk_dim(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{key cache head dim (64) must equal query head dim (128)}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @result_dim(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{result head dim (128) must equal value head dim (64)}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @result_heads(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{result heads (8) must equal query heads (32)}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x8x128xf16>
  return
}

// -----

func.func @result_batch(%q: tensor<2x32x128xf16>, %k: tensor<2x8x16x128xf16>, %v: tensor<2x8x16x128xf16>, %l: tensor<2xi32>) {
  // expected-error @+1 {{result batch (1) must equal query batch (2)}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<2x32x128xf16>, tensor<2x8x16x128xf16>, tensor<2x8x16x128xf16>, tensor<2xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @result_rank(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{result must have rank 3 ([B, Hq, Dv])}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<32x128xf16>
  return
}

// -----

func.func @result_type(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{result element type 'f32' must match query element type 'f16'}}
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf32>
  return
}

// -----

func.func @scale_negative(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: 32-bit float attribute whose value is finite and positive}}
  %o = tessel.attention %q, %k, %v, %l {scale = -1.0 : f32} : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @scale_zero(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{whose value is finite and positive}}
  %o = tessel.attention %q, %k, %v, %l {scale = 0.0 : f32} : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}

// -----

func.func @scale_inf(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>) {
  // expected-error @+1 {{whose value is finite and positive}}
  %o = tessel.attention %q, %k, %v, %l {scale = 0x7F800000 : f32} : (tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>) -> tensor<1x32x128xf16>
  return
}
