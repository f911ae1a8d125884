// The emitter behind passes/AttentionKernel.cpp, shared by the files that write its parts:
// AttentionKernel.cpp (prologue, schedule on the device, warp combine, kernel entry
// points), AttentionCudaCoreStream.cpp (the CUDA-core streaming loop, groups <= 2 and
// fallbacks), AttentionTensorCoreStream.cpp (the mma.sync loop, GQA groups 3..8) and
// AttentionFixup.cpp (workspace slots, arrival counters, merges, output).
// Internal to passes/: nothing outside includes it.
#ifndef TESSEL_PASSES_ATTENTIONKERNELEMITTER_H
#define TESSEL_PASSES_ATTENTIONKERNELEMITTER_H

#include "passes/AttentionKernel.h"
#include "passes/KernelBuilder.h"
#include "runtime/abi/AttentionABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <array>

namespace tessel::detail {

using namespace mlir;

using Values = KernelBuilder::Values;
using arith::CmpIPredicate;

inline constexpr float kLog2e = 1.4426950408889634f;

/// Per-thread slice of a merged softmax state of one KV head's [group, Dv] output: chunk k
/// of a thread holds the chunkElems() consecutive elements from e = (tid + k *
/// kBlockThreads) * chunkElems() (one head, since Dv is a multiple of it) in `o` (a
/// vector<Nxf32>, or f32 for N = 1), with its head's m and l. Chunks make the slot and
/// warp-state traffic 16-byte accesses and give every chunk one rescale factor instead
/// of one per element.
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
  Value headPad; // i32 0 or 1: pad units per non-empty head (setHeadPad)
  Value effectiveWorkers;          // min(grid, T) of this launch (attention kernel)
  Value traceRecord;               // i64 pointer to this CTA's trace record (tracePhases)

  /// Phase trace (spec.tracePhases; no code otherwise): the record's address, and
  /// thread 0's store of one word. Clocks are read where the caller stands.
  void traceBegin(Value cta, Value grid);
  void traceStore(abi::TraceWord word, Value value);
  Value clockCycles();
  Value globalNs();

  int64_t group() const { return spec.group(); }
  int64_t ringBytes() const {
    return abi::kvRingBytes(layout.ringStages, spec.qkDim, spec.vDim,
                            spec.elementType.getIntOrFloatBitWidth() / 8);
  }
  /// Elements per chunk: 4 (16-byte accesses) once that still gives every thread a
  /// chunk, else fewer — an MHA head's 128 elements stay spread over the 128 threads
  /// (H100, mha32 1x1024: 10.50 us with 1, 10.75 with 4 on one warp).
  int64_t chunkElems() const { return abi::stateChunkElems(group(), spec.vDim); }
  int64_t chunksPerThread() const { return abi::stateChunksPerThread(group(), spec.vDim); }
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
  /// `ringFirst`: the attention kernel's dynamic shared memory starts with the K/V ring
  /// (abi::kvRingBytes), the tile offsets follow it.
  void commonPrologue(bool ringFirst);
  /// schedule::headPadFor on the device: 1 when B x Hkv >= grid, else 0.
  void setHeadPad(Value grid);
  /// A head's units: its nt tiles and, when nt > 0, the pad
  /// (schedule::TileSpace::headSpan).
  Value headSpan(Value nt);
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
  using BlockCompute =
      std::function<Values(Value c0, ValueRange state, const Values &raw)>;
  /// The tensor-core loop fed from the CTA-wide shared-memory ring (layout.ringStages >
  /// 0): stages of abi::kRingStageTokens tokens of K and V rows, copied by all 128 threads;
  /// warp w computes block w of each stage. `readBlock(kRows, vRows)` reads the warp's
  /// fragments (the register path's order) from the stage's K and V rows of its block
  /// (V chunks stored at ringVChunk), `compute` consumes them.
  Values streamRing(Value headRow, Value tokBegin, Value tokEnd, Values init,
                    const std::function<Values(Value kRows, Value vRows)> &readBlock,
                    const BlockCompute &compute);
  /// Where 16-byte chunk `chunk` of V row `row` (of a stage) sits: XOR-swizzled within its
  /// 128 bytes so that the 8 lanes of a quarter-warp, which read 2 chunks of 4 rows (rows
  /// 256 bytes apart at Dv 128), hit 8 different bank groups.
  Value ringVChunk(Value row, Value chunk);
  /// Merges the 4 warps' states (rows of m, l, 2 pad, o[Dv] per warp and head).
  ElementState combineWarpStates();
  int64_t warpStateRow() const { return spec.vDim + 4; } // o rows are 16-byte aligned
  /// f32 index of warp w's row for head h of the group in the warp-state array.
  Value warpStateBase(Value w, Value h) {
    return kb.mul(kb.add(kb.mul(w, kb.c32(group())), h), kb.c32(warpStateRow()));
  }
  void mergeStates(Value &m, Value &l, Value &o, Value m2, Value l2, Value o2);
  /// Merges `parts` (m, l, o of each, in order) into chunk k of `s` in one step: one max
  /// over all of them, one rescale factor each, then the weighted sums in order. The
  /// association every merge of partial states uses (warps, slots, groups).
  void mergeChunk(ElementState &s, size_t k, ArrayRef<std::array<Value, 3>> parts);
  /// What an online softmax subtracts from base-2 scores given their running max: the
  /// max, or 0 while it is -inf (no score yet), so that -inf - shift stays -inf and its
  /// exp2 is 0 instead of NaN.
  Value softmaxShift(Value runningMax);
  /// The streaming loop over [start, end) by `step`, carrying `state` (which it returns
  /// at the end). `load(c0)` issues the iteration at c0's loads and `compute` consumes
  /// them. Pipelined layouts pass the first iteration's loads in `preloaded` (issued where
  /// the caller wants their latency to overlap) and each iteration issues the next one's
  /// loads before computing on its own, so a warp always has loads in flight.
  Values streamLoop(Value start, Value end, Value step, Values state,
                    const Values &preloaded, const std::function<Values(Value)> &load,
                    const std::function<Values(Value c0, ValueRange state,
                                               const Values &raw)> &compute);

