// The stream-K decode-attention kernel, written as MLIR.
//
// One CTA is one stream-K worker (block of abi::kBlockThreads threads, 4 warps). Per launch:
//   1. every CTA prefix-sums the tile counts of the (clamped) context lengths into
//      shared memory (runtime/schedule/StreamKSchedule.h, evaluated on the device);
//   2. zero-fills the outputs of empty sequences (strided over CTAs);
//   3. walks its contiguous tile range segment by segment. Per segment, each warp
//      streams a strided share of the tokens (16-byte loads, `unroll` steps in flight),
//      keeping an online-softmax state for the GQA group's query heads; token groups of
//      a warp are merged with shuffles, warps through shared memory;
//   4. finishes by role: host+finishing writes the output; every other segment parks
//      its state in its workspace slot. in_kernel: it then adds 1 (acq_rel) to the
//      head's arrival counter, and the worker that arrives last merges the head's slots
//      in ascending worker order and writes the output — nobody waits. separate: the
//      merge kernel does that merge.
// Scores are in base 2: q is pre-scaled by scale * log2(e), one ex2.approx per score.
#include "passes/AttentionKernel.h"

#include "passes/KernelBuilder.h"
#include "runtime/abi/AttentionABI.h"
#include "runtime/schedule/CostModel.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>

using namespace mlir;

namespace tessel {

FailureOr<KernelLayout> chooseKernelLayout(const AttentionKernelSpec &spec,
                                           std::string &why) {
  int64_t bytes = spec.elementType.getIntOrFloatBitWidth() / 8;
  KernelLayout layout;
  layout.vecElems = 16 / bytes;
  int64_t group = spec.group();
  if (spec.qkDim % layout.vecElems || spec.vDim % layout.vecElems) {
    why = "head dims must be multiples of " + std::to_string(layout.vecElems) +
          " elements (16-byte rows)";
    return failure();
  }
  if (spec.qkDim > 512 || spec.vDim > 512) {
    why = "head dims above 512 are not supported";
    return failure();
  }
  // Layout rules, from the H200 measurements in docs/performance.md:
  //  - group <= 2 (MHA-like): one 16-byte load per lane per token (the most lanes per
  //    token): q and the accumulators cost few registers, the kernel fits 4 CTAs/SM
  //    and keeps 8 steps of loads in flight.
  //  - larger groups: the fewest lanes per token whose q + accumulators (group * (k+v)
  //    f32) fit 128 registers: fewer shuffles per token, which bind GQA kernels.
  // Raw K/V registers per iteration: 64 up to groups of 4, 32 beyond (no spills;
  // checked by ptxas in test/ptx). Software pipelining (the next iteration's loads in
  // flight while this one computes) holds twice that: it pays for group <= 2, whose
  // q and accumulators are small (H100: MHA 1x262144 3.09 -> 3.10 TB/s, 1x1024
  // 11.3 -> 10.5 us); a GQA-4 kernel would spill, and halving its unroll to pipeline
  // cost 1.2% at large KV for 3% at short contexts (docs/performance.md, v5).
  // GQA groups of 3..8 (f16/bf16): the group's Q·Kᵀ and P·V on tensor cores. The CUDA-core
  // kernels below spend G FMAs and G*log2(lanes) shuffles per element per token, which
  // made GQA-4/8 instruction-bound (ncu: 58% SM throughput, 88% of DRAM peak); one
  // m16n8k16 covers 8 tokens x 16 dims of a group of up to 8 heads. Lane r = lane/4 of
  // a warp loads K rows, lane q = lane%4 selects 16-byte chunks, so qk dims must be
  // multiples of 32 (4 lanes x 8) and v dims of 64 (8 lanes x 8).
  if (bytes == 2 && group > 2 && group <= 8 && spec.qkDim % 32 == 0 &&
      spec.vDim % 64 == 0 && spec.qkDim <= 256 && spec.vDim <= 256) {
    layout.tensorCores = true;
    layout.lanesPerToken = 4;
    layout.kPerLane = spec.qkDim / 4;
    layout.vPerLane = spec.vDim / 8;
    // One 16-token block per iteration, software-pipelined (the next block's loads in
    // flight while this one computes) when its raw K/V registers, (Dqk + Dv) / 4 per
    // lane, fit 64: D 128 -> 192 registers, 2 CTAs/SM. H100, gqa8 (docs/performance.md,
    // v8): pipelined 1 block beat 1, 2 and 4 blocks without pipelining by 1-20%; more
    // blocks per iteration held more registers without more bytes in flight.
    int64_t rawPerBlock = (spec.qkDim + spec.vDim) / 4;
    layout.unroll = 1;
    layout.pipelined = rawPerBlock <= 64;
    return layout;
  }
  auto fits = [&](int64_t lanes) {
    return spec.qkDim % (lanes * layout.vecElems) == 0 &&
           spec.vDim % (lanes * layout.vecElems) == 0 &&
           group * (spec.qkDim + spec.vDim) / lanes <= 128;
  };
  int64_t lanes = 0;
  if (group <= 2) {
    for (int64_t l = 32; l >= 1 && !lanes; l /= 2)
      if (fits(l))
        lanes = l;
  } else {
    for (int64_t l = 1; l <= 32 && !lanes; l *= 2)
      if (fits(l))
        lanes = l;
  }
  if (lanes) {
    int64_t k = spec.qkDim / lanes, v = spec.vDim / lanes;
    layout.lanesPerToken = lanes;
    layout.kPerLane = k;
    layout.vPerLane = v;
    int64_t rawRegs = group <= 4 ? 64 : 32;
    layout.pipelined = group <= 2;
    int64_t rawRegsPerToken = std::max<int64_t>(1, (k + v) * bytes / 4);
    layout.unroll = std::clamp<int64_t>(rawRegs / rawRegsPerToken, 1, 16);
    return layout;
  }
  why = "a GQA group of " + std::to_string(group) + " with head dims " +
        std::to_string(spec.qkDim) + "/" + std::to_string(spec.vDim) +
        " needs more than 128 registers per lane for q and the accumulators";
  return failure();
}

namespace {

using Values = KernelBuilder::Values;
using arith::CmpIPredicate;

constexpr float kLog2e = 1.4426950408889634f;

/// Per-thread slice of a merged softmax state: elements e = tid + k * kBlockThreads of
/// the [group, Dv] output of one KV head, each with its head's m and l.
struct ElementState {
  Values m, l, o;
};

class AttentionKernelEmitter {
public:
  AttentionKernelEmitter(ImplicitLocOpBuilder &ib, const AttentionKernelSpec &spec,
                         const KernelLayout &layout, LLVM::GlobalOp dynShared,
                         LLVM::GlobalOp warpState, LLVM::GlobalOp warpSums)
      : kb(ib), b(ib), spec(spec), layout(layout), dynShared(dynShared),
        warpState(warpState), warpSums(warpSums) {}

  void emitAttention(gpu::GPUFuncOp func);
  void emitMerge(gpu::GPUFuncOp func);

private:
  KernelBuilder kb;
  ImplicitLocOpBuilder &b;
  const AttentionKernelSpec &spec;
  const KernelLayout &layout;
  LLVM::GlobalOp dynShared, warpState, warpSums;

  // Values common to the kernel body.
  Value tid, lane, warp, batch, maxLen, lensGlobal, workspace, status, output;
  Value queryPtr, keyPtr, valuePtr;
  Value offsetsShared, lensShared; // i32 arrays in dynamic shared memory
  Value effectiveWorkers;          // min(grid, T) of this launch (attention kernel)

  int64_t group() const { return spec.group(); }
  int64_t elementsPerThread() const {
    return (group() * spec.vDim + abi::kBlockThreads - 1) / abi::kBlockThreads;
  }
  Type elemType() { return spec.elementType; }
  // Head-dim chunks are interleaved over a token's lanes: chunk c of lane `sub` holds
  // elements [(c * lanesPerToken + sub) * vecElems, +vecElems), so one 16-byte load
  // instruction of the token's lanes reads a contiguous span (whole 32-byte sectors).
  Value laneOffset(Value sub) { return kb.mul(sub, kb.c32(layout.vecElems)); }
  int64_t chunkStride(int64_t c) { return c * layout.lanesPerToken * layout.vecElems; }
  Type vecType() { return VectorType::get({layout.vecElems}, elemType()); }
  Type vecF32Type() { return VectorType::get({layout.vecElems}, kb.f32()); }

