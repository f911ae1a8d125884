// Verifiers of the dense, MoE and low-rank graph ops.
#include "dialects/Tessel/ShapeChecks.h"
#include "dialects/Tessel/TesselOps.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::detail;

namespace {

RankedTensorType tensorTypeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// All named values must share the element type of the first.
LogicalResult checkAllSameElementType(Operation *op,
                                      ArrayRef<std::pair<Value, StringRef>> values) {
  Type first = tensorTypeOf(values.front().first).getElementType();
  for (auto [v, name] : values.drop_front())
    if (failed(checkSameElementType(op, tensorTypeOf(v).getElementType(), name, first,
                                    values.front().second)))
      return failure();
  return success();
}

/// A rank-2 weight `[rows, cols]`.
LogicalResult checkMatrix(Operation *op, Value w, StringRef name, StringRef layout) {
  return checkRank(op, tensorTypeOf(w), 2, name, layout);
}

} // namespace

LogicalResult LinearOp::verify() {
  SmallVector<std::pair<Value, StringRef>> typed = {
      {getInput(), "input"}, {getWeight(), "weight"}, {getResult(), "result"}};
  if (getBias())
    typed.push_back({getBias(), "bias"});
  if (failed(checkAllSameElementType(*this, typed)) ||
      failed(checkMatrix(*this, getWeight(), "weight", "[N, K]")))
    return failure();
  auto w = tensorTypeOf(getWeight());
  if (failed(checkProjection(*this, tensorTypeOf(getInput()), getResult().getType(),
                             w.getDimSize(1), w.getDimSize(0))))
    return failure();
  if (Value bias = getBias()) {
    if (failed(checkRank(*this, tensorTypeOf(bias), 1, "bias", "[N]")) ||
        failed(checkDimsMatch(*this, tensorTypeOf(bias).getDimSize(0), "bias size",
                              w.getDimSize(0), "weight output dim")))
      return failure();
  }
  return success();
}

int64_t MlpOp::getIntermediateSize() {
  int64_t rows = getGate().getType().getDimSize(0);
  if (ShapedType::isDynamic(rows))
    return rows;
  return isFused() ? rows / 2 : rows;
}

LogicalResult MlpOp::verify() {
  SmallVector<std::pair<Value, StringRef>> typed = {{getInput(), "input"},
                                                    {getGate(), "gate"},
                                                    {getDown(), "down"},
                                                    {getResult(), "result"}};
  if (getUp())
    typed.push_back({getUp(), "up"});
  if (failed(checkAllSameElementType(*this, typed)) ||
      failed(checkRank(*this, getInput().getType(), 2, "input", "[T, H]")) ||
      failed(checkRank(*this, getResult().getType(), 2, "result", "[T, H]")) ||
      failed(checkMatrix(*this, getGate(), "gate",
                         isFused() ? "[2I, H] (fused gate and up)" : "[I, H]")) ||
      failed(checkMatrix(*this, getDown(), "down", "[H, I]")))
    return failure();
  auto x = getInput().getType();
  auto gate = getGate().getType();
  auto down = getDown().getType();
  int64_t hidden = x.getDimSize(1);
  if (failed(checkStatic(*this, gate.getDimSize(0), "gate rows")))
    return failure();
  if (isFused() && gate.getDimSize(0) % 2 != 0)
    return emitOpError() << "fused gate/up weight must have an even number of rows "
                            "([2I, H]), got "
                         << gate.getDimSize(0);
  int64_t inter = getIntermediateSize();
  if (failed(checkDimsMatch(*this, gate.getDimSize(1), "gate input dim", hidden,
                            "input hidden size")) ||
      failed(checkDimsMatch(*this, down.getDimSize(0), "down output dim", hidden,
                            "input hidden size")) ||
      failed(checkDimsMatch(*this, down.getDimSize(1), "down input dim", inter,
                            "intermediate size")) ||
      failed(checkDimsMatch(*this, getResult().getType().getDimSize(0), "result tokens",
                            x.getDimSize(0), "input tokens")) ||
      failed(checkDimsMatch(*this, getResult().getType().getDimSize(1), "result hidden",
                            hidden, "input hidden size")))
    return failure();
  if (Value upValue = getUp()) {
    if (failed(checkMatrix(*this, upValue, "up", "[I, H]")))
      return failure();
    auto up = tensorTypeOf(upValue);
    if (failed(checkDimsMatch(*this, up.getDimSize(0), "up rows", inter,
                              "gate rows")) ||
        failed(checkDimsMatch(*this, up.getDimSize(1), "up input dim", hidden,
                              "input hidden size")))
      return failure();
  }
  return success();
}

