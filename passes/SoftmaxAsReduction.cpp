// tessel-softmax-as-reduction: attention -> fold of softmax states over KV tiles.
#include "dialects/Tessel/TesselOps.h"
#include "passes/AttentionShape.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessel {
#define GEN_PASS_DEF_SOFTMAXASREDUCTION
#include "passes/Passes.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel;

namespace {

/// The value of dimension `dim` of `tensor`: a constant when static.
Value dimValue(PatternRewriter &rewriter, Location loc, Value tensor, int64_t dim) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!type.isDynamicDim(dim))
    return arith::ConstantIndexOp::create(rewriter, loc, type.getDimSize(dim));
  return tensor::DimOp::create(rewriter, loc, tensor, dim);
}

struct AttentionToFold : OpRewritePattern<AttentionOp> {
  AttentionToFold(MLIRContext *ctx, int64_t tile, std::string tuneFor)
      : OpRewritePattern<AttentionOp>(ctx), tile(tile), tuneFor(std::move(tuneFor)) {}

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto queryType = op.getQuery().getType();
    auto resultType = op.getResult().getType();
    int64_t tileTokens = tile;
    if (tileTokens < 0) {
      schedule::KernelShape shape =
          kernelShapeOf(op.getQuery(), op.getKeyCache(), op.getValueCache());
      tileTokens =
          schedule::chooseConfig(shape, schedule::deviceModelsFor(tuneFor, shape)).tile;
    }

    Type f32 = rewriter.getF32Type();
    SmallVector<int64_t> rowShape = {queryType.getDimSize(0), queryType.getDimSize(1)};
    auto rowType = RankedTensorType::get(rowShape, f32);
    auto accType = RankedTensorType::get(resultType.getShape(), f32);

    Value batch;
    if (queryType.isDynamicDim(0))
      batch = tensor::DimOp::create(rewriter, loc, op.getQuery(), 0);
    auto identity = SoftmaxIdentityOp::create(rewriter, loc, rowType, rowType, accType,
                                              batch);

    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value step = arith::ConstantIndexOp::create(rewriter, loc, tileTokens);
    Value maxLen = dimValue(rewriter, loc, op.getKeyCache(), 2);
    FloatAttr scale = rewriter.getF32FloatAttr(op.getEffectiveScale());

    auto loop = scf::ForOp::create(
        rewriter, loc, zero, maxLen, step,
        ValueRange{identity.getMax(), identity.getSum(), identity.getAcc()},
        [&](OpBuilder &b, Location l, Value begin, ValueRange state) {
          Value next = arith::AddIOp::create(b, l, begin, step);
          Value end = arith::MinSIOp::create(b, l, next, maxLen);
          auto part = AttentionPartialOp::create(
              b, l, rowType, rowType, accType, op.getQuery(), op.getKeyCache(),
              op.getValueCache(), op.getContextLens(), begin, end, scale);
          auto merged = SoftmaxMergeOp::create(
              b, l, rowType, rowType, accType, state[0], state[1], state[2],
              part.getMax(), part.getSum(), part.getAcc());
          scf::YieldOp::create(b, l, merged.getResults());
        });
    rewriter.replaceOpWithNewOp<SoftmaxFinalizeOp>(op, resultType, loop.getResult(1),
                                                   loop.getResult(2));
    return success();
  }

  int64_t tile;
  std::string tuneFor; // validated by the pass
};

struct SoftmaxAsReductionPass
    : tessel::impl::SoftmaxAsReductionBase<SoftmaxAsReductionPass> {
  using SoftmaxAsReductionBase::SoftmaxAsReductionBase;

  void runOnOperation() override {
    if (tile == 0 || tile < -1) {
      mlir::emitError(getOperation().getLoc())
          << "tessel-softmax-as-reduction: tile must be a positive number of tokens "
             "(or -1 for the cost model's choice), got "
          << static_cast<int64_t>(tile);
      return signalPassFailure();
    }
    if (std::string bad = schedule::validateDeviceList(tuneFor); !bad.empty()) {
      mlir::emitError(getOperation().getLoc()) << "tessel-softmax-as-reduction: tune-for: "
                                               << bad;
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<AttentionToFold>(&getContext(), tile, tuneFor);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
