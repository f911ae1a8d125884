// The stream-K decode-attention kernel, written as MLIR.
//
// One CTA is one stream-K worker (block of abi::kBlockThreads threads, 4 warps). Per
// launch:
//   1. every CTA prefix-sums the heads' spans (tiles of the clamped context lengths, plus
//      one pad unit per non-empty head when B x Hkv >= the grid) into shared memory
//      (runtime/schedule/StreamKSchedule.h, evaluated on the device);
//   2. zero-fills the outputs of empty sequences (strided over CTAs);
//   3. walks its contiguous range of units segment by segment (skipping a pad it starts
//      in). Per segment, each warp streams a strided share of the tokens (16-byte loads,
//      `unroll` steps in flight), keeping an online-softmax state for the GQA group's
//      query heads; token groups of a warp are merged with shuffles, warps through
//      shared memory;
//   4. finishes by role: host+finishing writes the output; every other segment parks
//      its state in its workspace slot. in_kernel: it then adds 1 (acq_rel) to its
//      arrival group's counter; the group's last arrival merges the group, and the last
//      group merges the head and writes the output — nobody waits. separate: the merge
//      kernel does the same merges.
// Scores are in base 2 (scale * log2(e) folded in), one ex2.approx per score.
// This file: the layout choice, the prologue and the device-side schedule, the warp
// combine and the kernels' entry points; the streaming loops and the fix-up live in
// AttentionCudaCoreStream.cpp, AttentionTensorCoreStream.cpp and AttentionFixup.cpp
// (one emitter class, AttentionKernelEmitter.h).
#include "passes/AttentionKernel.h"

#include "passes/AttentionKernelEmitter.h"
#include "runtime/schedule/StreamKSchedule.h"

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
    layout.pairedKRows = spec.qkDim % 64 == 0;
    layout.unroll = 1;
    layout.pipelined = rawPerBlock <= 64;
    // The K/V ring replaces the pipelining registers, so it serves the pipelined shapes
    // (Dqk + Dv <= 256): 2 stages of larger heads would not let 2 CTAs share an SM.
    layout.ringStages = layout.pipelined ? spec.kvRingStages : 0;
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

