// The end of a segment that does not finish its head alone: workspace slots, arrival
// counters (in arrival groups, runtime/schedule/StreamKSchedule.h), the merges of both
// fix-ups in one association, and the output.
#include "passes/AttentionKernelEmitter.h"
#include "runtime/schedule/CostModel.h"

using namespace mlir;

namespace tessel::detail {

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

Value AttentionKernelEmitter::slotOffset(Value slot) {
  return kb.mul(kb.toI64(slot), kb.c64(abi::slotFloats(group(), spec.vDim)));
}

Value AttentionKernelEmitter::slotPtr(Value slot) {
  Value counterWords = spec.inKernelFixup ? kb.mul(counterRegionWords(), kb.c32(2)) : kb.c32(0);
  Value index = kb.add(kb.toI64(counterWords), slotOffset(slot));
  return kb.gep(workspace, kb.f32(), index);
}

AttentionKernelEmitter::SlotFields AttentionKernelEmitter::slotFields(Value slot, Value e) {
  const int64_t G = group(), oAt = abi::slotOFloats(G);
  Value h = kb.divu(e, kb.c32(spec.vDim));
  return {kb.gep(slot, kb.f32(), h), kb.gep(slot, kb.f32(), kb.add(kb.c32(G), h)),
          kb.gep(slot, kb.f32(), kb.add(kb.c32(oAt), e))};
}

void AttentionKernelEmitter::writeSlot(const ElementState &s, Value slot) {
  Value p = slotPtr(slot);
  for (int64_t k = 0; k < chunksPerThread(); ++k) {
    kb.ifThen(chunkValid(k), [&] {
      Value e = chunkElement(k);
      SlotFields f = slotFields(p, e);
      kb.store(s.o[k], f.o, chunkAlign());
      // One thread per head writes its m and l: the one holding the head's first chunk.
      kb.ifThen(kb.cmp(CmpIPredicate::eq, kb.remu(e, kb.c32(spec.vDim)), kb.c32(0)), [&] {
        kb.store(s.m[k], f.m, 4);
        kb.store(s.l[k], f.l, 4);
      });
    });
  }
}

ElementState AttentionKernelEmitter::loadSlotState(Value slot) {
  Value p = slotPtr(slot);
  ElementState s;
  for (int64_t k = 0; k < chunksPerThread(); ++k) {
    SlotFields f = slotFields(p, clampedChunkElement(k));
    s.m.push_back(kb.load(kb.f32(), f.m, 4));
    s.l.push_back(kb.load(kb.f32(), f.l, 4));
    s.o.push_back(kb.load(chunkType(), f.o, chunkAlign()));
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
  // Batches of kMergeBatch slots, each merged in one step (mergeChunk), in order. Slots
  // past `last` are read clamped and get m = -inf: factor 0, they add +-0. In the
  // in-kernel fix-up the loads are software-pipelined: the first batch is issued with
  // the caller's first slot and each iteration issues the next batch before merging its
  // own (H100, v18: gqa8 1x1024 6.65 -> 6.37 us). Never past the last batch: those
  // registers would be reused by what follows the merge (the next segment's stream),
  // which would then wait for the loads (the first batch is issued unconditionally: every
  // in-kernel caller merges at least one slot, first <= last). The prefetch does not
  // overlap the batches on sm_90 (H200 SASS, docs/performance.md v28/v29): ptxas tracks
  // consecutive batches' loads on shared scoreboards, so merging one waits for the next
  // and every batch costs a load round trip (~0.5 us), whatever its bytes. The merge
  // kernel (separate fix-up) loads batch by batch: ptxas gives it 128 registers, and two
  // batches in flight spill on sm_80.
  const bool pipelined = spec.inKernelFixup;
  Value batchStep = kb.c32(kMergeBatch * stride);
  // This thread's chunks' m, l and o in slot 0, once: slot j's are j slots further (an
  // add per access instead of the slot's whole address).
  Value slot0 = slotPtr(kb.c32(0));
  Values baseM, baseL, baseO;
  for (int64_t k = 0; k < chunksPerThread(); ++k) {
    SlotFields f = slotFields(slot0, clampedChunkElement(k));
    baseM.push_back(f.m);
    baseL.push_back(f.l);
    baseO.push_back(f.o);
  }
  auto loadBatch = [&](Value j0) {
    Values loaded;
    for (int64_t u = 0; u < kMergeBatch; ++u) {
      Value at = slotOffset(kb.mins(kb.add(j0, kb.c32(u * stride)), last));
      ElementState st;
      for (int64_t k = 0; k < chunksPerThread(); ++k) {
        st.m.push_back(kb.load(kb.f32(), kb.gep(baseM[k], kb.f32(), at), 4));
        st.l.push_back(kb.load(kb.f32(), kb.gep(baseL[k], kb.f32(), at), 4));
        st.o.push_back(kb.load(chunkType(), kb.gep(baseO[k], kb.f32(), at), chunkAlign()));
      }
      Values slot = flatten(st);
      loaded.append(slot.begin(), slot.end());
    }
    return loaded;
  };
  Values init = flatten(s);
  const size_t stateSize = init.size();
  if (pipelined) {
    Values firstBatch = loadBatch(first);
    init.append(firstBatch.begin(), firstBatch.end());
  }
  Values merged = kb.forLoop(
      first, kb.add(last, kb.c32(1)), batchStep, init,
      [&](Value j0, ValueRange carried) -> Values {
        Values batch, next;
        if (pipelined) {
          batch.assign(carried.begin() + stateSize, carried.end());
          Value nextFirst = kb.add(j0, batchStep);
          next = kb.ifElse(
              kb.cmp(CmpIPredicate::sle, nextFirst, last),
              [&]() -> Values { return loadBatch(nextFirst); },
              [&]() -> Values { return batch; });
        } else {
          batch = loadBatch(j0);
        }
        ElementState st = unflatten(carried.take_front(stateSize));
        for (size_t k = 0; k < st.m.size(); ++k) {
          SmallVector<std::array<Value, 3>> parts;
          for (int64_t u = 0; u < kMergeBatch; ++u) {
            Value valid = kb.cmp(CmpIPredicate::sle, kb.add(j0, kb.c32(u * stride)), last);
            ElementState slot =
                unflatten(ValueRange(batch).slice(u * stateSize, stateSize));
            // A slot past `last` (a copy of slot `last`: finite l, o) gets m = -inf,
            // factor 0: it adds +-0.
            parts.push_back({kb.select(valid, slot.m[k], kb.negInf()), slot.l[k], slot.o[k]});
          }
          mergeChunk(st, k, parts);
        }
        Values out = flatten(st);
        out.append(next.begin(), next.end());
        return out;
      });
  merged.resize(stateSize);
  return unflatten(merged);
}

void AttentionKernelEmitter::writeOutput(const ElementState &s, Value seq, Value kvHead) {
  Type outChunk = chunkElems() == 1 ? elemType()
                                    : Type(VectorType::get({chunkElems()}, elemType()));
  for (int64_t k = 0; k < chunksPerThread(); ++k) {
    kb.ifThen(chunkValid(k), [&] {
      Value e = chunkElement(k);
      Value h = kb.divu(e, kb.c32(spec.vDim)), d = kb.remu(e, kb.c32(spec.vDim));
      Value head = kb.add(kb.mul(kvHead, kb.c32(group())), h);
      Value row = kb.add(kb.mul(kb.toI64(seq), kb.c64(spec.qHeads)), kb.toI64(head));
      Value idx = kb.add(kb.mul(row, kb.c64(spec.vDim)), kb.toI64(d));
      Value empty = kb.fcmp(arith::CmpFPredicate::OEQ, s.l[k], kb.cf(0));
      Value val =
          kb.select(empty, chunkSplat(kb.cf(0)), kb.fdiv(s.o[k], chunkSplat(s.l[k])));
      if (!elemType().isF32())
        val = arith::TruncFOp::create(b, outChunk, val);
      // The output is only element-aligned (docs/ABI.md): element-wide stores.
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

Value AttentionKernelEmitter::arrivalGroupSize(Value participants) {
  const int64_t singleMax = schedule::singleGroupMax(group(), spec.vDim);
  return kb.select(kb.cmp(CmpIPredicate::sle, participants, kb.c32(singleMax)),
                   participants, kb.c32(schedule::kArrivalGroup));
}

Value AttentionKernelEmitter::arrivalGroupLast(Value groupFirst, Value size, Value last) {
  return kb.mins(kb.add(groupFirst, kb.sub(size, kb.c32(1))), last);
}

ElementState AttentionKernelEmitter::mergeGroupInBatches(Value hostWorker,
                                                         Value groupFirst, Value groupLast,
                                                         Value workers) {
  static_assert(schedule::kArrivalGroup < schedule::kLaneMergeMin,
                "groups of kArrivalGroup slots are merged in batches");
  return mergeSlots(loadSlotState(groupSlot(hostWorker, groupFirst, workers)),
                    kb.add(groupFirst, kb.c32(1)), groupLast);
}

ElementState AttentionKernelEmitter::mergeGroup(Value hostWorker, Value groupFirst,
                                                Value groupLast, Value workers) {
  auto batched = [&] {
    return mergeGroupInBatches(hostWorker, groupFirst, groupLast, workers);
  };
  if (!abi::laneMergeLayout(group(), spec.vDim))
    return batched();
  // schedule::usesLaneMerge on the device: in this layout groups have at most
  // singleGroupMax = kLaneMergeMax slots.
  Value slots = kb.add(kb.sub(groupLast, groupFirst), kb.c32(1));
  return unflatten(kb.ifElse(
      kb.cmp(CmpIPredicate::sge, slots, kb.c32(schedule::kLaneMergeMin)),
      [&]() -> Values {
        return flatten(mergeGroupByLanes(hostWorker, groupFirst, groupLast, workers));
      },
      [&]() -> Values { return flatten(batched()); }));
}

ElementState AttentionKernelEmitter::mergeGroupByLanes(Value hostWorker, Value groupFirst,
                                                       Value groupLast, Value workers) {
  // The association of StreamKSchedule.h's lane merge. Every warp's chunk is in one head
  // (abi::laneMergeLayout), so lane j can load slots j's and j + 32's m and l for the
  // whole warp. Slot j of the group is the group's first slot for j = 0, else worker
  // groupFirst + j's. The first 32 o loads are issued before the state's shuffles need
  // anything (the first kLaneMergeMin unconditionally: the group has at least that many
  // slots; the rest only for slots in the group), so their bytes stream in while the max
  // and the factors are computed: one load round trip instead of one per batch of 8 (H200
  // micro-benchmark: 32 slots 1.95 -> 1.15 us). A group of more than 32 loads the other
  // 32 after those are summed (the registers of 64 chunks in flight would spill).
  constexpr int64_t kLanes = schedule::kLaneMergeLanes;
  Value e = clampedChunkElement(0);
  Value count = kb.add(kb.sub(groupLast, groupFirst), kb.c32(1));
  Value first = groupSlot(hostWorker, groupFirst, workers);
  Value wide = kb.cmp(CmpIPredicate::sgt, count, kb.c32(kLanes)); // warp-uniform
  auto slotOf = [&](Value j) {
    return kb.select(kb.cmp(CmpIPredicate::eq, j, kb.c32(0)), first, kb.add(groupFirst, j));
  };
  // A slot past the group: m = -inf (factor 0) and l = 0.
  auto absentMl = [&]() -> Values { return {kb.negInf(), kb.cf(0)}; };
  // Slot j's m and l where slot j is in the group.
  auto loadMl = [&](Value j) {
    return kb.ifElse(
        kb.cmp(CmpIPredicate::ult, j, count),
        [&]() -> Values {
          SlotFields f = slotFields(slotPtr(slotOf(j)), e);
          return {kb.load(kb.f32(), f.m, 4), kb.load(kb.f32(), f.l, 4)};
        },
        absentMl);
  };
  Values ml = loadMl(lane);
  Values ml2 = kb.ifElse(
      wide, [&]() -> Values { return loadMl(kb.add(lane, kb.c32(kLanes))); }, absentMl);
  // Slot s's o is s slots after slot 0's (one multiply-add per load).
  Value o0 = slotFields(slotPtr(kb.c32(0)), e).o;
  auto loadO = [&](Value slot) {
    return kb.load(chunkType(), kb.gep(o0, kb.f32(), slotOffset(slot)), chunkAlign());
  };
  // Slot j's o (j >= 1): unconditional below `always`, else only for slots in the group.
  auto loadOIfIn = [&](int64_t j, int64_t always) -> Value {
    if (j < always)
      return loadO(kb.add(groupFirst, kb.c32(j)));
    return kb.ifElse(
        kb.cmp(CmpIPredicate::slt, kb.c32(j), count),
        [&]() -> Values { return {loadO(kb.add(groupFirst, kb.c32(j)))}; },
        [&]() -> Values { return {chunkSplat(kb.cf(0))}; })[0];
  };
  Values os{loadO(first)};
  for (int64_t j = 1; j < kLanes; ++j)
    os.push_back(loadOIfIn(j, schedule::kLaneMergeMin));
  // The group's m: a butterfly max over the lanes (exact, the same in every lane).
  Value m = kb.fmax(ml[0], ml2[0]);
  for (int64_t d = kLanes / 2; d >= 1; d /= 2)
    m = kb.fmax(m, kb.shuffleXor(m, d));
  // Lane j's factors; slots past the group have m = -inf: factor 0.
  Value shift = softmaxShift(m);
  Value f = kb.exp2(kb.fsub(ml[0], shift));
  // l: a butterfly sum of the lanes' weighted l (commutative adds: every lane gets the
  // same value); a lane's second slot is folded in first.
  Value l = kb.fmul(f, ml[1]);
  Values f2l = kb.ifElse(
      wide,
      [&]() -> Values {
        Value f2 = kb.exp2(kb.fsub(ml2[0], shift));
        return {f2, kb.fma(f2, ml2[1], l)};
      },
      [&]() -> Values { return {kb.cf(0), l}; });
  Value f2 = f2l[0];
  l = f2l[1];
  for (int64_t d = kLanes / 2; d >= 1; d /= 2)
    l = kb.fadd(l, kb.shuffleXor(l, d));
  // o: fmas in slot order from 0 (slot j's factor from lane j mod 32 of `factors`);
  // slots past the group add 0 * 0.
  auto foldO = [&](const Values &chunks, Value factors, Value acc) {
    for (int64_t j = 0; j < kLanes; ++j)
      acc = kb.fma(chunks[j], chunkSplat(kb.shuffleIdx(factors, kb.c32(j))), acc);
    return acc;
  };
  Value o = foldO(os, f, chunkSplat(kb.cf(0)));
  o = kb.ifElse(
      wide,
      [&]() -> Values {
        Values os2;
        for (int64_t j = kLanes; j < schedule::kLaneMergeMax; ++j)
          os2.push_back(loadOIfIn(j, kLanes + 1)); // slot 32 is in a wide group
        return {foldO(os2, f2, o)};
      },
      [&]() -> Values { return {o}; })[0];
  ElementState s;
  s.m = {m}, s.l = {l}, s.o = {o};
  return s;
}

ElementState AttentionKernelEmitter::mergeGroupSlots(Value hostWorker, Value last,
                                                     Value workers) {
  // Group 0's slot is the host's; the others' are their first workers'.
  return mergeSlots(loadSlotState(kb.add(workers, hostWorker)),
                    kb.add(hostWorker, kb.c32(schedule::kArrivalGroup)), last,
                    schedule::kArrivalGroup);
}

void AttentionKernelEmitter::arriveAndMergeIfLast(Value hostWorker, Value last, Value seq,
                                                  Value kvHead) {
  Value workers = effectiveWorkers, cta = kb.blockIdX();
  Value participants = kb.add(kb.sub(last, hostWorker), kb.c32(1));
  Value size = arrivalGroupSize(participants);
  Value groupFirst = kb.add(hostWorker, kb.mul(kb.divu(kb.sub(cta, hostWorker), size), size));
  Value groupLast = arrivalGroupLast(groupFirst, size, last);
  Value oneGroup = kb.cmp(CmpIPredicate::eq, size, participants);
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
            ElementState merged =
                mergeGroupInBatches(hostWorker, groupFirst, groupLast, workers);
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
            writeOutput(mergeGroupSlots(hostWorker, last, workers), seq, kvHead);
          });
          return {};
        });
  });
}

