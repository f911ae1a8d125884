func.func @d36(%q: tensor<?x8x36xf16>, %k: tensor<?x8x?x36xf16>, %v: tensor<?x8x?x36xf16>, %l: tensor<?xi32>) -> tensor<?x8x36xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x8x36xf16>, tensor<?x8x?x36xf16>, tensor<?x8x?x36xf16>, tensor<?xi32>) -> tensor<?x8x36xf16>
  return %o : tensor<?x8x36xf16>
}
