// RUN: tessel-opt %s -split-input-file -verify-diagnostics

func.func @router_k_zero(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'k' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %ids, %w = tessel.router %l {k = 0 : i64, scoring = #tessel.scoring<softmax_topk>} : (tensor<4x8xf32>) -> (tensor<4x0xi32>, tensor<4x0xf32>)
  return
}

// -----

func.func @router_k_too_big(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{k (9) must not exceed the number of experts (8)}}
  %ids, %w = tessel.router %l {k = 9 : i64, scoring = #tessel.scoring<softmax_topk>} : (tensor<4x8xf32>) -> (tensor<4x9xi32>, tensor<4x9xf32>)
  return
}

// -----

func.func @router_width(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{expert ids width (3) must equal k (2)}}
  %ids, %w = tessel.router %l {k = 2 : i64, scoring = #tessel.scoring<softmax_topk>} : (tensor<4x8xf32>) -> (tensor<4x3xi32>, tensor<4x2xf32>)
  return
}

// -----

func.func @router_tokens(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{expert weights tokens (5) must equal input tokens (4)}}
  %ids, %w = tessel.router %l {k = 2 : i64, scoring = #tessel.scoring<softmax_topk>} : (tensor<4x8xf32>) -> (tensor<4x2xi32>, tensor<5x2xf32>)
  return
}

// -----

func.func @router_dynamic_experts(%l: tensor<4x?xf32>) {
  // expected-error @+1 {{expert count E must be static}}
  %ids, %w = tessel.router %l {k = 2 : i64, scoring = #tessel.scoring<softmax_topk>} : (tensor<4x?xf32>) -> (tensor<4x2xi32>, tensor<4x2xf32>)
  return
}

// -----

func.func @router_gate_dim(%x: tensor<4x64xf16>, %g: tensor<8x32xf16>) {
  // expected-error @+1 {{gate input dim (32) must equal input hidden size (64)}}
  %ids, %w = tessel.router %x gate %g {k = 2 : i64, scoring = #tessel.scoring<softmax_topk>} : (tensor<4x64xf16>, tensor<8x32xf16>) -> (tensor<4x2xi32>, tensor<4x2xf32>)
  return
}

// -----

func.func @router_gate_type(%x: tensor<4x64xf16>, %g: tensor<8x64xbf16>) {
  // expected-error @+1 {{gate element type 'bf16' must match input element type 'f16'}}
  %ids, %w = tessel.router %x gate %g {k = 2 : i64, scoring = #tessel.scoring<softmax_topk>} : (tensor<4x64xf16>, tensor<8x64xbf16>) -> (tensor<4x2xi32>, tensor<4x2xf32>)
  return
}

// -----

func.func @router_rank(%l: tensor<8xf32>) {
  // expected-error @+1 {{input must have rank 2 (logits [T, E])}}
  %ids, %w = tessel.router %l {k = 2 : i64, scoring = #tessel.scoring<softmax_topk>} : (tensor<8xf32>) -> (tensor<4x2xi32>, tensor<4x2xf32>)
  return
}

// -----

func.func @router_scoring(%l: tensor<4x8xf32>) {
  // expected-error @+2 {{expected ::tessel::RouterScoring to be one of: softmax_topk, topk_softmax}}
  // expected-error @+1 {{failed to parse Tessel_RouterScoringAttr parameter 'value'}}
  %ids, %w = tessel.router %l {k = 2 : i64, scoring = #tessel.scoring<sigmoid>} : (tensor<4x8xf32>) -> (tensor<4x2xi32>, tensor<4x2xf32>)
  return
}

// -----

func.func @moe_ids_weights(%x: tensor<4x64xf16>, %ids: tensor<4x2xi32>, %w: tensor<4x3xf32>, %gu: tensor<8x256x64xf16>, %d: tensor<8x64x128xf16>) {
  // expected-error @+1 {{expert ids 'tensor<4x2xi32>' and weights 'tensor<4x3xf32>' must have the same shape}}
  %y = tessel.moe %x, %ids, %w, experts(%gu, %d) {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<4x2xi32>, tensor<4x3xf32>, tensor<8x256x64xf16>, tensor<8x64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @moe_expert_count(%x: tensor<4x64xf16>, %ids: tensor<4x2xi32>, %w: tensor<4x2xf32>, %gu: tensor<8x256x64xf16>, %d: tensor<4x64x128xf16>) {
  // expected-error @+1 {{down experts count (4) must equal gate/up experts count (8)}}
  %y = tessel.moe %x, %ids, %w, experts(%gu, %d) {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<4x2xi32>, tensor<4x2xf32>, tensor<8x256x64xf16>, tensor<4x64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @moe_inter(%x: tensor<4x64xf16>, %ids: tensor<4x2xi32>, %w: tensor<4x2xf32>, %gu: tensor<8x256x64xf16>, %d: tensor<8x64x256xf16>) {
  // expected-error @+1 {{down input dim (256) must equal intermediate size (128)}}
  %y = tessel.moe %x, %ids, %w, experts(%gu, %d) {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<4x2xi32>, tensor<4x2xf32>, tensor<8x256x64xf16>, tensor<8x64x256xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @moe_odd(%x: tensor<4x64xf16>, %ids: tensor<4x2xi32>, %w: tensor<4x2xf32>, %gu: tensor<8x255x64xf16>, %d: tensor<8x64x128xf16>) {
  // expected-error @+1 {{gate/up experts must have an even number of rows ([E, 2I, H]), got 255}}
  %y = tessel.moe %x, %ids, %w, experts(%gu, %d) {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<4x2xi32>, tensor<4x2xf32>, tensor<8x255x64xf16>, tensor<8x64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @moe_hidden(%x: tensor<4x64xf16>, %ids: tensor<4x2xi32>, %w: tensor<4x2xf32>, %gu: tensor<8x256x32xf16>, %d: tensor<8x64x128xf16>) {
  // expected-error @+1 {{gate/up input dim (32) must equal input hidden size (64)}}
  %y = tessel.moe %x, %ids, %w, experts(%gu, %d) {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<4x2xi32>, tensor<4x2xf32>, tensor<8x256x32xf16>, tensor<8x64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @moe_tokens(%x: tensor<4x64xf16>, %ids: tensor<3x2xi32>, %w: tensor<3x2xf32>, %gu: tensor<8x256x64xf16>, %d: tensor<8x64x128xf16>) {
  // expected-error @+1 {{expert ids tokens (3) must equal input tokens (4)}}
  %y = tessel.moe %x, %ids, %w, experts(%gu, %d) {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<3x2xi32>, tensor<3x2xf32>, tensor<8x256x64xf16>, tensor<8x64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @moe_rank(%x: tensor<4x64xf16>, %ids: tensor<4x2xi32>, %w: tensor<4x2xf32>, %gu: tensor<256x64xf16>, %d: tensor<8x64x128xf16>) {
  // expected-error @+1 {{gate/up experts must have rank 3 ([E, 2I, H])}}
  %y = tessel.moe %x, %ids, %w, experts(%gu, %d) {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<4x2xi32>, tensor<4x2xf32>, tensor<256x64xf16>, tensor<8x64x128xf16>) -> tensor<4x64xf16>
  return
}

// -----

func.func @moe_ids_type(%x: tensor<4x64xf16>, %ids: tensor<4x2xi64>, %w: tensor<4x2xf32>, %gu: tensor<8x256x64xf16>, %d: tensor<8x64x128xf16>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer values}}
  %y = tessel.moe %x, %ids, %w, experts(%gu, %d) {activation = #tessel.activation<silu>} : (tensor<4x64xf16>, tensor<4x2xi64>, tensor<4x2xf32>, tensor<8x256x64xf16>, tensor<8x64x128xf16>) -> tensor<4x64xf16>
  return
}