namespace detail {

void AttentionKernelEmitter::commonPrologue(bool ringFirst) {
  tid = kb.threadIdX();
  lane = kb.andi(tid, kb.c32(31));
  warp = kb.divu(tid, kb.c32(32));
  offsetsShared = sharedBase(dynShared);
  if (ringFirst && layout.ringStages > 0)
    offsetsShared = kb.gep(offsetsShared, IntegerType::get(b.getContext(), 8),
                           kb.c32(ringBytes()));
  lensShared = kb.gep(offsetsShared, kb.i32(), kb.add(batch, kb.c32(1)));
}

void AttentionKernelEmitter::setHeadPad(Value grid) {
  // schedule::headPadFor: workers hold several heads once there are as many heads as
  // workers, and each head's fixed costs are worth about a tile.
  Value heads = kb.mul(batch, kb.c32(spec.kvHeads));
  headPad = kb.select(kb.cmp(CmpIPredicate::sge, heads, grid), kb.c32(1), kb.c32(0));
}

Value AttentionKernelEmitter::headSpan(Value nt) {
  return kb.add(nt,
                kb.select(kb.cmp(CmpIPredicate::sgt, nt, kb.c32(0)), headPad, kb.c32(0)));
}

/// offsets[0..B] (of units: the heads' spans) and clamped lengths in shared memory;
/// returns T, the units' total (same in all threads). Needs setHeadPad first.
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
        Value tiles =
            kb.mul(kb.c32(spec.kvHeads), headSpan(kb.ceilDiv(clamped, spec.tile)));
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

Value AttentionKernelEmitter::softmaxShift(Value runningMax) {
  return kb.select(kb.fcmp(arith::CmpFPredicate::OEQ, runningMax, kb.negInf()), kb.cf(0),
                   runningMax);
}

Values AttentionKernelEmitter::streamLoop(
    Value start, Value end, Value step, Values state, const Values &preloaded,
    const std::function<Values(Value)> &load,
    const std::function<Values(Value, ValueRange, const Values &)> &compute) {
  const size_t n = state.size();
  state.append(preloaded.begin(), preloaded.end());
  Values result = kb.forLoop(start, end, step, state, [&](Value c0, ValueRange st) -> Values {
    Values raw, nextRaw;
    if (layout.pipelined) {
      raw.assign(st.begin() + n, st.end());
      nextRaw = load(kb.add(c0, step));
    } else {
      raw = load(c0);
    }
    Values next = compute(c0, st.take_front(n), raw);
    next.append(nextRaw.begin(), nextRaw.end());
    return next;
  });
  result.resize(n);
  return result;
}

void AttentionKernelEmitter::mergeStates(Value &m, Value &l, Value &o, Value m2, Value l2,
                                         Value o2) {
  // m = max(m, m2); a side with m = -inf contributes 0 (and both -inf stays empty).
  Value mx = kb.fmax(m, m2);
  Value safe = softmaxShift(mx);
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

void AttentionKernelEmitter::mergeChunk(ElementState &s, size_t k,
                                        ArrayRef<std::array<Value, 3>> parts) {
  // max first, then one exp2 per part: 1 + n factors where a pairwise fold needs 2n, and
  // the o update is 1 multiply and n fused multiply-adds per element, in order. A part
  // with m = -inf gets factor 0 (and all -inf stays empty: shift 0, every factor 0). The
  // fix-up's merge runs on one warp per SM quarter with nothing to hide its latencies, so
  // its instructions and dependent chains count: the max is a tree (exact in any order),
  // the sums are fmas (v28: 286 -> 216 SASS instructions per batch of 8 slots).
  Values maxes{s.m[k]};
  for (const auto &p : parts)
    maxes.push_back(p[0]);
  while (maxes.size() > 1) {
    Values next;
    for (size_t i = 0; i + 1 < maxes.size(); i += 2)
      next.push_back(kb.fmax(maxes[i], maxes[i + 1]));
    if (maxes.size() % 2)
      next.push_back(maxes.back());
    maxes = std::move(next);
  }
  Value mx = maxes.front();
  Value shift = softmaxShift(mx);
  Value f0 = kb.exp2(kb.fsub(s.m[k], shift));
  Value l = kb.fmul(s.l[k], f0), o = kb.fmul(s.o[k], chunkSplat(f0));
  for (const auto &p : parts) {
    Value f = kb.exp2(kb.fsub(p[0], shift));
    l = kb.fma(p[1], f, l);
    o = kb.fma(p[2], chunkSplat(f), o);
  }
  s.m[k] = mx, s.l[k] = l, s.o[k] = o;
}

ElementState AttentionKernelEmitter::combineWarpStates() {
  Value ws = sharedBase(warpState);
  kb.barrier();
  ElementState es;
  for (int64_t k = 0; k < chunksPerThread(); ++k) {
    Value e = clampedChunkElement(k);
    Value h = kb.divu(e, kb.c32(spec.vDim)), d = kb.remu(e, kb.c32(spec.vDim));
    SmallVector<std::array<Value, 3>> warps;
    for (int64_t w = 0; w < abi::kWarps; ++w) {
      Value base = warpStateBase(kb.c32(w), h);
      Value wm = kb.load(kb.f32(), kb.gep(ws, kb.f32(), base), 4);
      Value wl = kb.load(kb.f32(), kb.gep(ws, kb.f32(), kb.add(base, kb.c32(1))), 4);
      // o rows start 16-byte aligned and d is a multiple of chunkElems().
      Value wo = kb.load(chunkType(),
                         kb.gep(ws, kb.f32(), kb.add(base, kb.add(kb.c32(4), d))),
                         chunkAlign());
      warps.push_back({wm, wl, wo});
    }
    es.m.push_back(warps[0][0]);
    es.l.push_back(warps[0][1]);
    es.o.push_back(warps[0][2]);
    mergeChunk(es, k, ArrayRef(warps).drop_front());
  }
  kb.barrier(); // the next segment may overwrite the warp states
  return es;
}

Value AttentionKernelEmitter::clockCycles() {
  return NVVM::Clock64Op::create(b, b.getI64Type());
}

Value AttentionKernelEmitter::globalNs() {
  return NVVM::GlobalTimerOp::create(b, b.getI64Type());
}

void AttentionKernelEmitter::traceBegin(Value cta, Value grid) {
  // After the slots of the launched grid (schedule::workspaceBytes).
  const schedule::Fixup fixup =
      spec.inKernelFixup ? schedule::Fixup::InKernel : schedule::Fixup::Separate;
  Value end = slotPtr(kb.mul(grid, kb.c32(schedule::partialSlots(fixup, 1))));
  traceRecord = kb.gep(end, b.getI64Type(),
                       kb.mul(kb.toI64(cta), kb.c64(abi::kTraceWords)));
}

void AttentionKernelEmitter::traceStore(abi::TraceWord word, Value value) {
  kb.ifThen(kb.cmp(CmpIPredicate::eq, tid, kb.c32(0)), [&] {
    kb.store(value, kb.gep(traceRecord, b.getI64Type(), kb.c32(word)), 8);
  });
}

void AttentionKernelEmitter::emitAttention(gpu::GPUFuncOp func) {
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  auto args = entry.getArguments();
  queryPtr = args[0], keyPtr = args[1], valuePtr = args[2], lensGlobal = args[3];
  output = args[4], workspace = args[5], status = args[6], batch = args[7], maxLen = args[8];
  const bool trace = spec.tracePhases;
  Value entryNs, entryCycles;
  if (trace)
    entryNs = globalNs(), entryCycles = clockCycles();
  if (spec.gridDependencyControl) {
    // Launched early (programmatic dependent launch), the CTA waits here until the
    // previous grid has completed and its memory is visible — before reading any input
    // or the workspace — and at once lets the next grid be scheduled: it can only become
    // resident where this grid's CTAs have exited (2 CTAs/SM fill the SMs).
    NVVM::GriddepcontrolOp::create(b, NVVM::GridDepActionKind::wait);
    NVVM::GriddepcontrolOp::create(b, NVVM::GridDepActionKind::launch_dependents);
  }
  commonPrologue(/*ringFirst=*/true);
  setHeadPad(kb.gridDimX());
  Value total = prefixSumTiles(/*reportClamps=*/true);
  Value cta = kb.blockIdX(), grid = kb.gridDimX();
  zeroFillEmptySequences(cta, grid);
  if (trace) {
    traceBegin(cta, grid);
    traceStore(abi::kTraceEntryGlobalNs, entryNs);
    traceStore(abi::kTraceEntryCycles, entryCycles);
    traceStore(abi::kTracePrologueCycles, clockCycles());
  }

  Value workers = kb.mins(grid, kb.maxs(total, kb.c32(1)));
  effectiveWorkers = workers;
  Value active = kb.cmp(CmpIPredicate::slt, cta, workers);
  Value begin = kb.select(active, workerBegin(total, workers, cta), kb.c32(0));
  Value end = kb.select(active, workerBegin(total, workers, kb.add(cta, kb.c32(1))),
                        kb.c32(0));
  Value grp = kb.divu(lane, kb.c32(layout.lanesPerToken));
  Value sub = kb.remu(lane, kb.c32(layout.lanesPerToken));

  // The trace counts the segments walked (with tiles) in a second loop-carried value.
  Values loopInit{begin};
  if (trace)
    loopInit.push_back(kb.c32(0));
  Values walked = kb.whileLoop(
      loopInit,
      [&](ValueRange t) { return kb.cmp(CmpIPredicate::slt, t[0], end); },
      [&](ValueRange tv) -> Values {
        Value t = tv[0];
        Value firstSegment =
            trace ? kb.cmp(CmpIPredicate::eq, tv[1], kb.c32(0)) : Value();
        Value seq = findSequence(t);
        Value len = kb.load(kb.i32(), kb.gep(lensShared, kb.i32(), seq), 4);
        Value nt = kb.ceilDiv(len, spec.tile);
        Value span = headSpan(nt);
        Value seqBegin = kb.load(kb.i32(), kb.gep(offsetsShared, kb.i32(), seq), 4);
        Value local = kb.sub(t, seqBegin);
        Value kvHead = kb.divu(local, span), tileInHead = kb.remu(local, span);
        Value headBegin = kb.sub(t, tileInHead);
        Value tilesEnd = kb.add(headBegin, nt); // the head's pad follows its tiles
        Value segEnd = kb.mins(end, kb.add(headBegin, span));
        // Only a worker's first segment can start in a pad (the others start at a
        // head's first tile); it has nothing to do.
        Value hasTiles = kb.cmp(CmpIPredicate::slt, tileInHead, nt);
        kb.ifThen(hasTiles, [&] {
          Value realEnd = kb.mins(segEnd, tilesEnd);
          Value host = kb.cmp(CmpIPredicate::eq, tileInHead, kb.c32(0));
          Value finishing = kb.cmp(CmpIPredicate::eq, realEnd, tilesEnd);
          Value tokBegin = kb.mul(tileInHead, kb.c32(spec.tile));
          Value tokEnd = kb.mins(
              kb.mul(kb.add(tileInHead, kb.sub(realEnd, t)), kb.c32(spec.tile)), len);

          if (layout.tensorCores) {
            streamSegmentMma(seq, kvHead, tokBegin, tokEnd);
          } else {
            Values st = streamSegment(seq, kvHead, tokBegin, tokEnd, grp, sub);
            storeWarpState(mergeTokenGroups(st), grp, sub);
          }
          ElementState es = combineWarpStates();
          if (trace)
            kb.ifThen(firstSegment,
                      [&] { traceStore(abi::kTraceStreamedCycles, clockCycles()); });

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
                  Value hostWorker =
                      kb.select(host, cta, workerOfTile(total, workers, headBegin));
                  Value last = workerOfTile(total, workers, kb.sub(tilesEnd, kb.c32(1)));
                  arriveAndMergeIfLast(hostWorker, last, seq, kvHead);
                }
                return {};
              });
          if (trace)
            kb.ifThen(firstSegment,
                      [&] { traceStore(abi::kTraceFinishedCycles, clockCycles()); });
        });
        if (!trace)
          return {segEnd};
        return {segEnd, kb.add(tv[1], kb.select(hasTiles, kb.c32(1), kb.c32(0)))};
      });
  if (trace) {
    traceStore(abi::kTraceExitCycles, clockCycles());
    traceStore(abi::kTraceExitGlobalNs, globalNs());
    Value smid = NVVM::SmIdOp::create(b, kb.i32());
    Value info = arith::OrIOp::create(
        b, kb.toI64(smid),
        arith::ShLIOp::create(b, kb.toI64(walked[1]), kb.c64(32)).getResult());
    traceStore(abi::kTraceInfo, info);
  }
  gpu::ReturnOp::create(b);
}

