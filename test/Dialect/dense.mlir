// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// RUN: tessel-opt %s --mlir-print-op-generic | tessel-opt | FileCheck %s

// CHECK-LABEL: func.func @linear
// CHECK: tessel.linear %{{.*}}, %{{.*}} : (tensor<?x4096xf16>, tensor<1024x4096xf16>) -> tensor<?x1024xf16>
// CHECK: tessel.linear %{{.*}}, %{{.*}} bias %{{.*}} : (tensor<2x3x64xbf16>, tensor<32x64xbf16>, tensor<32xbf16>) -> tensor<2x3x32xbf16>
func.func @linear(%x: tensor<?x4096xf16>, %w: tensor<1024x4096xf16>,
                  %x3: tensor<2x3x64xbf16>, %w3: tensor<32x64xbf16>, %b3: tensor<32xbf16>)
    -> (tensor<?x1024xf16>, tensor<2x3x32xbf16>) {
  %y = tessel.linear %x, %w : (tensor<?x4096xf16>, tensor<1024x4096xf16>) -> tensor<?x1024xf16>
  %z = tessel.linear %x3, %w3 bias %b3 : (tensor<2x3x64xbf16>, tensor<32x64xbf16>, tensor<32xbf16>) -> tensor<2x3x32xbf16>
  return %y, %z : tensor<?x1024xf16>, tensor<2x3x32xbf16>
}

// CHECK-LABEL: func.func @mlp
// CHECK: tessel.mlp %{{.*}}, gate %{{.*}}, up %{{.*}}, down %{{.*}} {activation = #tessel.activation<silu>}
// CHECK: tessel.mlp %{{.*}}, gate %{{.*}}, down %{{.*}} {activation = #tessel.activation<gelu>} : (tensor<?x64xf16>, tensor<256x64xf16>, tensor<64x128xf16>)
// CHECK: activation = #tessel.activation<relu>
func.func @mlp(%x: tensor<?x64xf16>, %g: tensor<128x64xf16>, %u: tensor<128x64xf16>,
               %d: tensor<64x128xf16>, %gu: tensor<256x64xf16>) -> (tensor<?x64xf16>, tensor<?x64xf16>, tensor<?x64xf16>) {
  %a = tessel.mlp %x, gate %g, up %u, down %d {activation = #tessel.activation<silu>}
      : (tensor<?x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<?x64xf16>
  %b = tessel.mlp %x, gate %gu, down %d {activation = #tessel.activation<gelu>}
      : (tensor<?x64xf16>, tensor<256x64xf16>, tensor<64x128xf16>) -> tensor<?x64xf16>
  %c = tessel.mlp %x, gate %gu, down %d {activation = #tessel.activation<relu>}
      : (tensor<?x64xf16>, tensor<256x64xf16>, tensor<64x128xf16>) -> tensor<?x64xf16>
  return %a, %b, %c : tensor<?x64xf16>, tensor<?x64xf16>, tensor<?x64xf16>
}