  // Workspace.
  Value slotPtr(Value slot); // f32 pointer to the slot
  /// Floats from slot 0 to slot `slot` (i64): a field of slot j is slot 0's field plus
  /// this, which the merges use to address every slot from one base per field.
  Value slotOffset(Value slot);
  /// Where chunk element e's state lives in the slot at `slot` (an f32 pointer): m at
  /// h = e / Dv, l at G + h, o at slotOFloats(G) + e (abi::slotFloats). The one place that
  /// spells the slot's layout for writeSlot, loadSlotState and mergeSlots.
  struct SlotFields {
    Value m, l, o;
  };
  SlotFields slotFields(Value slot, Value e);
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
  /// Workers per arrival group of a split head with `participants` workers
  /// (StreamKSchedule.h: all of them up to singleGroupMax, else kArrivalGroup).
  Value arrivalGroupSize(Value participants);
  /// The last worker of the arrival group starting at `groupFirst` (groups of `size`
  /// workers; the head's last group ends at `last`).
  Value arrivalGroupLast(Value groupFirst, Value size, Value last);
  /// Merges the slots of the group [groupFirst, groupLast] in ascending order: by lanes
  /// when schedule::usesLaneMerge says so, else in batches (mergeGroupInBatches).
  ElementState mergeGroup(Value hostWorker, Value groupFirst, Value groupLast,
                          Value workers);
  /// The batched merge of the same group (mergeSlots): what groups of kArrivalGroup
  /// slots — the heads of more than singleGroupMax participants — always take, too few
  /// for the lane merge, so the multi-group paths call it directly.
  ElementState mergeGroupInBatches(Value hostWorker, Value groupFirst, Value groupLast,
                                   Value workers);
  /// The lane merge of a group of kLaneMergeMin..kLaneMergeMax slots (StreamKSchedule.h).
  ElementState mergeGroupByLanes(Value hostWorker, Value groupFirst, Value groupLast,
                                 Value workers);
  /// The head's final merge when it has several arrival groups: the groups' slots (each
  /// holding its group's merge) in ascending order — shared by both fix-ups.
  ElementState mergeGroupSlots(Value hostWorker, Value last, Value workers);
  /// The separate fix-up's merge of a split head — group by group, in the in-kernel
  /// association — and the output.
  void mergeSplitHead(Value hostWorker, Value last, Value workers, Value seq, Value kvHead);
  ElementState loadSlotState(Value slot);

  // First element of this thread's chunk k; `valid` when it is < group * Dv; `clamped`:
  // the last chunk in its place for threads past the end (they load, never store).
  Value chunkElement(int64_t k) {
    return kb.mul(kb.add(tid, kb.c32(k * abi::kBlockThreads)), kb.c32(chunkElems()));
  }
  Value chunkValid(int64_t k) {
    return kb.cmp(CmpIPredicate::ult, chunkElement(k), kb.c32(group() * spec.vDim));
  }
  Value clampedChunkElement(int64_t k) {
    return kb.mins(chunkElement(k), kb.c32(group() * spec.vDim - chunkElems()));
  }
  Type chunkType() {
    return chunkElems() == 1 ? kb.f32() : Type(VectorType::get({chunkElems()}, kb.f32()));
  }
  unsigned chunkAlign() { return 4 * chunkElems(); }
  /// An f32 as a value of chunkType() (itself when a chunk is one element).
  Value chunkSplat(Value scalar) {
    return chunkElems() == 1 ? scalar
                             : vector::BroadcastOp::create(b, chunkType(), scalar).getResult();
  }
};


} // namespace tessel::detail

#endif
