#include "passes/AttentionShape.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace tessel {

schedule::KernelShape kernelShapeOf(Value query, Value keyCache, Value valueCache) {
  auto q = cast<RankedTensorType>(query.getType());
  auto k = cast<RankedTensorType>(keyCache.getType());
  auto v = cast<RankedTensorType>(valueCache.getType());
  schedule::KernelShape shape;
  shape.qHeads = q.getDimSize(1);
  shape.kvHeads = k.getDimSize(1);
  shape.qkDim = q.getDimSize(2);
  shape.vDim = v.getDimSize(3);
  shape.elementBytes = q.getElementType().getIntOrFloatBitWidth() / 8;
  return shape;
}

} // namespace tessel
