// The attention shapes the device tests run: MHA, GQA 4:1 and 8:1, a group of 7, head
// dims 64/96/128/192/256, Dqk != Dv, f16, bf16 and f32. tools/device/prepare.sh compiles this
// file for sm_90 and sm_80 with both fix-up strategies.

func.func @mha_d64_f16(%q: tensor<?x8x64xf16>, %k: tensor<?x8x?x64xf16>, %v: tensor<?x8x?x64xf16>, %l: tensor<?xi32>) -> tensor<?x8x64xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x8x64xf16>, tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>, tensor<?xi32>) -> tensor<?x8x64xf16>
  return %o : tensor<?x8x64xf16>
}

func.func @gqa4_d128_bf16(%q: tensor<?x16x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>, %l: tensor<?xi32>) -> tensor<?x16x128xbf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x16x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?xi32>) -> tensor<?x16x128xbf16>
  return %o : tensor<?x16x128xbf16>
}

func.func @gqa8_d128_f16(%q: tensor<?x32x128xf16>, %k: tensor<?x4x?x128xf16>, %v: tensor<?x4x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x32x128xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x32x128xf16>, tensor<?x4x?x128xf16>, tensor<?x4x?x128xf16>, tensor<?xi32>) -> tensor<?x32x128xf16>
  return %o : tensor<?x32x128xf16>
}

func.func @llama_f16(%q: tensor<?x32x128xf16>, %k: tensor<?x8x?x128xf16>, %v: tensor<?x8x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x32x128xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x32x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>) -> tensor<?x32x128xf16>
  return %o : tensor<?x32x128xf16>
}

func.func @llama_bf16(%q: tensor<?x32x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %l: tensor<?xi32>) -> tensor<?x32x128xbf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x32x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?xi32>) -> tensor<?x32x128xbf16>
  return %o : tensor<?x32x128xbf16>
}

func.func @group7_d128_f16(%q: tensor<?x14x128xf16>, %k: tensor<?x2x?x128xf16>, %v: tensor<?x2x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x14x128xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x14x128xf16>, tensor<?x2x?x128xf16>, tensor<?x2x?x128xf16>, tensor<?xi32>) -> tensor<?x14x128xf16>
  return %o : tensor<?x14x128xf16>
}

func.func @d256_bf16(%q: tensor<?x8x256xbf16>, %k: tensor<?x2x?x256xbf16>, %v: tensor<?x2x?x256xbf16>, %l: tensor<?xi32>) -> tensor<?x8x256xbf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x8x256xbf16>, tensor<?x2x?x256xbf16>, tensor<?x2x?x256xbf16>, tensor<?xi32>) -> tensor<?x8x256xbf16>
  return %o : tensor<?x8x256xbf16>
}

func.func @dqk192_dv64_f16(%q: tensor<?x8x192xf16>, %k: tensor<?x2x?x192xf16>, %v: tensor<?x2x?x64xf16>, %l: tensor<?xi32>) -> tensor<?x8x64xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x8x192xf16>, tensor<?x2x?x192xf16>, tensor<?x2x?x64xf16>, tensor<?xi32>) -> tensor<?x8x64xf16>
  return %o : tensor<?x8x64xf16>
}

// Qk dims a multiple of 32 but not of 64: the tensor-core kernel's half-line K loads
// (the others read whole lines, AttentionTensorCoreStream.cpp); a group of 5.
func.func @dqk96_dv64_f16(%q: tensor<?x10x96xf16>, %k: tensor<?x2x?x96xf16>, %v: tensor<?x2x?x64xf16>, %l: tensor<?xi32>) -> tensor<?x10x64xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x10x96xf16>, tensor<?x2x?x96xf16>, tensor<?x2x?x64xf16>, tensor<?xi32>) -> tensor<?x10x64xf16>
  return %o : tensor<?x10x64xf16>
}

func.func @mqa_d64_f32(%q: tensor<?x8x64xf32>, %k: tensor<?x1x?x64xf32>, %v: tensor<?x1x?x64xf32>, %l: tensor<?xi32>) -> tensor<?x8x64xf32> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x8x64xf32>, tensor<?x1x?x64xf32>, tensor<?x1x?x64xf32>, tensor<?xi32>) -> tensor<?x8x64xf32>
  return %o : tensor<?x8x64xf32>
}
