// tessel-stream-k: softmax-state fold -> explicit stream-K schedule.
#include "dialects/Tessel/TesselOps.h"
#include "passes/Passes.h"
#include "runtime/schedule/CostModel.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessel {
#define GEN_PASS_DEF_STREAMK
#include "passes/Passes.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel;

namespace {

/// The fold that tessel-softmax-as-reduction builds, once recognised.
struct AttentionFold {
  scf::ForOp loop;
  AttentionPartialOp partial;
  int64_t step;
};

/// True when `v` is `tensor.dim %cache, 2` of the partial's K or V cache.
bool isCacheLength(Value v, AttentionPartialOp partial) {
  auto dim = v.getDefiningOp<tensor::DimOp>();
  if (!dim)
    return false;
  std::optional<int64_t> index = dim.getConstantIndex();
  return index && *index == 2 &&
         (dim.getSource() == partial.getKeyCache() ||
          dim.getSource() == partial.getValueCache());
}

/// Recognises `scf.for %t = 0 to UB step S iter_args(identity)` whose body is exactly
/// `partial[%t, min(%t + S, UB))`, a merge of the iteration state with it, and the
/// yield of the merge, where UB covers the whole cache (so every real token is in
/// some tile). Anything else is left alone: regrouping is only proven for this shape.
FailureOr<AttentionFold> matchFold(Value sum, Value acc) {
  auto loop = sum.getDefiningOp<scf::ForOp>();
  if (!loop || acc.getDefiningOp() != loop.getOperation() ||
      cast<OpResult>(sum).getResultNumber() != 1 ||
      cast<OpResult>(acc).getResultNumber() != 2 || loop.getNumRegionIterArgs() != 3)
    return failure();
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!lb || *lb != 0 || !step || *step <= 0)
    return failure();
  auto init = loop.getInitArgs();
  auto identity = init[0].getDefiningOp<SoftmaxIdentityOp>();
  if (!identity || init[0] != identity.getMax() || init[1] != identity.getSum() ||
      init[2] != identity.getAcc())
    return failure();

  Block *body = loop.getBody();
  auto yield = cast<scf::YieldOp>(body->getTerminator());
  auto merge = yield.getOperand(0).getDefiningOp<SoftmaxMergeOp>();
  if (!merge || yield.getOperands() != merge.getResults())
    return failure();
  auto iterArgs = loop.getRegionIterArgs();
  // The merge is commutative: accept the running state on either side.
  AttentionPartialOp partial;
  auto lhs = merge.getOperands().take_front(3), rhs = merge.getOperands().drop_front(3);
  if (ValueRange(lhs) == ValueRange(iterArgs))
    partial = rhs[0].getDefiningOp<AttentionPartialOp>();
  else if (ValueRange(rhs) == ValueRange(iterArgs))
    partial = lhs[0].getDefiningOp<AttentionPartialOp>();
  auto other = ValueRange(lhs) == ValueRange(iterArgs) ? rhs : lhs;
  if (!partial || ValueRange(other) != ValueRange(partial.getResults()) ||
      partial->getBlock() != body)
    return failure();
  for (Value v : {partial.getQuery(), partial.getKeyCache(), partial.getValueCache(),
                  partial.getContextLens()})
    if (!loop.isDefinedOutsideOfLoop(v))
      return failure();
  if (partial.getBegin() != loop.getInductionVar())
    return failure();

  // end = min(%t + S, UB) or %t + S.
  Value end = partial.getEnd();
  if (auto min = end.getDefiningOp<arith::MinSIOp>()) {
    if (min.getRhs() != loop.getUpperBound())
      return failure();
    end = min.getLhs();
  }
  auto add = end.getDefiningOp<arith::AddIOp>();
  if (!add || add.getLhs() != loop.getInductionVar() ||
      getConstantIntValue(add.getRhs()) != step)
    return failure();

  // The loop must reach the end of the cache.
  Value ub = loop.getUpperBound();
  int64_t maxLen = partial.getKeyCache().getType().getDimSize(2);
  std::optional<int64_t> ubConst = getConstantIntValue(ub);
  bool covers = isCacheLength(ub, partial) ||
                (ubConst && !ShapedType::isDynamic(maxLen) && *ubConst >= maxLen);
  if (!covers)
    return failure();

