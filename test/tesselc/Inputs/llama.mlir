// One decode step of Llama-3-8B attention (32 query heads, 8 KV heads, head dim 128)
// over a KV cache of up to Nmax tokens per sequence. Batch size and Nmax are dynamic;
// each sequence's real context length comes in %lens at run time.

func.func @llama3_8b_attention_f16(%q: tensor<?x32x128xf16>,
                                   %k_cache: tensor<?x8x?x128xf16>,
                                   %v_cache: tensor<?x8x?x128xf16>,
                                   %lens: tensor<?xi32>) -> tensor<?x32x128xf16> {
  %out = tessel.attention %q, %k_cache, %v_cache, %lens
      : (tensor<?x32x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>)
      -> tensor<?x32x128xf16>
  return %out : tensor<?x32x128xf16>
}

func.func @llama3_8b_attention_bf16(%q: tensor<?x32x128xbf16>,
                                    %k_cache: tensor<?x8x?x128xbf16>,
                                    %v_cache: tensor<?x8x?x128xbf16>,
                                    %lens: tensor<?xi32>) -> tensor<?x32x128xbf16> {
  %out = tessel.attention %q, %k_cache, %v_cache, %lens
      : (tensor<?x32x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?xi32>)
      -> tensor<?x32x128xbf16>
  return %out : tensor<?x32x128xbf16>
}
