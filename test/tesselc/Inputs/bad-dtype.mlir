func.func @f64(%q: tensor<1x8x64xf64>, %k: tensor<1x8x16x64xf64>, %v: tensor<1x8x16x64xf64>, %l: tensor<1xi32>) -> tensor<1x8x64xf64> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<1x8x64xf64>, tensor<1x8x16x64xf64>, tensor<1x8x16x64xf64>, tensor<1xi32>) -> tensor<1x8x64xf64>
  return %o : tensor<1x8x64xf64>
}
