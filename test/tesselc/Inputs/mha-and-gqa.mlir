// Two attention shapes the GPUs' cost models tune differently: MHA (32 KV heads, the
// CUDA-core kernel) and GQA-8 (8 KV heads, the tensor-core kernel), head dim 128, f16.

func.func @mha32(%q: tensor<?x32x128xf16>, %k: tensor<?x32x?x128xf16>,
                 %v: tensor<?x32x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x32x128xf16> {
  %o = tessel.attention %q, %k, %v, %l
      : (tensor<?x32x128xf16>, tensor<?x32x?x128xf16>, tensor<?x32x?x128xf16>, tensor<?xi32>)
      -> tensor<?x32x128xf16>
  return %o : tensor<?x32x128xf16>
}

func.func @gqa8(%q: tensor<?x32x128xf16>, %k: tensor<?x8x?x128xf16>,
                %v: tensor<?x8x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x32x128xf16> {
  %o = tessel.attention %q, %k, %v, %l
      : (tensor<?x32x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>)
      -> tensor<?x32x128xf16>
  return %o : tensor<?x32x128xf16>
}
