// RUN: tessel-opt %s -split-input-file -verify-diagnostics

func.func @identity_needs_batch() {
  // expected-error @+1 {{a dynamic batch needs a batch size operand}}
  %m, %l, %o = tessel.softmax_identity : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8x64xf32>
  return
}

// -----

func.func @identity_static_with_batch(%b: index) {
  // expected-error @+1 {{a static batch takes no batch size operand}}
  %m, %l, %o = tessel.softmax_identity %b : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>
  return
}

// -----

func.func @identity_dynamic_heads() {
  // expected-error @+1 {{head count and head dim must be static}}
  %m, %l, %o = tessel.softmax_identity : tensor<4x?xf32>, tensor<4x?xf32>, tensor<4x?x64xf32>
  return
}

// -----

func.func @identity_batch_mismatch(%b: index) {
  // expected-error @+1 {{max and accumulator must agree on a dynamic batch}}
  %m, %l, %o = tessel.softmax_identity %b : tensor<?x8xf32>, tensor<?x8xf32>, tensor<4x8x64xf32>
  return
}

// -----

func.func @state_rank() {
  // expected-error @+1 {{softmax accumulator must have rank 3 ([B, Hq, Dv])}}
  %m, %l, %o = tessel.softmax_identity : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x512xf32>
  return
}

// -----

func.func @state_max_sum(%b: index) {
  // expected-error @+1 {{softmax max type 'tensor<4x8xf32>' must equal sum type 'tensor<4x4xf32>'}}
  %m, %l, %o = tessel.softmax_identity : tensor<4x8xf32>, tensor<4x4xf32>, tensor<4x8x64xf32>
  return
}

// -----

func.func @state_heads() {
  // expected-error @+1 {{accumulator heads (4) must equal max heads (8)}}
  %m, %l, %o = tessel.softmax_identity : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x4x64xf32>
  return
}

// -----

func.func @state_f16() {
  // expected-error @+1 {{result #0 must be ranked tensor of 32-bit float values}}
  %m, %l, %o = tessel.softmax_identity : tensor<4x8xf16>, tensor<4x8xf32>, tensor<4x8x64xf32>
  return
}

// -----

func.func @partial_state_heads(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>, %i: index) {
  // expected-error @+1 {{state heads (8) must equal query heads (32)}}
  %m, %s, %o = tessel.attention_partial %q, %k, %v, %l[%i, %i) {scale = 1.0 : f32}
      : tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>
      -> tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8x128xf32>
  return
}

// -----

func.func @partial_head_dim(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x64xf16>, %l: tensor<1xi32>, %i: index) {
  // expected-error @+1 {{accumulator head dim (128) must equal value head dim (64)}}
  %m, %s, %o = tessel.attention_partial %q, %k, %v, %l[%i, %i) {scale = 1.0 : f32}
      : tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>
      -> tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x32x128xf32>
  return
}

// -----

func.func @partial_batch(%q: tensor<2x32x128xf16>, %k: tensor<2x8x16x128xf16>, %v: tensor<2x8x16x128xf16>, %l: tensor<2xi32>, %i: index) {
  // expected-error @+1 {{state batch (3) must equal query batch (2)}}
  %m, %s, %o = tessel.attention_partial %q, %k, %v, %l[%i, %i) {scale = 1.0 : f32}
      : tensor<2x32x128xf16>, tensor<2x8x16x128xf16>, tensor<2x8x16x128xf16>, tensor<2xi32>
      -> tensor<3x32xf32>, tensor<3x32xf32>, tensor<3x32x128xf32>
  return
}

// -----

func.func @partial_needs_scale(%q: tensor<1x32x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>, %i: index) {
  // expected-error @+1 {{requires attribute 'scale'}}
  %m, %s, %o = tessel.attention_partial %q, %k, %v, %l[%i, %i)
      : tensor<1x32x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>
      -> tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x32x128xf32>
  return
}

// -----

func.func @partial_operands(%q: tensor<1x30x128xf16>, %k: tensor<1x8x16x128xf16>, %v: tensor<1x8x16x128xf16>, %l: tensor<1xi32>, %i: index) {
  // expected-error @+1 {{query heads (30) must be a multiple of KV heads (8)}}
  %m, %s, %o = tessel.attention_partial %q, %k, %v, %l[%i, %i) {scale = 1.0 : f32}
      : tensor<1x30x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1xi32>
      -> tensor<1x30xf32>, tensor<1x30xf32>, tensor<1x30x128xf32>
  return
}

// -----

func.func @merge_types(%a: tensor<4x8xf32>, %b: tensor<4x9xf32>, %o: tensor<4x8x64xf32>) {
  // expected-error @+1 {{failed to verify that all of {lhs_max, rhs_max, max, lhs_sum, rhs_sum, sum} have same type}}
  %m, %l, %r = "tessel.softmax_merge"(%a, %a, %o, %b, %a, %o) : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>, tensor<4x9xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8x64xf32>)
  return
}

// -----

func.func @merge_acc_heads(%a: tensor<4x8xf32>, %o: tensor<4x2x64xf32>) {
  // expected-error @+1 {{accumulator heads (2) must equal max heads (8)}}
  %m, %l, %r = tessel.softmax_merge (%a, %a, %o), (%a, %a, %o) : tensor<4x8xf32>, tensor<4x2x64xf32>
  return
}

// -----

func.func @finalize_shape(%l: tensor<4x8xf32>, %o: tensor<4x8x64xf32>) {
  // expected-error @+1 {{result dim 2 (32) must equal accumulator dim 2 (64)}}
  %r = tessel.softmax_finalize %l, %o : tensor<4x8xf32>, tensor<4x8x64xf32> -> tensor<4x8x32xf16>
  return
}

// -----

func.func @finalize_sum(%l: tensor<4x4xf32>, %o: tensor<4x8x64xf32>) {
  // expected-error @+1 {{accumulator dim 1 (8) must equal sum dim 1 (4)}}
  %r = tessel.softmax_finalize %l, %o : tensor<4x4xf32>, tensor<4x8x64xf32> -> tensor<4x8x64xf16>
  return
}

// -----

func.func @finalize_rank(%l: tensor<4x8xf32>, %o: tensor<4x8x64xf32>) {
  // expected-error @+1 {{result must have rank 3 ([B, Hq, Dv])}}
  %r = tessel.softmax_finalize %l, %o : tensor<4x8xf32>, tensor<4x8x64xf32> -> tensor<32x64xf16>
  return
}
