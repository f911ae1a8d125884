// The CUDA-core streaming loop (KernelLayout with tensorCores = false): lanes of a token
// share its head dims, scores are summed with butterfly shuffles, each warp keeps one
// online-softmax state per token group and merges them before the warp combine.
#include "passes/AttentionKernelEmitter.h"

using namespace mlir;

namespace tessel::detail {

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

Values AttentionKernelEmitter::streamSegment(Value seq, Value kvHead, Value tokBegin,
                                             Value tokEnd, Value grp, Value sub) {
  const int64_t G = group(), tps = layout.tokensPerStep(), U = layout.unroll;
  const int64_t nK = layout.kPerLane / layout.vecElems, nV = layout.vPerLane / layout.vecElems;
  const int64_t nC = nK + nV;
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
  // overlap (streamLoop then keeps the next iteration's loads in flight).
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

  return streamLoop(start, tokEnd, step, state, carried, loadRegisters,
                    [&](Value c0, ValueRange st, const Values &raw) -> Values {
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
    Values next(st.begin(), st.end());
    for (int64_t h = 0; h < G; ++h) {
      Value m = st[h], l = st[G + h];
      Value mx = m;
      for (int64_t u = 0; u < U; ++u)
        mx = kb.fmax(mx, scores[u][h]);
      Value safe = softmaxShift(mx);
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
    return next;
  });
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
  Value ws = sharedBase(warpState);
  kb.ifThen(kb.cmp(CmpIPredicate::eq, grp, kb.c32(0)), [&] {
    for (int64_t h = 0; h < G; ++h) {
      Value base = warpStateBase(warp, kb.c32(h));
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

} // namespace tessel::detail
