// Shape-checking helpers shared by the op verifiers. Every failure names the operand
// and the dimension, because a user reading "shape mismatch" cannot fix anything.
#ifndef TESSEL_DIALECTS_TESSEL_SHAPECHECKS_H
#define TESSEL_DIALECTS_TESSEL_SHAPECHECKS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringRef.h"

namespace tessel::detail {

/// A dimension size for messages: "?" when dynamic.
std::string dimStr(int64_t d);

/// Fails unless `type` has rank `rank`.
mlir::LogicalResult checkRank(mlir::Operation *op, mlir::RankedTensorType type,
                              int64_t rank, llvm::StringRef name,
                              llvm::StringRef layout);

/// Fails when both sizes are static and differ.
mlir::LogicalResult checkDimsMatch(mlir::Operation *op, int64_t a, llvm::StringRef aName,
                                   int64_t b, llvm::StringRef bName);

/// Fails when `d` is dynamic.
mlir::LogicalResult checkStatic(mlir::Operation *op, int64_t d, llvm::StringRef name);

/// Fails unless both element types are the same.
mlir::LogicalResult checkSameElementType(mlir::Operation *op, mlir::Type a,
                                         llvm::StringRef aName, mlir::Type b,
                                         llvm::StringRef bName);

/// Checks a `[..., in] x [out, in]^T -> [..., out]` projection: input rank >= 1,
/// weight rank 2, matching reduction dims, result = input with last dim `out`.
mlir::LogicalResult checkProjection(mlir::Operation *op, mlir::RankedTensorType input,
                                    mlir::RankedTensorType result, int64_t in,
                                    int64_t out);

} // namespace tessel::detail

#endif
