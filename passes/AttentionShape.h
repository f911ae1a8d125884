// Reads the compile-time shape of an attention problem off its operand types, for the
// cost model (MLIR types -> the MLIR-free schedule::KernelShape).
#ifndef TESSEL_PASSES_ATTENTIONSHAPE_H
#define TESSEL_PASSES_ATTENTIONSHAPE_H

#include "runtime/schedule/CostModel.h"

#include "mlir/IR/Value.h"

namespace tessel {

/// q [B, Hq, Dqk], k [B, Hkv, Nmax, Dqk], v [B, Hkv, Nmax, Dv] (verified types).
schedule::KernelShape kernelShapeOf(mlir::Value query, mlir::Value keyCache,
                                    mlir::Value valueCache);

} // namespace tessel

#endif