void AttentionKernelEmitter::mergeSplitHead(Value hostWorker, Value last, Value workers,
                                            Value seq, Value kvHead) {
  // The in-kernel association step by step (one CTA does every group's merge): each
  // group merged into its first slot, then the group slots in batches — the same
  // emitted merges on the same slots, so the outputs are bitwise identical.
  Value participants = kb.add(kb.sub(last, hostWorker), kb.c32(1));
  Value size = arrivalGroupSize(participants);
  kb.ifElse(
      kb.cmp(CmpIPredicate::eq, size, participants),
      [&]() -> Values {
        writeOutput(mergeGroup(hostWorker, hostWorker, last, workers), seq, kvHead);
        return {};
      },
      [&]() -> Values {
        kb.forLoop(hostWorker, kb.add(last, kb.c32(1)), size, {},
                   [&](Value groupFirst, ValueRange) -> Values {
                     ElementState g = mergeGroupInBatches(
                         hostWorker, groupFirst, arrivalGroupLast(groupFirst, size, last),
                         workers);
                     kb.barrier(); // every thread has read the slot it overwrites
                     writeSlot(g, groupSlot(hostWorker, groupFirst, workers));
                     return {};
                   });
        kb.barrier(); // the group slots, written by other threads, are read next
        writeOutput(mergeGroupSlots(hostWorker, last, workers), seq, kvHead);
        return {};
      });
}

} // namespace tessel::detail
