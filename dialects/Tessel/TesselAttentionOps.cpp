// Verifiers and folders of the attention ops at the three IR levels.
#include "dialects/Tessel/ShapeChecks.h"
#include "dialects/Tessel/TesselOps.h"
#include "runtime/abi/AttentionABI.h"

#include "mlir/IR/Builders.h"

#include <cmath>

using namespace mlir;
using namespace tessel;
using namespace tessel::detail;

namespace {

/// The static sizes of one attention problem, read off its operand types.
struct AttentionDims {
  int64_t batch, qHeads, kvHeads, maxLen, qkDim, vDim;
};

/// Verifies q [B, Hq, Dqk], k [B, Hkv, Nmax, Dqk], v [B, Hkv, Nmax, Dv], lens [B]
/// against each other. Shared by every op that carries an attention problem.
FailureOr<AttentionDims> verifyAttentionOperands(Operation *op, Value query,
                                                 Value keyCache, Value valueCache,
                                                 Value contextLens) {
  auto q = cast<RankedTensorType>(query.getType());
  auto k = cast<RankedTensorType>(keyCache.getType());
  auto v = cast<RankedTensorType>(valueCache.getType());
  auto lens = cast<RankedTensorType>(contextLens.getType());
  if (failed(checkRank(op, q, 3, "query", "[B, Hq, Dqk]")) ||
      failed(checkRank(op, k, 4, "key cache", "[B, Hkv, Nmax, Dqk]")) ||
      failed(checkRank(op, v, 4, "value cache", "[B, Hkv, Nmax, Dv]")) ||
      failed(checkRank(op, lens, 1, "context lengths", "[B]")))
    return failure();
  if (failed(checkSameElementType(op, k.getElementType(), "key cache",
                                  q.getElementType(), "query")) ||
      failed(checkSameElementType(op, v.getElementType(), "value cache",
                                  q.getElementType(), "query")))
    return failure();

  AttentionDims d{q.getDimSize(0), q.getDimSize(1), k.getDimSize(1),
                  k.getDimSize(2), q.getDimSize(2), v.getDimSize(3)};
  if (failed(checkStatic(op, d.qHeads, "query head count Hq")) ||
      failed(checkStatic(op, d.qkDim, "query head dim Dqk")) ||
      failed(checkStatic(op, d.kvHeads, "key cache head count Hkv")) ||
      failed(checkStatic(op, k.getDimSize(3), "key cache head dim")) ||
      failed(checkStatic(op, v.getDimSize(1), "value cache head count")) ||
      failed(checkStatic(op, d.vDim, "value head dim Dv")))
    return failure();
  if (d.qHeads <= 0 || d.kvHeads <= 0 || d.qkDim <= 0 || d.vDim <= 0)
    return op->emitOpError("head counts and head dims must be positive");
  if (d.qHeads % d.kvHeads != 0)
    return op->emitOpError() << "query heads (" << d.qHeads
                             << ") must be a multiple of KV heads (" << d.kvHeads << ")";

  // The batch dimension is shared by all four operands.
  int64_t batch = d.batch;
  for (auto [size, name] :
       {std::pair<int64_t, const char *>{k.getDimSize(0), "key cache batch"},
        {v.getDimSize(0), "value cache batch"},
        {lens.getDimSize(0), "context lengths batch"}}) {
    if (failed(checkDimsMatch(op, size, name, batch, "query batch")))
      return failure();
    if (ShapedType::isDynamic(batch))
      batch = size;
  }
  d.batch = batch;
  if (failed(checkDimsMatch(op, v.getDimSize(1), "value cache head count", d.kvHeads,
                            "key cache head count")) ||
      failed(checkDimsMatch(op, v.getDimSize(2), "value cache length",
                            k.getDimSize(2), "key cache length")) ||
      failed(checkDimsMatch(op, k.getDimSize(3), "key cache head dim", d.qkDim,
                            "query head dim")))
    return failure();
  if (ShapedType::isDynamic(d.maxLen))
    d.maxLen = v.getDimSize(2);
  return d;
}

/// Checks an f32 state triple m [B, Hq], l [B, Hq], o [B, Hq, Dv]; when `dims` is
/// given, also against the attention problem it belongs to.
LogicalResult verifyState(Operation *op, Type maxType, Type sumType, Type accType,
                          const AttentionDims *dims) {
  auto m = cast<RankedTensorType>(maxType);
  auto l = cast<RankedTensorType>(sumType);
  auto o = cast<RankedTensorType>(accType);
  if (failed(checkRank(op, m, 2, "softmax max", "[B, Hq]")) ||
      failed(checkRank(op, l, 2, "softmax sum", "[B, Hq]")) ||
      failed(checkRank(op, o, 3, "softmax accumulator", "[B, Hq, Dv]")))
    return failure();
  if (m != l)
    return op->emitOpError() << "softmax max type " << m << " must equal sum type " << l;
  if (failed(checkDimsMatch(op, o.getDimSize(0), "accumulator batch", m.getDimSize(0),
                            "max batch")) ||
      failed(checkDimsMatch(op, o.getDimSize(1), "accumulator heads", m.getDimSize(1),
                            "max heads")))
    return failure();
  if (!dims)
    return success();
  if (failed(checkDimsMatch(op, m.getDimSize(0), "state batch", dims->batch,
                            "query batch")) ||
      failed(checkDimsMatch(op, m.getDimSize(1), "state heads", dims->qHeads,
                            "query heads")) ||
      failed(checkDimsMatch(op, o.getDimSize(2), "accumulator head dim", dims->vDim,
                            "value head dim")))
    return failure();
  return success();
}

/// Checks result [B, Hq, Dv] with the inputs' element type.
LogicalResult verifyAttentionResult(Operation *op, Type resultType, Type elementType,
                                    const AttentionDims &d) {
  auto r = cast<RankedTensorType>(resultType);
  if (failed(checkRank(op, r, 3, "result", "[B, Hq, Dv]")) ||
      failed(checkSameElementType(op, r.getElementType(), "result", elementType,
                                  "query")) ||
      failed(checkDimsMatch(op, r.getDimSize(0), "result batch", d.batch,
                            "query batch")) ||
      failed(checkDimsMatch(op, r.getDimSize(1), "result heads", d.qHeads,
                            "query heads")) ||
      failed(checkDimsMatch(op, r.getDimSize(2), "result head dim", d.vDim,
                            "value head dim")))
    return failure();
  return success();
}

Type elementTypeOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

} // namespace

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  auto dims = verifyAttentionOperands(*this, getQuery(), getKeyCache(), getValueCache(),
                                      getContextLens());
  if (failed(dims))
    return failure();
  return verifyAttentionResult(*this, getResult().getType(), elementTypeOf(getQuery()),
                               *dims);
}