void AttentionKernelEmitter::emitMerge(gpu::GPUFuncOp func) {
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  auto args = entry.getArguments();
  lensGlobal = args[0], output = args[1], workspace = args[2], batch = args[3];
  maxLen = args[4];
  Value launched = args[5];
  commonPrologue(/*ringFirst=*/false);
  setHeadPad(launched);
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
      Value headBegin = kb.add(seqBegin, kb.mul(kvHead, headSpan(nt)));
      Value first = workerOfTile(total, workers, headBegin);
      Value last =
          workerOfTile(total, workers, kb.sub(kb.add(headBegin, nt), kb.c32(1)));
      kb.ifThen(kb.cmp(CmpIPredicate::slt, first, last),
                [&] { mergeSplitHead(first, last, workers, seq, kvHead); });
    });
  });
  gpu::ReturnOp::create(b);
}

} // namespace detail


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
    // With the K/V ring (64 KiB of shared memory per CTA at D 128 and 2 stages) ptxas on
    // its own may aim at 3 CTAs/SM (168 registers, v15 spilled); 2 CTAs/SM is what the
    // register path runs at and the cost model was fitted with.
    if (layout.ringStages > 0)
      func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                    IntegerAttr::get(IntegerType::get(ctx, 32), 2));
    OpBuilder::InsertionGuard guard(b);
    detail::AttentionKernelEmitter(b, spec, layout, dyn, state, sums).emitAttention(func);
  }
  if (!spec.inKernelFixup) {
    auto func = makeKernel(spec.name + "_merge", {gptr, gptr, gptr, i32, i32, i32});
    OpBuilder::InsertionGuard guard(b);
    detail::AttentionKernelEmitter(b, spec, layout, dyn, state, sums).emitMerge(func);
  }
}

} // namespace tessel