  // Nothing else may happen in the body.
  for (Operation &op : body->without_terminator())
    if (&op != partial.getOperation() && &op != merge.getOperation() &&
        &op != add.getOperation() && &op != end.getDefiningOp() &&
        &op != partial.getEnd().getDefiningOp())
      return failure();
  return AttentionFold{loop, partial, *step};
}

struct FoldToStreamK : OpRewritePattern<SoftmaxFinalizeOp> {
  FoldToStreamK(MLIRContext *ctx, int64_t tile, int64_t workers, FixupAttr fixup)
      : OpRewritePattern<SoftmaxFinalizeOp>(ctx), tile(tile), workers(workers), fixup(fixup) {}

  LogicalResult matchAndRewrite(SoftmaxFinalizeOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<AttentionFold> fold = matchFold(op.getSum(), op.getAcc());
    if (failed(fold))
      return rewriter.notifyMatchFailure(op, "operands are not a recognised KV fold");
    AttentionPartialOp partial = fold->partial;
    auto resultType = op.getResult().getType();
    if (resultType.getElementType() != partial.getQuery().getType().getElementType())
      return rewriter.notifyMatchFailure(op, "result element type differs from inputs");

    Location loc = op.getLoc();
    int64_t tileTokens = tile > 0 ? tile : fold->step;
    // auto: the cost model's preference, the same for every shape and GPU.
    FixupAttr fixupAttr =
        fixup ? fixup
              : FixupAttr::get(getContext(), schedule::kPreferredFixup == schedule::Fixup::InKernel
                                                 ? Fixup::in_kernel
                                                 : Fixup::separate);

    auto lensType = partial.getContextLens().getType();
    int64_t batch = lensType.getDimSize(0);
    auto offsetsType = RankedTensorType::get(
        {ShapedType::isDynamic(batch) ? ShapedType::kDynamic : batch + 1},
        rewriter.getI32Type());
    int64_t kvHeads = partial.getKeyCache().getType().getDimSize(1);
    auto space = TileSpaceOp::create(rewriter, loc, offsetsType, rewriter.getIndexType(),
                                     partial.getContextLens(), tileTokens, kvHeads);
    auto launched = LaunchWorkersOp::create(rewriter, loc, rewriter.getIndexType(),
                                            space.getTotal(), workers);
    rewriter.replaceOpWithNewOp<StreamKAttentionOp>(
        op, resultType, partial.getQuery(), partial.getKeyCache(),
        partial.getValueCache(), partial.getContextLens(), space.getOffsets(),
        space.getTotal(), launched.getWorkers(), rewriter.getI64IntegerAttr(tileTokens),
        fixupAttr,
        partial.getScaleAttr());
    return success();
  }

  int64_t tile, workers;
  FixupAttr fixup; // null: the cost model's preference
};

struct StreamKPass : tessel::impl::StreamKBase<StreamKPass> {
  using StreamKBase::StreamKBase;

  void runOnOperation() override {
    auto fail = [&](const Twine &message) {
      mlir::emitError(getOperation().getLoc()) << "tessel-stream-k: " << message;
      signalPassFailure();
    };
    if (tile == 0 || tile < -1)
      return fail("tile must be a positive number of tokens (or -1 to keep the "
                  "fold's tile), got " + Twine(tile));
    if (workers < 0)
      return fail("workers must be >= 0 (0 = decided at load), got " + Twine(workers));
    FixupAttr fixupAttr;
    if (fixup == "in-kernel")
      fixupAttr = FixupAttr::get(&getContext(), Fixup::in_kernel);
    else if (fixup == "separate")
      fixupAttr = FixupAttr::get(&getContext(), Fixup::separate);
    else if (fixup != "auto")
      return fail("unknown fix-up strategy '" + fixup +
                  "' (expected in-kernel, separate or auto)");

    RewritePatternSet patterns(&getContext());
    patterns.add<FoldToStreamK>(&getContext(), tile, workers, fixupAttr);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