float AttentionOp::getEffectiveScale() {
  if (auto scale = getScaleAttr())
    return scale.getValueAsDouble();
  int64_t d = getQuery().getType().getDimSize(2);
  return static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
}

//===----------------------------------------------------------------------===//
// Reduction form
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxIdentityOp::verify() {
  if (failed(verifyState(*this, getMax().getType(), getSum().getType(),
                         getAcc().getType(), nullptr)))
    return failure();
  bool dynamicBatch = getMax().getType().isDynamicDim(0);
  if (dynamicBatch != static_cast<bool>(getBatch()))
    return emitOpError() << (dynamicBatch ? "a dynamic batch needs a batch size operand"
                                          : "a static batch takes no batch size operand");
  if (getMax().getType().isDynamicDim(1) || getAcc().getType().isDynamicDim(2))
    return emitOpError("head count and head dim must be static");
  if (getAcc().getType().isDynamicDim(0) != dynamicBatch)
    return emitOpError("max and accumulator must agree on a dynamic batch");
  return success();
}

LogicalResult AttentionPartialOp::verify() {
  auto dims = verifyAttentionOperands(*this, getQuery(), getKeyCache(), getValueCache(),
                                      getContextLens());
  if (failed(dims))
    return failure();
  return verifyState(*this, getMax().getType(), getSum().getType(), getAcc().getType(),
                     &*dims);
}

LogicalResult SoftmaxMergeOp::verify() {
  return verifyState(*this, getMax().getType(), getSum().getType(), getAcc().getType(),
                     nullptr);
}

/// True when (m, l, o) are the three results of one tessel.softmax_identity.
static bool isIdentityState(Value m, Value l, Value o) {
  auto identity = m.getDefiningOp<SoftmaxIdentityOp>();
  return identity && m == identity.getMax() && l == identity.getSum() &&
         o == identity.getAcc();
}

LogicalResult SoftmaxMergeOp::fold(FoldAdaptor, SmallVectorImpl<OpFoldResult> &results) {
  // merge(identity, s) = merge(s, identity) = s.
  if (isIdentityState(getLhsMax(), getLhsSum(), getLhsAcc())) {
    results.append({getRhsMax(), getRhsSum(), getRhsAcc()});
    return success();
  }
  if (isIdentityState(getRhsMax(), getRhsSum(), getRhsAcc())) {
    results.append({getLhsMax(), getLhsSum(), getLhsAcc()});
    return success();
  }
  return failure();
}