  Value sharedBase(LLVM::GlobalOp g) {
    return LLVM::AddressOfOp::create(b, kb.sharedPtr(), g.getSymName());
  }
  void commonPrologue();
  Value prefixSumTiles(bool reportClamps);
  Value workerBegin(Value total, Value workers, Value w);
  Value workerOfTile(Value total, Value workers, Value t);
  Value findSequence(Value t);
  void zeroFillEmptySequences(Value firstCta, Value stride);

  // Segment processing.
  Values loadQuery(Value seq, Value kvHead, Value sub);
  /// Loads q and streams the segment's tokens; returns the warp's per-token-group state.
  Values streamSegment(Value seq, Value kvHead, Value tokBegin, Value tokEnd, Value grp,
                       Value sub);
  Values mergeTokenGroups(Values state);
  /// Stores the warp's merged state (lanes of token group 0) to the warp-state rows.
  void storeWarpState(const Values &state, Value grp, Value sub);
  /// Tensor-core path: streams the segment and stores the warp's state to its rows.
  void streamSegmentMma(Value seq, Value kvHead, Value tokBegin, Value tokEnd);
  /// Merges the 4 warps' states (rows of m, l, 2 pad, o[Dv] per warp and head).
  ElementState combineWarpStates();
  int64_t warpStateRow() const { return spec.vDim + 4; } // o rows are 16-byte aligned
  void mergeStates(Value &m, Value &l, Value &o, Value m2, Value l2, Value o2);

  // Workspace.
  Value slotPtr(Value slot); // f32 pointer to the slot
  Value counterRegionWords(); // u32 words of one counter region (launched grid, padded)
  Value counterPtr(Value worker);      // head counters
  Value groupCounterPtr(Value worker); // arrival-group counters
  void writeSlot(const ElementState &s, Value slot);
  /// Merges the non-host slots of workers [first, last] into `s` in ascending order,
  /// loading kMergeBatch slots before merging them so their latencies overlap.
  ElementState mergeSlots(const ElementState &s, Value first, Value last,
                          int64_t stride = 1);
  void writeOutput(const ElementState &s, Value seq, Value kvHead);
  /// In-kernel fix-up of a split head whose participants are [hostWorker, last]: count
  /// this worker's arrival at its arrival group's counter; the group's last arrival
  /// merges the group — with one group, the head, and writes the output; else into the
  /// group's first slot, and counts the group at the head's counter, whose last arrival
  /// merges the groups and writes the output (association: StreamKSchedule.h). Nobody waits, so workers need
  /// not be co-resident.
  void arriveAndMergeIfLast(Value hostWorker, Value last, Value seq, Value kvHead);
  /// Counts one arrival of this CTA at `counter` (bar.sync, thread 0's acq_rel add,
  /// bar.sync); true in every thread when it brings the count to `participants`, which
  /// then resets the counter.
  Value arriveIsLast(Value counter, Value participants);
  /// The slot holding arrival group `groupFirst`'s partial: the host's slot for group 0.
  Value groupSlot(Value hostWorker, Value groupFirst, Value workers);
  /// Workers per arrival group of the head [hostWorker, last] (StreamKSchedule.h).
  Value arrivalGroupSize(Value hostWorker, Value last);
  /// Merges the slots of the group [groupFirst, groupLast] in ascending order.
  ElementState mergeGroup(Value hostWorker, Value groupFirst, Value groupLast, Value workers);
  /// The separate fix-up's merge of a split head — group by group, in the in-kernel
  /// association — and the output.
  void mergeSplitHead(Value hostWorker, Value last, Value workers, Value seq, Value kvHead);
  ElementState loadSlotState(Value slot);

