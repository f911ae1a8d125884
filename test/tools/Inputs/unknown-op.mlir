func.func @f(%q: tensor<1x8x64xf16>) -> tensor<1x8x64xf16> {
  %o = tessel.flash %q : tensor<1x8x64xf16>
  return %o : tensor<1x8x64xf16>
}