LogicalResult SoftmaxFinalizeOp::verify() {
  auto l = getSum().getType();
  auto o = getAcc().getType();
  auto r = getResult().getType();
  if (failed(checkRank(*this, l, 2, "softmax sum", "[B, Hq]")) ||
      failed(checkRank(*this, o, 3, "softmax accumulator", "[B, Hq, Dv]")) ||
      failed(checkRank(*this, r, 3, "result", "[B, Hq, Dv]")))
    return failure();
  for (int i = 0; i < 2; ++i)
    if (failed(checkDimsMatch(*this, o.getDimSize(i),
                              "accumulator dim " + std::to_string(i), l.getDimSize(i),
                              "sum dim " + std::to_string(i))))
      return failure();
  for (int i = 0; i < 3; ++i)
    if (failed(checkDimsMatch(*this, r.getDimSize(i), "result dim " + std::to_string(i),
                              o.getDimSize(i),
                              "accumulator dim " + std::to_string(i))))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Scheduled form
//===----------------------------------------------------------------------===//

LogicalResult TileSpaceOp::verify() {
  auto lens = getContextLens().getType();
  auto offsets = getOffsets().getType();
  if (failed(checkRank(*this, lens, 1, "context lengths", "[B]")) ||
      failed(checkRank(*this, offsets, 1, "tile offsets", "[B + 1]")))
    return failure();
  if (lens.isDynamicDim(0) != offsets.isDynamicDim(0))
    return emitOpError("tile offsets must be dynamic exactly when the batch is");
  if (!lens.isDynamicDim(0) && offsets.getDimSize(0) != lens.getDimSize(0) + 1)
    return emitOpError() << "tile offsets must have B + 1 = " << lens.getDimSize(0) + 1
                         << " entries, got " << offsets.getDimSize(0);
  return success();
}

LogicalResult StreamKAttentionOp::verify() {
  auto dims = verifyAttentionOperands(*this, getQuery(), getKeyCache(), getValueCache(),
                                      getContextLens());
  if (failed(dims))
    return failure();
  auto offsets = getOffsets().getType();
  if (failed(checkRank(*this, offsets, 1, "tile offsets", "[B + 1]")))
    return failure();
  if (!ShapedType::isDynamic(dims->batch) && !offsets.isDynamicDim(0) &&
      offsets.getDimSize(0) != dims->batch + 1)
    return emitOpError() << "tile offsets must have B + 1 = " << dims->batch + 1
                         << " entries, got " << offsets.getDimSize(0);
  if (auto space = getOffsets().getDefiningOp<TileSpaceOp>()) {
    if (space.getTile() != getTile())
      return emitOpError() << "tile (" << getTile()
                           << ") must equal the tile of its tessel.tile_space ("
                           << space.getTile() << ")";
    if (static_cast<int64_t>(space.getKvHeads()) != dims->kvHeads)
      return emitOpError() << "tessel.tile_space counts " << space.getKvHeads()
                           << " KV heads but the key cache has " << dims->kvHeads;
  }
  return verifyAttentionResult(*this, getResult().getType(), elementTypeOf(getQuery()),
                               *dims);
}

//===----------------------------------------------------------------------===//
// Kernel level
//===----------------------------------------------------------------------===//

LogicalResult LaunchPlanOp::verify() {
  if (getQHeads() % getKvHeads() != 0)
    return emitOpError() << "q_heads (" << getQHeads()
                         << ") must be a multiple of kv_heads (" << getKvHeads() << ")";
  Type element = getElementType();
  if (!element.isF16() && !element.isBF16() && !element.isF32())
    return emitOpError() << "element_type must be f16, bf16 or f32, got " << element;
  if ((getFixup() == Fixup::separate) != static_cast<bool>(getMergeKernelAttr()))
    return emitOpError("a merge kernel is needed exactly for the separate fix-up");
  if (getBlockSize() % 32 != 0)
    return emitOpError() << "block_size (" << getBlockSize()
                         << ") must be a multiple of the warp size";
  if (getKvRingBytes() % 128 != 0)
    return emitOpError() << "kv_ring_bytes (" << getKvRingBytes()
                         << ") must be a multiple of 128";
  if (getTraceBytesPerWorker() != 0 && getTraceBytesPerWorker() != abi::kTraceRecordBytes)
    return emitOpError() << "trace_bytes_per_worker (" << getTraceBytesPerWorker()
                         << ") must be 0 (no trace) or " << abi::kTraceRecordBytes;
  return success();
}