int64_t RouterOp::getNumExperts() {
  if (Value gate = getGate())
    return tensorTypeOf(gate).getDimSize(0);
  return getInput().getType().getDimSize(1);
}

LogicalResult RouterOp::verify() {
  auto x = getInput().getType();
  if (failed(checkRank(*this, x, 2, "input", getGate() ? "[T, H]" : "logits [T, E]")))
    return failure();
  if (Value gate = getGate()) {
    if (failed(checkMatrix(*this, gate, "gate", "[E, H]")) ||
        failed(checkSameElementType(*this, tensorTypeOf(gate).getElementType(), "gate",
                                    x.getElementType(), "input")) ||
        failed(checkDimsMatch(*this, tensorTypeOf(gate).getDimSize(1), "gate input dim",
                              x.getDimSize(1), "input hidden size")))
      return failure();
  }
  int64_t experts = getNumExperts();
  if (failed(checkStatic(*this, experts, "expert count E")))
    return failure();
  int64_t k = getK();
  if (k > experts)
    return emitOpError() << "k (" << k << ") must not exceed the number of experts ("
                         << experts << ")";
  for (auto [result, name] :
       {std::pair<RankedTensorType, const char *>{getExpertIds().getType(),
                                                  "expert ids"},
        {getExpertWeights().getType(), "expert weights"}}) {
    if (failed(checkRank(*this, result, 2, name, "[T, k]")) ||
        failed(checkDimsMatch(*this, result.getDimSize(0),
                              std::string(name) + " tokens", x.getDimSize(0),
                              "input tokens")) ||
        failed(checkDimsMatch(*this, result.getDimSize(1), std::string(name) + " width",
                              k, "k")))
      return failure();
  }
  return success();
}

LogicalResult MoeOp::verify() {
  if (failed(checkAllSameElementType(*this, {{getInput(), "input"},
                                             {getGateUp(), "gate/up experts"},
                                             {getDown(), "down experts"},
                                             {getResult(), "result"}})))
    return failure();
  auto x = getInput().getType();
  auto ids = getExpertIds().getType();
  auto weights = getExpertWeights().getType();
  auto gateUp = getGateUp().getType();
  auto down = getDown().getType();
  if (failed(checkRank(*this, x, 2, "input", "[T, H]")) ||
      failed(checkRank(*this, ids, 2, "expert ids", "[T, k]")) ||
      failed(checkRank(*this, weights, 2, "expert weights", "[T, k]")) ||
      failed(checkRank(*this, gateUp, 3, "gate/up experts", "[E, 2I, H]")) ||
      failed(checkRank(*this, down, 3, "down experts", "[E, H, I]")) ||
      failed(checkRank(*this, getResult().getType(), 2, "result", "[T, H]")))
    return failure();
  if (ids.getShape() != weights.getShape())
    return emitOpError() << "expert ids " << ids << " and weights " << weights
                         << " must have the same shape";
  if (failed(checkStatic(*this, gateUp.getDimSize(0), "expert count E")) ||
      failed(checkStatic(*this, gateUp.getDimSize(1), "gate/up rows 2I")))
    return failure();
  if (gateUp.getDimSize(1) % 2 != 0)
    return emitOpError() << "gate/up experts must have an even number of rows ([E, 2I, "
                            "H]), got "
                         << gateUp.getDimSize(1);
  int64_t hidden = x.getDimSize(1);
  if (failed(checkDimsMatch(*this, ids.getDimSize(0), "expert ids tokens",
                            x.getDimSize(0), "input tokens")) ||
      failed(checkDimsMatch(*this, down.getDimSize(0), "down experts count",
                            gateUp.getDimSize(0), "gate/up experts count")) ||
      failed(checkDimsMatch(*this, gateUp.getDimSize(2), "gate/up input dim", hidden,
                            "input hidden size")) ||
      failed(checkDimsMatch(*this, down.getDimSize(1), "down output dim", hidden,
                            "input hidden size")) ||
      failed(checkDimsMatch(*this, down.getDimSize(2), "down input dim",
                            gateUp.getDimSize(1) / 2, "intermediate size")) ||
      failed(checkDimsMatch(*this, getResult().getType().getDimSize(0), "result tokens",
                            x.getDimSize(0), "input tokens")) ||
      failed(checkDimsMatch(*this, getResult().getType().getDimSize(1), "result hidden",
                            hidden, "input hidden size")))
    return failure();
  return success();
}