  // Element e of this thread's k-th element; `valid` when e < group * Dv.
  Value elementIndex(int64_t k) { return kb.add(tid, kb.c32(k * abi::kBlockThreads)); }
  Value elementValid(int64_t k) {
    return kb.cmp(CmpIPredicate::ult, elementIndex(k), kb.c32(group() * spec.vDim));
  }
  Value clampedElement(int64_t k) {
    return kb.mins(elementIndex(k), kb.c32(group() * spec.vDim - 1));
  }
};

void AttentionKernelEmitter::commonPrologue() {
  tid = kb.threadIdX();
  lane = kb.andi(tid, kb.c32(31));
  warp = kb.divu(tid, kb.c32(32));
  offsetsShared = sharedBase(dynShared);
  lensShared = kb.gep(offsetsShared, kb.i32(), kb.add(batch, kb.c32(1)));
}

/// offsets[0..B] and clamped lengths in shared memory; returns T (same in all threads).
Value AttentionKernelEmitter::prefixSumTiles(bool reportClamps) {
  kb.ifThen(kb.cmp(CmpIPredicate::eq, tid, kb.c32(0)),
            [&] { kb.store(kb.c32(0), offsetsShared, 4); });
  Value sums = sharedBase(warpSums);
  Values total = kb.forLoop(
      kb.c32(0), batch, kb.c32(abi::kBlockThreads), ValueRange{kb.c32(0)},
      [&](Value base, ValueRange carry) -> Values {
        Value i = kb.add(base, tid);
        Value inBatch = kb.cmp(CmpIPredicate::slt, i, batch);
        Value safe = kb.mins(i, kb.sub(batch, kb.c32(1)));
        Value len = kb.load(kb.i32(), kb.gep(lensGlobal, kb.i32(), safe), 4);
        Value clamped = kb.mins(kb.maxs(len, kb.c32(0)), maxLen);
        if (reportClamps)
          kb.ifThen(kb.andi(inBatch, kb.cmp(CmpIPredicate::ne, len, clamped)), [&] {
            kb.atomicOr(status, kb.c32(abi::kStatusLengthClamped));
          });
        Value tiles = kb.mul(kb.c32(spec.kvHeads), kb.ceilDiv(clamped, spec.tile));
        Value x = kb.select(inBatch, tiles, kb.c32(0));
        // Inclusive warp scan.
        for (int64_t off = 1; off < 32; off *= 2) {
          auto [up, valid] = kb.shuffleUp(x, off);
          x = kb.select(valid, kb.add(x, up), x);
        }
        kb.ifThen(kb.cmp(CmpIPredicate::eq, lane, kb.c32(31)),
                  [&] { kb.store(x, kb.gep(sums, kb.i32(), warp), 4); });
        kb.barrier();
        Value before = kb.c32(0), all = kb.c32(0);
        for (int64_t w = 0; w < abi::kWarps; ++w) {
          Value s = kb.load(kb.i32(), kb.gep(sums, kb.i32(), kb.c32(w)), 4);
          before = kb.add(before, kb.select(kb.cmp(CmpIPredicate::ult, kb.c32(w), warp), s,
                                            kb.c32(0)));
          all = kb.add(all, s);
        }
        kb.ifThen(inBatch, [&] {
          Value incl = kb.add(carry[0], kb.add(before, x));
          kb.store(incl, kb.gep(offsetsShared, kb.i32(), kb.add(i, kb.c32(1))), 4);
          kb.store(clamped, kb.gep(lensShared, kb.i32(), i), 4);
        });
        kb.barrier();
        return {kb.add(carry[0], all)};
      });
  return total[0];
}

Value AttentionKernelEmitter::workerBegin(Value total, Value workers, Value w) {
  Value maxTiles = kb.divu(kb.add(total, kb.sub(workers, kb.c32(1))), workers);
  Value high = kb.sub(total, kb.mul(kb.sub(maxTiles, kb.c32(1)), workers));
  Value first = kb.mul(maxTiles, w);
  Value rest = kb.add(kb.mul(kb.sub(maxTiles, kb.c32(1)), w), high);
  Value begin = kb.select(kb.cmp(CmpIPredicate::slt, w, high), first, rest);
  return kb.select(kb.cmp(CmpIPredicate::eq, maxTiles, kb.c32(0)), kb.c32(0), begin);
}

Value AttentionKernelEmitter::workerOfTile(Value total, Value workers, Value t) {
  Value maxTiles = kb.divu(kb.add(total, kb.sub(workers, kb.c32(1))), workers);
  Value safeMax = kb.maxs(maxTiles, kb.c32(1));
  Value high = kb.sub(total, kb.mul(kb.sub(maxTiles, kb.c32(1)), workers));
  Value boundary = kb.mul(maxTiles, high);
  Value lower = kb.divu(t, safeMax);
  Value smaller = kb.maxs(kb.sub(maxTiles, kb.c32(1)), kb.c32(1)); // never divide by 0
  Value upper = kb.add(high, kb.divu(kb.sub(t, boundary), smaller));
  return kb.select(kb.cmp(CmpIPredicate::slt, t, boundary), lower, upper);
}

/// The sequence holding global tile t: the last b with offsets[b] <= t.
Value AttentionKernelEmitter::findSequence(Value t) {
  Values r = kb.whileLoop(
      ValueRange{kb.c32(0), batch},
      [&](ValueRange lohi) {
        return kb.cmp(CmpIPredicate::sgt, kb.sub(lohi[1], lohi[0]), kb.c32(1));
      },
      [&](ValueRange lohi) -> Values {
        Value mid = kb.divu(kb.add(lohi[0], lohi[1]), kb.c32(2));
        Value at = kb.load(kb.i32(), kb.gep(offsetsShared, kb.i32(), mid), 4);
        Value le = kb.cmp(CmpIPredicate::sle, at, t);
        return {kb.select(le, mid, lohi[0]), kb.select(le, lohi[1], mid)};
      });
  return r[0];
}

void AttentionKernelEmitter::zeroFillEmptySequences(Value firstCta, Value stride) {
  int64_t perSeq = spec.qHeads * spec.vDim;
  kb.forLoop(firstCta, batch, stride, {}, [&](Value seq, ValueRange) -> Values {
    Value len = kb.load(kb.i32(), kb.gep(lensShared, kb.i32(), seq), 4);
    kb.ifThen(kb.cmp(CmpIPredicate::eq, len, kb.c32(0)), [&] {
      Value zero = arith::ConstantOp::create(b, b.getFloatAttr(elemType(), 0.0));
      Value base = kb.mul(kb.toI64(seq), kb.c64(perSeq));
      kb.forLoop(tid, kb.c32(perSeq), kb.c32(abi::kBlockThreads), {},
                 [&](Value e, ValueRange) -> Values {
                   Value idx = kb.add(base, kb.toI64(e));
                   kb.store(zero, kb.gep(output, elemType(), idx), 2);
                   return {};
                 });
    });
    return {};
  });
}

Values AttentionKernelEmitter::loadQuery(Value seq, Value kvHead, Value sub) {
  Values q;
  Value qScale = kb.cf(spec.scale * kLog2e);
  Value scaleVec = vector::BroadcastOp::create(b, vecF32Type(), qScale);
  for (int64_t h = 0; h < group(); ++h) {
    Value head = kb.add(kb.mul(kvHead, kb.c32(group())), kb.c32(h));
    Value row = kb.add(kb.mul(kb.toI64(seq), kb.c64(spec.qHeads)), kb.toI64(head));
    Value base = kb.add(kb.mul(row, kb.c64(spec.qkDim)), kb.toI64(laneOffset(sub)));
    for (int64_t c = 0; c < layout.kPerLane / layout.vecElems; ++c) {
      Value p = kb.gep(queryPtr, elemType(), kb.add(base, kb.c64(chunkStride(c))));
      Value raw = kb.load(vecType(), p, 16);
      Value f = elemType().isF32() ? raw : arith::ExtFOp::create(b, vecF32Type(), raw);
      q.push_back(kb.fmul(f, scaleVec));
    }
  }
  return q;
}

void AttentionKernelEmitter::mergeStates(Value &m, Value &l, Value &o, Value m2, Value l2,
                                         Value o2) {
  // m = max(m, m2); a side with m = -inf contributes 0 (and both -inf stays empty).
  Value mx = kb.fmax(m, m2);
  Value safe = kb.select(kb.fcmp(arith::CmpFPredicate::OEQ, mx, kb.negInf()), kb.cf(0), mx);
  Value fa = kb.exp2(kb.fsub(m, safe));
  Value fb = kb.exp2(kb.fsub(m2, safe));
  l = kb.fadd(kb.fmul(l, fa), kb.fmul(l2, fb));
  if (auto vt = dyn_cast<VectorType>(o.getType())) {
    Value va = vector::BroadcastOp::create(b, vt, fa);
    Value vb = vector::BroadcastOp::create(b, vt, fb);
    o = kb.fadd(kb.fmul(o, va), kb.fmul(o2, vb));
  } else {
    o = kb.fadd(kb.fmul(o, fa), kb.fmul(o2, fb));
  }
  m = mx;
}

Values AttentionKernelEmitter::streamSegment(Value seq, Value kvHead, Value tokBegin,
                                             Value tokEnd, Value grp, Value sub) {
  const int64_t G = group(), tps = layout.tokensPerStep(), U = layout.unroll;
  const int64_t nK = layout.kPerLane / layout.vecElems, nV = layout.vPerLane / layout.vecElems;
  const int64_t nC = nK + nV, nState = 2 * G + G * nV;
  Value headRow = kb.mul(kb.add(kb.mul(kb.toI64(seq), kb.c64(spec.kvHeads)), kb.toI64(kvHead)),
                         kb.toI64(maxLen));
  Value laneElem = kb.toI64(laneOffset(sub));
  Value last = kb.sub(tokEnd, kb.c32(1));
  // Global addresses of the 16-byte K and V chunks of the U steps starting at token c0,
  // step-major: [k_0 .. k_{nK-1}, v_0 .. v_{nV-1}] per step. Tokens past the segment
  // read its last row (valid memory, cached by then); their scores are masked.
  auto chunkAddresses = [&](Value c0) -> Values {
    Values ptrs;
    for (int64_t u = 0; u < U; ++u) {
      Value tok = kb.add(c0, kb.add(kb.c32(u * tps), grp));
      Value row = kb.add(headRow, kb.toI64(kb.mins(tok, last)));
      Value kBase = kb.add(kb.mul(row, kb.c64(spec.qkDim)), laneElem);
      Value vBase = kb.add(kb.mul(row, kb.c64(spec.vDim)), laneElem);
      for (int64_t c = 0; c < nK; ++c)
        ptrs.push_back(kb.gep(keyPtr, elemType(), kb.add(kBase, kb.c64(chunkStride(c)))));
      for (int64_t c = 0; c < nV; ++c)
        ptrs.push_back(kb.gep(valuePtr, elemType(), kb.add(vBase, kb.c64(chunkStride(c)))));
    }
    return ptrs;
  };
  auto loadRegisters = [&](Value c0) -> Values {
    Values raw;
    for (Value p : chunkAddresses(c0))
      raw.push_back(kb.load(vecType(), p, 16));
    return raw;
  };
  Value start = kb.add(tokBegin, kb.mul(warp, kb.c32(tps * U)));
  Value step = kb.c32(abi::kWarps * tps * U);
  // Pipelined: the first loads are issued before q is loaded so that their latencies
  // overlap; then each iteration issues the next one's loads before computing on its
  // own, so a warp always has loads in flight.
  Values carried;
  if (layout.pipelined)
    carried = loadRegisters(start);
  Values q = loadQuery(seq, kvHead, sub);
  Values state;
  for (int64_t h = 0; h < G; ++h)
    state.push_back(kb.negInf());
  for (int64_t h = 0; h < G; ++h)
    state.push_back(kb.cf(0));
  Value zeroVec = arith::ConstantOp::create(
      b, DenseElementsAttr::get(cast<ShapedType>(vecF32Type()), b.getF32FloatAttr(0)));
  for (int64_t i = 0; i < G * nV; ++i)
    state.push_back(zeroVec);
  state.append(carried.begin(), carried.end());

  Values result = kb.forLoop(start, tokEnd, step, state, [&](Value c0, ValueRange st) -> Values {
    Values raw, nextCarried;
    if (layout.pipelined) {
      raw.assign(st.begin() + nState, st.end());
      nextCarried = loadRegisters(kb.add(c0, step));
    } else {
      raw = loadRegisters(c0);
    }
    auto widen = [&](Value r) -> Value {
      return elemType().isF32() ? r : arith::ExtFOp::create(b, vecF32Type(), r);
    };
    // Scores t = (scale * log2 e) q.k, summed over the token's lanes.
    SmallVector<Values> scores(U);
    for (int64_t u = 0; u < U; ++u) {
      Value valid =
          kb.cmp(CmpIPredicate::slt, kb.add(c0, kb.add(kb.c32(u * tps), grp)), tokEnd);
      Values kf;
      for (int64_t c = 0; c < nK; ++c)
        kf.push_back(widen(raw[u * nC + c]));
      for (int64_t h = 0; h < G; ++h) {
        Value acc = kb.fmul(q[h * nK], kf[0]);
        for (int64_t c = 1; c < nK; ++c)
          acc = vector::FMAOp::create(b, q[h * nK + c], kf[c], acc);
        Value sc = vector::ReductionOp::create(b, vector::CombiningKind::ADD, acc);
        for (int64_t off = 1; off < layout.lanesPerToken; off *= 2)
          sc = kb.fadd(sc, kb.shuffleXor(sc, off));
        scores[u].push_back(kb.select(valid, sc, kb.negInf()));
      }
    }
    SmallVector<Values> vf(U);
    for (int64_t u = 0; u < U; ++u)
      for (int64_t c = 0; c < nV; ++c)
        vf[u].push_back(widen(raw[u * nC + nK + c]));
    // Online softmax update, once per head per U tokens.
    Values next(st.begin(), st.begin() + nState);
    for (int64_t h = 0; h < G; ++h) {
      Value m = st[h], l = st[G + h];
      Value mx = m;
      for (int64_t u = 0; u < U; ++u)
        mx = kb.fmax(mx, scores[u][h]);
      Value safe =
          kb.select(kb.fcmp(arith::CmpFPredicate::OEQ, mx, kb.negInf()), kb.cf(0), mx);
      Value alpha = kb.exp2(kb.fsub(m, safe));
      Value alphaVec = vector::BroadcastOp::create(b, vecF32Type(), alpha);
      Value lNew = kb.fmul(l, alpha);
      Values oNew;
      for (int64_t c = 0; c < nV; ++c)
        oNew.push_back(kb.fmul(st[2 * G + h * nV + c], alphaVec));
      for (int64_t u = 0; u < U; ++u) {
        Value p = kb.exp2(kb.fsub(scores[u][h], safe));
        lNew = kb.fadd(lNew, p);
        Value pv = vector::BroadcastOp::create(b, vecF32Type(), p);
        for (int64_t c = 0; c < nV; ++c)
          oNew[c] = vector::FMAOp::create(b, pv, vf[u][c], oNew[c]);
      }
      next[h] = mx;
      next[G + h] = lNew;
      for (int64_t c = 0; c < nV; ++c)
        next[2 * G + h * nV + c] = oNew[c];
    }
    next.append(nextCarried.begin(), nextCarried.end());
    return next;
  });
  result.resize(nState);
  return result;
}

Values AttentionKernelEmitter::mergeTokenGroups(Values st) {
  const int64_t G = group(), nV = layout.vPerLane / layout.vecElems;
  for (int64_t off = layout.lanesPerToken; off < 32; off *= 2) {
    for (int64_t h = 0; h < G; ++h) {
      Value m2 = kb.shuffleXor(st[h], off);
      Value l2 = kb.shuffleXor(st[G + h], off);
      for (int64_t c = 0; c < nV; ++c) {
        Value o = st[2 * G + h * nV + c];
        Value o2 = o;
        for (int64_t i = 0; i < layout.vecElems; ++i) {
          Value x = vector::ExtractOp::create(b, o, ArrayRef<int64_t>{i});
          o2 = vector::InsertOp::create(b, kb.shuffleXor(x, off), o2, ArrayRef<int64_t>{i});
        }
        Value m = st[h], l = st[G + h];
        mergeStates(m, l, o, m2, l2, o2);
        st[2 * G + h * nV + c] = o;
        if (c + 1 == nV) {
          st[h] = m;
          st[G + h] = l;
        }
      }
    }
  }
  return st;
}

void AttentionKernelEmitter::storeWarpState(const Values &st, Value grp, Value sub) {
  const int64_t G = group(), nV = layout.vPerLane / layout.vecElems;
  const int64_t row = warpStateRow();
  Value ws = sharedBase(warpState);
  kb.ifThen(kb.cmp(CmpIPredicate::eq, grp, kb.c32(0)), [&] {
    for (int64_t h = 0; h < G; ++h) {
      Value base = kb.mul(kb.add(kb.mul(warp, kb.c32(G)), kb.c32(h)), kb.c32(row));
      kb.ifThen(kb.cmp(CmpIPredicate::eq, sub, kb.c32(0)), [&] {
        kb.store(st[h], kb.gep(ws, kb.f32(), base), 4);
        kb.store(st[G + h], kb.gep(ws, kb.f32(), kb.add(base, kb.c32(1))), 4);
      });
      Value oBase = kb.add(base, kb.add(kb.c32(4), laneOffset(sub)));
      for (int64_t c = 0; c < nV; ++c)
        kb.store(st[2 * G + h * nV + c],
                 kb.gep(ws, kb.f32(), kb.add(oBase, kb.c32(chunkStride(c)))), 16);
    }
  });
}

ElementState AttentionKernelEmitter::combineWarpStates() {
  const int64_t G = group(), row = warpStateRow();
  Value ws = sharedBase(warpState);
  kb.barrier();
  ElementState es;
  for (int64_t k = 0; k < elementsPerThread(); ++k) {
    Value e = clampedElement(k);
    Value h = kb.divu(e, kb.c32(spec.vDim)), d = kb.remu(e, kb.c32(spec.vDim));
    Value m, l, o;
    for (int64_t w = 0; w < abi::kWarps; ++w) {
      Value base = kb.mul(kb.add(kb.c32(w * G), h), kb.c32(row));
      Value wm = kb.load(kb.f32(), kb.gep(ws, kb.f32(), base), 4);
      Value wl = kb.load(kb.f32(), kb.gep(ws, kb.f32(), kb.add(base, kb.c32(1))), 4);
      Value wo = kb.load(kb.f32(),
                         kb.gep(ws, kb.f32(), kb.add(base, kb.add(kb.c32(4), d))), 4);
      if (w == 0) {
        m = wm, l = wl, o = wo;
        continue;
      }
      mergeStates(m, l, o, wm, wl, wo);
    }
    es.m.push_back(m);
    es.l.push_back(l);
    es.o.push_back(o);
  }
  kb.barrier(); // the next segment may overwrite the warp states
  return es;
}

// Tensor-core streaming of one segment (layout.tensorCores). Per 16-token block a warp
// computes S = Q Kᵀ as two m16n8k16 tiles per 16 dims (M: the group's heads, padded to
// 16 with zero rows; N: 8 tokens; K: head dims) and Oᵀ += Vᵀ Pᵀ as one tile per 16 v
// dims (M: v dims; N: the heads, padded to 8; K: the 16 tokens). With r = lane / 4 and
// q = lane % 4 the PTX fragments are:
//   Q (A, row-major):  reg0 = Q[r][k 2q..2q+1], reg2 = Q[r][k 2q+8..2q+9], reg1 = reg3 = 0
//   K (B, col-major):  reg0 = K[token r][k 2q..2q+1], reg1 = K[token r][k 2q+8..2q+9]
//   S (C):             c0, c1 = S[head r][token 2q, 2q+1] (c2, c3: padding rows)
//   Pᵀ (B):            reg0 = P[head r][token 2q, 2q+1], reg1 = tokens 2q+8, 2q+9 — the
//                      S fragments of the block's two 8-token tiles, rounded: no shuffles
//   Vᵀ (A):            reg0 = V[token 2q, 2q+1][dim row r], reg1 = the same tokens at
//                      row r+8, reg2/reg3 = tokens 2q+8, 2q+9
//   Oᵀ (C):            c0, c1 = O[head 2q, 2q+1][dim row r], c2, c3 at row r+8.
// Head dims are a contraction (Q Kᵀ) or an independent axis (Oᵀ rows), so each lane may
// hold any dims as long as both operands agree: lane q takes K's 16-byte chunks q, q+4,
// q+8, ... (chunk c covers k-slots 2q.., 2q+8.. of two 16-dim steps), and lane r takes V's
// chunks r, r+8, ... whose 32-bit registers are rows r (low half) and r+8 (high half) of
// consecutive m-tiles. Every load is 16 bytes and whole 32-byte sectors across the warp.
void AttentionKernelEmitter::streamSegmentMma(Value seq, Value kvHead, Value tokBegin,
                                              Value tokEnd) {
  const int64_t G = group(), U = layout.unroll;
  const int64_t kVecs = spec.qkDim / 32; // 16-byte K chunks per lane per token
  const int64_t vVecs = spec.vDim / 64;  // 16-byte V chunks per lane per token
  const int64_t kSteps = spec.qkDim / 16, mTiles = spec.vDim / 16;
  const int64_t elems = layout.vecElems; // 8
  Type i32x4 = VectorType::get({4}, kb.i32());
  Type elem = elemType();
  Value r = kb.divu(lane, kb.c32(4)), q = kb.remu(lane, kb.c32(4));
  Value zero = kb.c32(0);
  auto reg = [&](Value vec, int64_t i) -> Value {
    return vector::ExtractOp::create(b, vec, ArrayRef<int64_t>{i});
  };

  // Q fragments: qa[2 * step] = reg0, qa[2 * step + 1] = reg2 of k-step `step`; rows
  // r >= G are the zero padding.
  Value qHead = kb.add(kb.mul(kvHead, kb.c32(G)), kb.mins(r, kb.c32(G - 1)));
  Value qRow = kb.add(kb.mul(kb.toI64(seq), kb.c64(spec.qHeads)), kb.toI64(qHead));
  Value isHead = kb.cmp(CmpIPredicate::ult, r, kb.c32(G));
  Values qa;
  for (int64_t v = 0; v < kVecs; ++v) {
    Value off = kb.toI64(kb.mul(kb.add(kb.c32(4 * v), q), kb.c32(elems)));
    Value x = kb.load(i32x4, kb.gep(queryPtr, elem, kb.add(kb.mul(qRow, kb.c64(spec.qkDim)), off)), 16);
    for (int64_t c = 0; c < 4; ++c)
      qa.push_back(kb.select(isHead, reg(x, c), zero));
  }

  Value headRow = kb.mul(kb.add(kb.mul(kb.toI64(seq), kb.c64(spec.kvHeads)), kb.toI64(kvHead)),
                         kb.toI64(maxLen));
  Value last = kb.sub(tokEnd, kb.c32(1));
  // Tokens past the segment read its last row (valid memory); their scores are masked.
  auto rowOf = [&](Value tok) { return kb.add(headRow, kb.toI64(kb.mins(tok, last))); };
  auto loadK = [&](Value tok, int64_t v) {
    Value off = kb.toI64(kb.mul(kb.add(kb.c32(4 * v), q), kb.c32(elems)));
    Value idx = kb.add(kb.mul(rowOf(tok), kb.c64(spec.qkDim)), off);
    return kb.load(i32x4, kb.gep(keyPtr, elem, idx), 16);
  };
  auto loadV = [&](Value tok, int64_t u) {
    Value off = kb.toI64(kb.mul(kb.add(kb.c32(8 * u), r), kb.c32(elems)));
    Value idx = kb.add(kb.mul(rowOf(tok), kb.c64(spec.vDim)), off);
    return kb.load(i32x4, kb.gep(valuePtr, elem, idx), 16);
  };

  const float scaleLog2 = spec.scale * kLog2e;
  const int64_t blockTokens = 16, iterTokens = blockTokens * U;
  Value start = kb.add(tokBegin, kb.mul(warp, kb.c32(iterTokens)));
  Value step = kb.c32(abi::kWarps * iterTokens);
  // Carried: m (head r, base-2 scaled scores), l (this lane's tokens of head r), Oᵀ.
  Values init{kb.negInf(), kb.cf(0)};
  for (int64_t i = 0; i < 4 * mTiles; ++i)
    init.push_back(kb.cf(0));
  // The iteration's loads, block by block: K rows r and 8 + r (kVecs chunks each), then
  // V rows 2q, 2q + 1, 2q + 8, 2q + 9 (vVecs chunks each).
  const int64_t perBlock = 2 * kVecs + 4 * vVecs;
  auto loadBlocks = [&](Value c0) -> Values {
    Values raw;
    const int64_t vTok[4] = {0, 1, 8, 9};
    for (int64_t k = 0; k < U; ++k) {
      Value base = kb.add(c0, kb.c32(k * blockTokens));
      for (int64_t j = 0; j < 2; ++j)
        for (int64_t v = 0; v < kVecs; ++v)
          raw.push_back(loadK(kb.add(base, kb.add(r, kb.c32(8 * j))), v));
      for (int64_t t = 0; t < 4; ++t)
        for (int64_t u = 0; u < vVecs; ++u)
          raw.push_back(loadV(kb.add(base, kb.add(kb.mul(q, kb.c32(2)), kb.c32(vTok[t]))), u));
    }
    return raw;
  };
  const int64_t nState = init.size();
  // Pipelined: the next iteration's loads are issued before this one computes.
  if (layout.pipelined)
    init.append(loadBlocks(start));
  Values result = kb.forLoop(start, tokEnd, step, init, [&](Value c0, ValueRange st) -> Values {
    Values raw, nextRaw;
    if (layout.pipelined) {
      raw.assign(st.begin() + nState, st.end());
      nextRaw = loadBlocks(kb.add(c0, step));
    } else {
      raw = loadBlocks(c0);
    }
    auto kChunk = [&](int64_t k, int64_t j, int64_t v) { return raw[k * perBlock + j * kVecs + v]; };
    auto vChunk = [&](int64_t k, int64_t t, int64_t u) {
      return raw[k * perBlock + 2 * kVecs + t * vVecs + u];
    };
    // Scores s[k][2 * j + e] of tokens c0 + 16k + 8j + 2q + e for head r, base 2.
    SmallVector<Values> s(U);
    Value rawMax = kb.negInf();
    for (int64_t k = 0; k < U; ++k)
      for (int64_t j = 0; j < 2; ++j) {
        Values acc{kb.cf(0), kb.cf(0), kb.cf(0), kb.cf(0)};
        for (int64_t ks = 0; ks < kSteps; ++ks) {
          Value chunk = kChunk(k, j, ks / 2);
          int64_t half = 2 * (ks % 2);
          acc = kb.mmaM16N8K16(elem, {qa[2 * ks], zero, qa[2 * ks + 1], zero},
                               {reg(chunk, half), reg(chunk, half + 1)}, acc);
        }
        for (int64_t e = 0; e < 2; ++e) {
          Value tok = kb.add(c0, kb.add(kb.mul(q, kb.c32(2)), kb.c32(16 * k + 8 * j + e)));
          Value valid = kb.cmp(CmpIPredicate::slt, tok, tokEnd);
          Value sc = kb.select(valid, kb.fmul(acc[e], kb.cf(scaleLog2)), kb.negInf());
          s[k].push_back(sc);
          rawMax = kb.fmax(rawMax, sc);
        }
      }
    // Online softmax for head r: the 4 lanes of a row hold its 16U scores.
    for (int64_t off = 1; off < 4; off *= 2)
      rawMax = kb.fmax(rawMax, kb.shuffleXor(rawMax, off));
    Value m = st[0], l = st[1];
    Value mx = kb.fmax(m, rawMax);
    Value safe = kb.select(kb.fcmp(arith::CmpFPredicate::OEQ, mx, kb.negInf()), kb.cf(0), mx);
    Value alpha = kb.exp2(kb.fsub(m, safe));
    Value lNew = kb.fmul(l, alpha);
    SmallVector<Values> p(U);
    for (int64_t k = 0; k < U; ++k)
      for (Value sc : s[k]) {
        Value e = kb.exp2(kb.fsub(sc, safe));
        lNew = kb.fadd(lNew, e);
        p[k].push_back(e);
      }
    // Oᵀ columns are heads 2q and 2q + 1, whose alphas live in lanes 8q and 8q + 4.
    Value lane8q = kb.mul(q, kb.c32(8));
    Value alphaLo = kb.shuffleIdx(alpha, lane8q);
    Value alphaHi = kb.shuffleIdx(alpha, kb.add(lane8q, kb.c32(4)));
    Values o(st.begin() + 2, st.begin() + nState);
    for (int64_t i = 0; i < mTiles; ++i)
      for (int64_t c = 0; c < 4; ++c)
        o[4 * i + c] = kb.fmul(o[4 * i + c], c % 2 ? alphaHi : alphaLo);
    for (int64_t k = 0; k < U; ++k) {
      Value b0 = kb.packHalves(elem, p[k][0], p[k][1]);
      Value b1 = kb.packHalves(elem, p[k][2], p[k][3]);
      for (int64_t i = 0; i < mTiles; ++i) {
        Value x[4];
        for (int64_t t = 0; t < 4; ++t)
          x[t] = reg(vChunk(k, t, i / 4), i % 4);
        Values a{kb.permuteBytes(x[0], x[1], 0x5410), kb.permuteBytes(x[0], x[1], 0x7632),
                 kb.permuteBytes(x[2], x[3], 0x5410), kb.permuteBytes(x[2], x[3], 0x7632)};
        Values d = kb.mmaM16N8K16(elem, a, {b0, b1},
                                  ValueRange(o).slice(4 * i, 4));
        for (int64_t c = 0; c < 4; ++c)
          o[4 * i + c] = d[c];
      }
    }
    Values next{mx, lNew};
    next.append(o.begin(), o.end());
    next.append(nextRaw.begin(), nextRaw.end());
    return next;
  });

  // The warp's state: m is uniform over a row's lanes, l is summed over them.
  Value m = result[0], l = result[1];
  for (int64_t off = 1; off < 4; off *= 2)
    l = kb.fadd(l, kb.shuffleXor(l, off));
  const int64_t row = warpStateRow();
  Value ws = sharedBase(warpState);
  auto rowBase = [&](Value h) { return kb.mul(kb.add(kb.mul(warp, kb.c32(G)), h), kb.c32(row)); };
  kb.ifThen(kb.andi(kb.cmp(CmpIPredicate::eq, q, zero), isHead), [&] {
    kb.store(m, kb.gep(ws, kb.f32(), rowBase(r)), 4);
    kb.store(l, kb.gep(ws, kb.f32(), kb.add(rowBase(r), kb.c32(1))), 4);
  });
  Type f32x4 = VectorType::get({4}, kb.f32());
  for (int64_t e = 0; e < 2; ++e) {
    Value h = kb.add(kb.mul(q, kb.c32(2)), kb.c32(e));
    kb.ifThen(kb.cmp(CmpIPredicate::ult, h, kb.c32(G)), [&] {
      Value oBase = kb.add(rowBase(h), kb.c32(4));
      for (int64_t u = 0; u < vVecs; ++u) {
        // V chunk 8u + r: dims (8u + r) * 8 + 2c (row r of m-tile 4u + c) and + 1 (row r + 8).
        Values dims;
        for (int64_t c = 0; c < 4; ++c) {
          dims.push_back(result[2 + 4 * (4 * u + c) + e]);
          dims.push_back(result[2 + 4 * (4 * u + c) + 2 + e]);
        }
        Value first = kb.add(oBase, kb.mul(kb.add(kb.c32(8 * u), r), kb.c32(elems)));
        for (int64_t half = 0; half < 2; ++half) {
          Value vec = vector::FromElementsOp::create(
              b, f32x4, ValueRange(dims).slice(4 * half, 4));
          kb.store(vec, kb.gep(ws, kb.f32(), kb.add(first, kb.c32(4 * half))), 16);
        }
      }
    });
  }
}

Value AttentionKernelEmitter::counterRegionWords() {
  // Sized by the launched grid (the runtime's workspace layout), not by this launch's
  // effective worker count: slots must not move with the lengths, or a short launch's
  // slots would overwrite the counters of a later, longer one.
  return kb.mul(kb.ceilDiv(kb.gridDimX(), 4), kb.c32(4));
}

Value AttentionKernelEmitter::counterPtr(Value worker) {
  return kb.gep(workspace, kb.i32(), worker);
}

Value AttentionKernelEmitter::groupCounterPtr(Value worker) {
  return kb.gep(workspace, kb.i32(), kb.add(counterRegionWords(), worker));
}

Value AttentionKernelEmitter::slotPtr(Value slot) {
  Value counterWords = spec.inKernelFixup ? kb.mul(counterRegionWords(), kb.c32(2)) : kb.c32(0);
  Value index = kb.add(kb.toI64(counterWords),
                       kb.mul(kb.toI64(slot), kb.c64(abi::slotFloats(group(), spec.vDim))));
  return kb.gep(workspace, kb.f32(), index);
}

void AttentionKernelEmitter::writeSlot(const ElementState &s, Value slot) {
  Value p = slotPtr(slot);
  const int64_t G = group();
  for (int64_t k = 0; k < elementsPerThread(); ++k) {
    kb.ifThen(elementValid(k), [&] {
      Value e = elementIndex(k);
      Value h = kb.divu(e, kb.c32(spec.vDim)), d = kb.remu(e, kb.c32(spec.vDim));
      kb.store(s.o[k], kb.gep(p, kb.f32(), kb.add(kb.c32(2 * G), e)), 4);
      kb.ifThen(kb.cmp(CmpIPredicate::eq, d, kb.c32(0)), [&] {
        kb.store(s.m[k], kb.gep(p, kb.f32(), h), 4);
        kb.store(s.l[k], kb.gep(p, kb.f32(), kb.add(kb.c32(G), h)), 4);
      });
    });
  }
}

ElementState AttentionKernelEmitter::loadSlotState(Value slot) {
  Value p = slotPtr(slot);
  const int64_t G = group();
  ElementState s;
  for (int64_t k = 0; k < elementsPerThread(); ++k) {
    Value e = clampedElement(k);
    Value h = kb.divu(e, kb.c32(spec.vDim));
    s.m.push_back(kb.load(kb.f32(), kb.gep(p, kb.f32(), h), 4));
    s.l.push_back(kb.load(kb.f32(), kb.gep(p, kb.f32(), kb.add(kb.c32(G), h)), 4));
    s.o.push_back(kb.load(kb.f32(), kb.gep(p, kb.f32(), kb.add(kb.c32(2 * G), e)), 4));
  }
  return s;
}

// Flattens an ElementState for scf iter_args and back.
static Values flatten(const ElementState &s) {
  Values v(s.m);
  v.append(s.l.begin(), s.l.end());
  v.append(s.o.begin(), s.o.end());
  return v;
}
static ElementState unflatten(ValueRange v) {
  size_t n = v.size() / 3;
  ElementState s;
  s.m.assign(v.begin(), v.begin() + n);
  s.l.assign(v.begin() + n, v.begin() + 2 * n);
  s.o.assign(v.begin() + 2 * n, v.end());
  return s;
}

// The cost model charges one round trip per batch (runtime/schedule/CostModel.h).
constexpr int64_t kMergeBatch = schedule::kFixupMergeBatch;

ElementState AttentionKernelEmitter::mergeSlots(const ElementState &s, Value first,
                                                Value last, int64_t stride) {
  Values merged = kb.forLoop(
      first, kb.add(last, kb.c32(1)), kb.c32(kMergeBatch * stride), flatten(s),
      [&](Value j0, ValueRange carried) -> Values {
        // Issue every load of the batch, then merge: one latency per batch, not per
        // slot. Slots past `last` are read clamped and replaced by the identity state,
        // whose merge leaves the state bitwise unchanged.
        SmallVector<ElementState> batch;
        SmallVector<Value> valid;
        for (int64_t u = 0; u < kMergeBatch; ++u) {
          Value j = kb.add(j0, kb.c32(u * stride));
          valid.push_back(kb.cmp(CmpIPredicate::sle, j, last));
          batch.push_back(loadSlotState(kb.mins(j, last)));
        }
        ElementState st = unflatten(carried);
        for (int64_t u = 0; u < kMergeBatch; ++u)
          for (size_t k = 0; k < st.m.size(); ++k) {
            Value m2 = kb.select(valid[u], batch[u].m[k], kb.negInf());
            Value l2 = kb.select(valid[u], batch[u].l[k], kb.cf(0));
            Value o2 = kb.select(valid[u], batch[u].o[k], kb.cf(0));
            mergeStates(st.m[k], st.l[k], st.o[k], m2, l2, o2);
          }
        return flatten(st);
      });
  return unflatten(merged);
}

void AttentionKernelEmitter::writeOutput(const ElementState &s, Value seq, Value kvHead) {
  for (int64_t k = 0; k < elementsPerThread(); ++k) {
    kb.ifThen(elementValid(k), [&] {
      Value e = elementIndex(k);
      Value h = kb.divu(e, kb.c32(spec.vDim)), d = kb.remu(e, kb.c32(spec.vDim));
      Value head = kb.add(kb.mul(kvHead, kb.c32(group())), h);
      Value row = kb.add(kb.mul(kb.toI64(seq), kb.c64(spec.qHeads)), kb.toI64(head));
      Value idx = kb.add(kb.mul(row, kb.c64(spec.vDim)), kb.toI64(d));
      Value empty = kb.fcmp(arith::CmpFPredicate::OEQ, s.l[k], kb.cf(0));
      Value val = kb.select(empty, kb.cf(0), kb.fdiv(s.o[k], s.l[k]));
      if (!elemType().isF32())
        val = arith::TruncFOp::create(b, elemType(), val);
      unsigned bytes = elemType().getIntOrFloatBitWidth() / 8;
      kb.store(val, kb.gep(output, elemType(), idx), bytes);
    });
  }
}

Value AttentionKernelEmitter::arriveIsLast(Value counter, Value participants) {
  // The barrier orders every thread's slot stores before thread 0's acq_rel add
  // (cumulative release); the add's acquire half, on the final count, makes every
  // earlier participant's slots visible, and the second barrier passes that on to the
  // CTA (the CUTLASS semaphore pattern, without the spin).
  kb.barrier();
  Value cell = sharedBase(warpSums); // free after the prefix sum
  kb.ifThen(kb.cmp(CmpIPredicate::eq, tid, kb.c32(0)), [&] {
    kb.store(kb.atomicAddAcqRel(counter, kb.c32(1)), cell, 4);
  });
  kb.barrier();
  Value arrived = kb.add(kb.load(kb.i32(), cell, 4), kb.c32(1));
  Value isLast = kb.cmp(CmpIPredicate::eq, arrived, participants);
  // Everyone has arrived: nothing else touches the counter in this launch.
  kb.ifThen(kb.andi(isLast, kb.cmp(CmpIPredicate::eq, tid, kb.c32(0))),
            [&] { kb.store(kb.c32(0), counter, 4); });
  return isLast;
}

Value AttentionKernelEmitter::groupSlot(Value hostWorker, Value groupFirst, Value workers) {
  return kb.select(kb.cmp(CmpIPredicate::eq, groupFirst, hostWorker),
                   kb.add(workers, hostWorker), groupFirst);
}

Value AttentionKernelEmitter::arrivalGroupSize(Value hostWorker, Value last) {
  Value participants = kb.add(kb.sub(last, hostWorker), kb.c32(1));
  return kb.select(
      kb.cmp(CmpIPredicate::sle, participants, kb.c32(schedule::kSingleGroupMax)),
      participants, kb.c32(schedule::kArrivalGroup));
}

ElementState AttentionKernelEmitter::mergeGroup(Value hostWorker, Value groupFirst,
                                                Value groupLast, Value workers) {
  return mergeSlots(loadSlotState(groupSlot(hostWorker, groupFirst, workers)),
                    kb.add(groupFirst, kb.c32(1)), groupLast);
}

void AttentionKernelEmitter::arriveAndMergeIfLast(Value hostWorker, Value last, Value seq,
                                                  Value kvHead) {
  Value workers = effectiveWorkers, cta = kb.blockIdX();
  Value size = arrivalGroupSize(hostWorker, last);
  Value groupFirst = kb.add(hostWorker, kb.mul(kb.divu(kb.sub(cta, hostWorker), size), size));
  Value groupLast = kb.mins(kb.add(groupFirst, kb.sub(size, kb.c32(1))), last);
  Value oneGroup = kb.cmp(CmpIPredicate::eq, size, kb.add(kb.sub(last, hostWorker), kb.c32(1)));
  // A one-worker group (the head's last worker alone) is complete on arrival.
  Value alone = kb.cmp(CmpIPredicate::eq, groupFirst, groupLast);
  Value groupDone = kb.ifElse(
      alone, [&]() -> Values { return {alone}; },
      [&]() -> Values {
        return {arriveIsLast(groupCounterPtr(groupFirst),
                             kb.add(kb.sub(groupLast, groupFirst), kb.c32(1)))};
      })[0];
  kb.ifThen(groupDone, [&] {
    kb.ifElse(
        oneGroup,
        [&]() -> Values {
          writeOutput(mergeGroup(hostWorker, groupFirst, groupLast, workers), seq, kvHead);
          return {};
        },
        [&]() -> Values {
          kb.ifThen(kb.cmp(CmpIPredicate::ne, groupFirst, groupLast), [&] {
            ElementState merged = mergeGroup(hostWorker, groupFirst, groupLast, workers);
            // The merged group overwrites its first slot, whose m and l every thread of
            // the head has just read: no thread may store before all have loaded. (Found
            // by compute-sanitizer racecheck's warp scheduling — a warp running ahead
            // stored the merged m, l before another warp loaded the old ones.)
            kb.barrier();
            writeSlot(merged, groupSlot(hostWorker, groupFirst, workers));
          });
          Value groups = kb.add(
              kb.divu(kb.sub(last, hostWorker), kb.c32(schedule::kArrivalGroup)), kb.c32(1));
          kb.ifThen(arriveIsLast(counterPtr(hostWorker), groups), [&] {
            // Group 0's slot is the host's; the others' are their first workers'.
            ElementState merged = mergeSlots(
                loadSlotState(kb.add(workers, hostWorker)),
                kb.add(hostWorker, kb.c32(schedule::kArrivalGroup)), last,
                schedule::kArrivalGroup);
            writeOutput(merged, seq, kvHead);
          });
          return {};
        });
  });
}

void AttentionKernelEmitter::mergeSplitHead(Value hostWorker, Value last, Value workers,
                                            Value seq, Value kvHead) {
  Value size = arrivalGroupSize(hostWorker, last);
  auto groupLastOf = [&](Value first) {
    return kb.mins(kb.add(first, kb.sub(size, kb.c32(1))), last);
  };
  ElementState total = mergeGroup(hostWorker, hostWorker, groupLastOf(hostWorker), workers);
  Values merged = kb.forLoop(
      kb.add(hostWorker, size), kb.add(last, kb.c32(1)), size, flatten(total),
      [&](Value groupFirst, ValueRange carried) -> Values {
        ElementState st = unflatten(carried);
        ElementState g = mergeGroup(hostWorker, groupFirst, groupLastOf(groupFirst), workers);
        for (size_t k = 0; k < st.m.size(); ++k)
          mergeStates(st.m[k], st.l[k], st.o[k], g.m[k], g.l[k], g.o[k]);
        return flatten(st);
      });
  writeOutput(unflatten(merged), seq, kvHead);
}

void AttentionKernelEmitter::emitAttention(gpu::GPUFuncOp func) {
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  auto args = entry.getArguments();
  queryPtr = args[0], keyPtr = args[1], valuePtr = args[2], lensGlobal = args[3];
  output = args[4], workspace = args[5], status = args[6], batch = args[7], maxLen = args[8];
  commonPrologue();
  Value total = prefixSumTiles(/*reportClamps=*/true);
  Value cta = kb.blockIdX(), grid = kb.gridDimX();
  zeroFillEmptySequences(cta, grid);

  Value workers = kb.mins(grid, kb.maxs(total, kb.c32(1)));
  effectiveWorkers = workers;
  Value active = kb.cmp(CmpIPredicate::slt, cta, workers);
  Value begin = kb.select(active, workerBegin(total, workers, cta), kb.c32(0));
  Value end = kb.select(active, workerBegin(total, workers, kb.add(cta, kb.c32(1))),
                        kb.c32(0));
  Value grp = kb.divu(lane, kb.c32(layout.lanesPerToken));
  Value sub = kb.remu(lane, kb.c32(layout.lanesPerToken));

  kb.whileLoop(
      ValueRange{begin},
      [&](ValueRange t) { return kb.cmp(CmpIPredicate::slt, t[0], end); },
      [&](ValueRange tv) -> Values {
        Value t = tv[0];
        Value seq = findSequence(t);
        Value len = kb.load(kb.i32(), kb.gep(lensShared, kb.i32(), seq), 4);
        Value nt = kb.ceilDiv(len, spec.tile);
        Value seqBegin = kb.load(kb.i32(), kb.gep(offsetsShared, kb.i32(), seq), 4);
        Value local = kb.sub(t, seqBegin);
        Value kvHead = kb.divu(local, nt), tileInHead = kb.remu(local, nt);
        Value headEnd = kb.add(kb.sub(t, tileInHead), nt);
        Value segEnd = kb.mins(end, headEnd);
        Value host = kb.cmp(CmpIPredicate::eq, tileInHead, kb.c32(0));
        Value finishing = kb.cmp(CmpIPredicate::eq, segEnd, headEnd);
        Value tokBegin = kb.mul(tileInHead, kb.c32(spec.tile));
        Value tokEnd = kb.mins(
            kb.mul(kb.add(tileInHead, kb.sub(segEnd, t)), kb.c32(spec.tile)), len);

        if (layout.tensorCores) {
          streamSegmentMma(seq, kvHead, tokBegin, tokEnd);
        } else {
          Values st = streamSegment(seq, kvHead, tokBegin, tokEnd, grp, sub);
          storeWarpState(mergeTokenGroups(st), grp, sub);
        }
        ElementState es = combineWarpStates();

        kb.ifElse(
            kb.andi(host, finishing),
            [&]() -> Values {
              writeOutput(es, seq, kvHead);
              return {};
            },
            [&]() -> Values {
              // A split head: park this partial in the worker's slot (host: W + w,
              // others: w). The separate fix-up's merge kernel takes it from there.
              writeSlot(es, kb.select(host, kb.add(workers, cta), cta));
              if (spec.inKernelFixup) {
                Value headBegin = kb.sub(t, tileInHead);
                Value hostWorker = kb.select(host, cta, workerOfTile(total, workers, headBegin));
                Value last = workerOfTile(total, workers, kb.sub(headEnd, kb.c32(1)));
                arriveAndMergeIfLast(hostWorker, last, seq, kvHead);
              }
              return {};
            });
        return {segEnd};
      });
  gpu::ReturnOp::create(b);
}

void AttentionKernelEmitter::emitMerge(gpu::GPUFuncOp func) {
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  auto args = entry.getArguments();
  lensGlobal = args[0], output = args[1], workspace = args[2], batch = args[3];
  maxLen = args[4];
  Value launched = args[5];
  commonPrologue();
  Value total = prefixSumTiles(/*reportClamps=*/false);
  Value cta = kb.blockIdX();
  Value seq = kb.divu(cta, kb.c32(spec.kvHeads));
  Value kvHead = kb.remu(cta, kb.c32(spec.kvHeads));
  kb.ifThen(kb.cmp(CmpIPredicate::slt, seq, batch), [&] {
    Value len = kb.load(kb.i32(), kb.gep(lensShared, kb.i32(), seq), 4);
    Value nt = kb.ceilDiv(len, spec.tile);
    Value workers = kb.mins(launched, kb.maxs(total, kb.c32(1)));
    kb.ifThen(kb.cmp(CmpIPredicate::sgt, nt, kb.c32(0)), [&] {
      Value seqBegin = kb.load(kb.i32(), kb.gep(offsetsShared, kb.i32(), seq), 4);
      Value headBegin = kb.add(seqBegin, kb.mul(kvHead, nt));
      Value first = workerOfTile(total, workers, headBegin);
      Value last =
          workerOfTile(total, workers, kb.sub(kb.add(headBegin, nt), kb.c32(1)));
      kb.ifThen(kb.cmp(CmpIPredicate::slt, first, last),
                [&] { mergeSplitHead(first, last, workers, seq, kvHead); });
    });
  });
  gpu::ReturnOp::create(b);
}

} // namespace

void emitAttentionKernels(gpu::GPUModuleOp module, Location loc,
                          const AttentionKernelSpec &spec, const KernelLayout &layout) {
  MLIRContext *ctx = module.getContext();
  OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
  ImplicitLocOpBuilder b(loc, mb);
  auto i8 = IntegerType::get(ctx, 8);
  // Shared memory: dynamic (tile offsets + clamped lengths), per-warp states, warp sums.
  auto dyn = LLVM::GlobalOp::create(b, LLVM::LLVMArrayType::get(i8, 0), false,
                                    LLVM::Linkage::External, spec.name + "_dyn_smem",
                                    Attribute(), 16, 3);
  int64_t stateFloats = abi::kWarps * spec.group() * (spec.vDim + 4);
  auto state = LLVM::GlobalOp::create(b, LLVM::LLVMArrayType::get(Float32Type::get(ctx),
                                                                  stateFloats),
                                      false, LLVM::Linkage::Internal,
                                      spec.name + "_warp_states", Attribute(), 16, 3);
  auto sums = LLVM::GlobalOp::create(b, LLVM::LLVMArrayType::get(IntegerType::get(ctx, 32),
                                                                 abi::kWarps),
                                     false, LLVM::Linkage::Internal,
                                     spec.name + "_warp_sums", Attribute(), 16, 3);

  Type gptr = LLVM::LLVMPointerType::get(ctx, 1);
  Type i32 = IntegerType::get(ctx, 32);
  auto makeKernel = [&](StringRef name, ArrayRef<Type> params) {
    auto type = FunctionType::get(ctx, params, {});
    auto func = gpu::GPUFuncOp::create(b, loc, name, type);
    func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), UnitAttr::get(ctx));
    func.setKnownBlockSizeAttr(
        DenseI32ArrayAttr::get(ctx, {abi::kBlockThreads, 1, 1}));
    return func;
  };
  {
    auto func = makeKernel(spec.name + "_attention",
                           {gptr, gptr, gptr, gptr, gptr, gptr, gptr, i32, i32});
    OpBuilder::InsertionGuard guard(b);
    AttentionKernelEmitter(b, spec, layout, dyn, state, sums).emitAttention(func);
  }
  if (!spec.inKernelFixup) {
    auto func = makeKernel(spec.name + "_merge", {gptr, gptr, gptr, i32, i32, i32});
    OpBuilder::InsertionGuard guard(b);
    AttentionKernelEmitter(b, spec, layout, dyn, state, sums).emitMerge(func);
  }
}

} // namespace tessel
