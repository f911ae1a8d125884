// The shapes of ../shared/bench/ANCHORS.md: head dim 128, 32 query heads, 32 or 8 KV
// heads, f16 and bf16. tools/device/prepare.sh compiles this for tessel-bench.

func.func @mha32_f16(%q: tensor<?x32x128xf16>, %k: tensor<?x32x?x128xf16>, %v: tensor<?x32x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x32x128xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x32x128xf16>, tensor<?x32x?x128xf16>, tensor<?x32x?x128xf16>, tensor<?xi32>) -> tensor<?x32x128xf16>
  return %o : tensor<?x32x128xf16>
}

func.func @gqa8_f16(%q: tensor<?x32x128xf16>, %k: tensor<?x8x?x128xf16>, %v: tensor<?x8x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x32x128xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x32x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>) -> tensor<?x32x128xf16>
  return %o : tensor<?x32x128xf16>
}

func.func @mha32_bf16(%q: tensor<?x32x128xbf16>, %k: tensor<?x32x?x128xbf16>, %v: tensor<?x32x?x128xbf16>, %l: tensor<?xi32>) -> tensor<?x32x128xbf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x32x128xbf16>, tensor<?x32x?x128xbf16>, tensor<?x32x?x128xbf16>, tensor<?xi32>) -> tensor<?x32x128xbf16>
  return %o : tensor<?x32x128xbf16>
}

func.func @gqa8_bf16(%q: tensor<?x32x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %l: tensor<?xi32>) -> tensor<?x32x128xbf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x32x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?xi32>) -> tensor<?x32x128xbf16>
  return %o : tensor<?x32x128xbf16>
}