namespace {
/// Shared by lora and block_lora: W [out, in], A [r, aIn], B [out, r].
LogicalResult verifyAdapter(Operation *op, Value input, Value weight, Value a, Value b,
                            Value result, int64_t blocks) {
  if (failed(checkAllSameElementType(op, {{input, "input"},
                                          {weight, "weight"},
                                          {a, "lora_a"},
                                          {b, "lora_b"},
                                          {result, "result"}})) ||
      failed(checkMatrix(op, weight, "weight", "[out, in]")) ||
      failed(checkMatrix(op, a, "lora_a", blocks == 1 ? "[r, in]" : "[r, in / blocks]")) ||
      failed(checkMatrix(op, b, "lora_b", "[out, r]")))
    return failure();
  auto w = tensorTypeOf(weight);
  auto at = tensorTypeOf(a);
  auto bt = tensorTypeOf(b);
  int64_t in = w.getDimSize(1), out = w.getDimSize(0);
  if (failed(checkProjection(op, tensorTypeOf(input), tensorTypeOf(result), in, out)) ||
      failed(checkStatic(op, at.getDimSize(0), "rank r")) ||
      failed(checkDimsMatch(op, bt.getDimSize(1), "lora_b rank", at.getDimSize(0),
                            "lora_a rank")) ||
      failed(checkDimsMatch(op, bt.getDimSize(0), "lora_b output dim", out,
                            "weight output dim")))
    return failure();
  if (blocks == 1)
    return checkDimsMatch(op, at.getDimSize(1), "lora_a input dim", in,
                          "weight input dim");
  if (ShapedType::isDynamic(in))
    return op->emitOpError("block_lora needs a static input feature dim");
  if (in % blocks != 0)
    return op->emitOpError() << "input features (" << in
                             << ") must be divisible by blocks (" << blocks << ")";
  return checkDimsMatch(op, at.getDimSize(1), "lora_a input dim", in / blocks,
                        "input features / blocks");
}
} // namespace

LogicalResult LoraOp::verify() {
  return verifyAdapter(*this, getInput(), getWeight(), getLoraA(), getLoraB(),
                       getResult(), 1);
}

LogicalResult BlockLoraOp::verify() {
  return verifyAdapter(*this, getInput(), getWeight(), getLoraA(), getLoraB(),
                       getResult(), getBlocks());
}

LogicalResult LowRankOp::verify() {
  if (failed(checkAllSameElementType(
          *this, {{getInput(), "input"}, {getV(), "v"}, {getU(), "u"}, {getResult(), "result"}})) ||
      failed(checkMatrix(*this, getV(), "v", "[r, in]")) ||
      failed(checkMatrix(*this, getU(), "u", "[out, r]")))
    return failure();
  auto v = getV().getType();
  auto u = getU().getType();
  if (failed(checkDimsMatch(*this, u.getDimSize(1), "u rank", v.getDimSize(0),
                            "v rank")))
    return failure();
  return checkProjection(*this, getInput().getType(), getResult().getType(),
                         v.getDimSize(1), u.getDimSize(0));
}
