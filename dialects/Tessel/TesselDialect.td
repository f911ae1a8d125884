#ifndef TESSEL_DIALECT_TD
#define TESSEL_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Tessel_Dialect : Dialect {
  let name = "tessel";
  let cppNamespace = "::tessel";
  let summary = "Decode-phase transformer ops: attention, MoE, low-rank factors";
  let description = [{
    The `tessel` dialect has three levels. Graph ops (`tessel.attention`,
    `tessel.linear`, `tessel.mlp`, `tessel.router`, `tessel.moe`, `tessel.lora`,
    `tessel.block_lora`, `tessel.low_rank`) have tensor semantics and full verifiers.
    The reduction form expresses attention as a fold of softmax states
    `(m, l, o)` with an associative merge. The scheduled form carries an explicit
    stream-K partition of the KV tiles over persistent workers.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 0;
}

class Tessel_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tessel_Dialect, mnemonic, traits>;

#endif // TESSEL_DIALECT_TD
