// tessel-opt's IR-inspection flags work with Tessel's passes.
// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k --mlir-print-ir-after-all -o /dev/null 2>&1 | FileCheck %s --check-prefix=AFTER
// RUN: rm -rf %t.dir && tessel-opt %s --pass-pipeline='builtin.module(func.func(tessel-softmax-as-reduction{tile=64},tessel-stream-k))' --mlir-print-ir-tree-dir=%t.dir -o /dev/null --mlir-print-ir-after-all
// RUN: ls -R %t.dir | FileCheck %s --check-prefix=TREE
// RUN: tessel-opt %s --tessel-softmax-as-reduction --mlir-timing -o /dev/null 2>&1 | FileCheck %s --check-prefix=TIMING

// AFTER: // -----// IR Dump After SoftmaxAsReduction (tessel-softmax-as-reduction)
// AFTER: tessel.attention_partial
// AFTER: // -----// IR Dump After StreamK (tessel-stream-k)
// AFTER: tessel.stream_k_attention

// TREE-DAG: {{.*}}_tessel-softmax-as-reduction.mlir
// TREE-DAG: {{.*}}_tessel-stream-k.mlir

// TIMING: Execution time report
// TIMING: SoftmaxAsReduction

func.func @f(%q: tensor<?x8x64xf16>, %k: tensor<?x8x?x64xf16>, %v: tensor<?x8x?x64xf16>, %l: tensor<?xi32>) -> tensor<?x8x64xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x8x64xf16>, tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>, tensor<?xi32>) -> tensor<?x8x64xf16>
  return %o : tensor<?x8x64xf16>
}
