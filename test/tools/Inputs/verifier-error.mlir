func.func @f(%q: tensor<1x12x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>,
             %l: tensor<1xi32>) -> tensor<1x12x64xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x12x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1xi32>) -> tensor<1x12x64xf16>
  return %o : tensor<1x12x64xf16>
}
