#include "dialects/Tessel/ShapeChecks.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;

namespace tessel::detail {

std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

LogicalResult checkRank(Operation *op, RankedTensorType type, int64_t rank,
                        StringRef name, StringRef layout) {
  if (type.getRank() == rank)
    return success();
  return op->emitOpError() << name << " must have rank " << rank << " (" << layout
                           << "), got " << type;
}

LogicalResult checkDimsMatch(Operation *op, int64_t a, StringRef aName, int64_t b,
                             StringRef bName) {
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b)
    return success();
  return op->emitOpError() << aName << " (" << a << ") must equal " << bName << " ("
                           << b << ")";
}

LogicalResult checkStatic(Operation *op, int64_t d, StringRef name) {
  if (!ShapedType::isDynamic(d))
    return success();
  return op->emitOpError() << name << " must be static";
}

LogicalResult checkSameElementType(Operation *op, Type a, StringRef aName, Type b,
                                   StringRef bName) {
  if (a == b)
    return success();
  return op->emitOpError() << aName << " element type " << a << " must match "
                           << bName << " element type " << b;
}

LogicalResult checkProjection(Operation *op, RankedTensorType input,
                              RankedTensorType result, int64_t in, int64_t out) {
  if (input.getRank() < 1)
    return op->emitOpError() << "input must have rank >= 1 ([..., in]), got " << input;
  if (result.getRank() != input.getRank())
    return op->emitOpError() << "result rank " << result.getRank()
                             << " must equal input rank " << input.getRank();
  if (failed(checkDimsMatch(op, input.getShape().back(), "input feature dim", in,
                            "weight input dim")))
    return failure();
  for (int64_t i = 0; i + 1 < input.getRank(); ++i)
    if (failed(checkDimsMatch(op, input.getDimSize(i),
                              "input dim " + std::to_string(i), result.getDimSize(i),
                              "result dim " + std::to_string(i))))
      return failure();
  return checkDimsMatch(op, result.getShape().back(), "result feature dim", out,
                        "weight output dim");
}

} // namespace tessel::detail
