// The tensor-core streaming loop (KernelLayout with tensorCores = true): GQA groups of
// 3..8 in f16/bf16, Q·Kᵀ and P·V of the whole group with mma.sync m16n8k16.
#include "passes/AttentionKernelEmitter.h"
#include <cassert>

using namespace mlir;

namespace tessel::detail {

// Tensor-core streaming of one segment (layout.tensorCores). Per 16-token block a warp
// computes S = Q Kᵀ with m16n8k16 tiles (M: the group's heads; N: tokens; K: head dims)
// and Oᵀ += Vᵀ Pᵀ as one tile per 16 v dims (M: v dims; N: the heads, padded to 8; K: the
// 16 tokens). With r = lane / 4 and q = lane % 4 the PTX fragments are:
//   Q (A, row-major):  reg0/reg2 = rows r (k 2q..2q+1 / 2q+8..2q+9), reg1/reg3 = rows r + 8
//   K (B, col-major):  reg0 = K[token of column r][k 2q..2q+1], reg1 = [k 2q+8..2q+9]
//   S (C):             c0, c1 = S[row r][columns 2q, 2q+1], c2, c3 = rows r + 8
//   Pᵀ (B):            reg0 = P[head r][k-tokens 2q, 2q+1], reg1 = k-tokens 2q+8, 2q+9
//   Vᵀ (A):            reg0 = V[k-tokens 2q, 2q+1][dim row r], reg1 = the same tokens at
//                      row r+8, reg2/reg3 = k-tokens 2q+8, 2q+9
//   Oᵀ (C):            c0, c1 = O[head 2q, 2q+1][dim row r], c2, c3 at row r+8.
// Head dims are a contraction (Q Kᵀ) or an independent axis (Oᵀ rows), so each lane may
// hold any dims as long as both operands agree, and the block's tokens may sit in any
// k-slot of P·V as long as Pᵀ and Vᵀ agree: every fragment register comes straight from a
// 16-byte load. V: lane r takes chunks r, r+8, ... of its k-token's row (8 lanes read
// whole 128-byte lines), whose 32-bit registers are rows r (low half) and r+8 (high half)
// of consecutive m-tiles. K, two ways:
//  - paired rows (qk dims % 64 == 0, layout.pairedKRows): the M = 16 rows hold the
//    group's heads twice, rows r with the dims of chunks 8l+q and rows r+8 with those of
//    chunks 8l+4+q. Column 2p (an even quad of lanes) holds chunks 8l+q of token p of
//    the tile, column 2p+1 chunks 8l+4+q of the same token, so the 8 lanes of columns
//    2p, 2p+1 read whole 128-byte lines, and token p's score is c0 (rows r, column 2q)
//    + c3 (rows r+8, column 2q+1) of lane q = p. Four 4-token tiles per block, k-token
//    2q+e+8f = tile 2f+e's token q = block token 8f+4e+q; the padding rows that held
//    zeros do the second half, so the mma count is unchanged.
//  - otherwise: rows r+8 are zero, column r holds token r of the tile (two 8-token
//    tiles per block, k-token = block token), lane q takes chunks q, q+4, q+8, ... of it:
//    4 lanes read 64 bytes of each row per load.
// H100 micro-benchmark (bench/micro/kv_stream_ring.cu): whole-line loads stream 1.3%
// faster than half lines.
void AttentionKernelEmitter::streamSegmentMma(Value seq, Value kvHead, Value tokBegin,
                                              Value tokEnd) {
  const int64_t G = group(), U = layout.unroll;
  const bool paired = layout.pairedKRows;
  const int64_t vVecs = spec.vDim / 64; // 16-byte V chunks per lane per token
  const int64_t mTiles = spec.vDim / 16;
  // Per 16-token block: n8 tiles, their k-steps and the 16-byte K loads of each tile.
  const int64_t kTiles = paired ? 4 : 2;
  const int64_t tileSteps = paired ? spec.qkDim / 32 : spec.qkDim / 16;
  const int64_t tileLoads = tileSteps / 2;
  const int64_t elems = layout.vecElems; // 8
  Type i32x4 = VectorType::get({4}, kb.i32());
  Type elem = elemType();
  Value r = kb.divu(lane, kb.c32(4)), q = kb.remu(lane, kb.c32(4));
  Value zero = kb.c32(0);
  auto reg = [&](Value vec, int64_t i) -> Value {
    return vector::ExtractOp::create(b, vec, ArrayRef<int64_t>{i});
  };
  // The 16-byte chunk of load `l` of a tile: (8l or 4l) + an offset within the group of
  // chunks — q, and paired, + 4 for the odd quads (their half of each 128-byte line).
  auto chunkAt = [&](int64_t l, Value offset) {
    return kb.add(kb.c32((paired ? 8 : 4) * l), offset);
  };
  Value kOffset = paired ? kb.add(kb.mul(kb.remu(r, kb.c32(2)), kb.c32(4)), q) : q;
  auto kChunkIndex = [&](int64_t l) { return chunkAt(l, kOffset); };

  // Q fragments per k-step: rows r hold head r with the even quads' dims (chunks 8l + q
  // paired, 4l + q otherwise); paired, rows r + 8 hold the same head with the odd quads'
  // dims (chunks 8l + 4 + q), otherwise zeros. Rows of r >= G are zero.
  Value qHead = kb.add(kb.mul(kvHead, kb.c32(G)), kb.mins(r, kb.c32(G - 1)));
  Value qRow = kb.add(kb.mul(kb.toI64(seq), kb.c64(spec.qHeads)), kb.toI64(qHead));
  Value isHead = kb.cmp(CmpIPredicate::ult, r, kb.c32(G));
  auto loadQ = [&](Value chunk) {
    Value off = kb.toI64(kb.mul(chunk, kb.c32(elems)));
    Value x = kb.load(i32x4, kb.gep(queryPtr, elem, kb.add(kb.mul(qRow, kb.c64(spec.qkDim)), off)), 16);
    Values regs;
    for (int64_t c = 0; c < 4; ++c)
      regs.push_back(kb.select(isHead, reg(x, c), zero));
    return regs;
  };
  SmallVector<std::array<Value, 4>> qFrag;
  for (int64_t l = 0; l < tileLoads; ++l) {
    // Chunk l of the tile covers k-steps 2l (registers 0, 1) and 2l + 1 (2, 3).
    Values lo = loadQ(chunkAt(l, q));
    Values hi = paired ? loadQ(chunkAt(l, kb.add(q, kb.c32(4)))) : Values(4, zero);
    for (int64_t h = 0; h < 2; ++h)
      qFrag.push_back({lo[2 * h], hi[2 * h], lo[2 * h + 1], hi[2 * h + 1]});
  }

  Value headRow = kb.mul(kb.add(kb.mul(kb.toI64(seq), kb.c64(spec.kvHeads)), kb.toI64(kvHead)),
                         kb.toI64(maxLen));
  Value last = kb.sub(tokEnd, kb.c32(1));
  // Tokens past the segment read its last row (valid memory); their scores are masked.
  auto rowOf = [&](Value tok) { return kb.add(headRow, kb.toI64(kb.mins(tok, last))); };
  auto loadK = [&](Value tok, int64_t l) {
    Value off = kb.toI64(kb.mul(kChunkIndex(l), kb.c32(elems)));
    Value idx = kb.add(kb.mul(rowOf(tok), kb.c64(spec.qkDim)), off);
    return kb.load(i32x4, kb.gep(keyPtr, elem, idx), 16);
  };
  auto loadV = [&](Value tok, int64_t u) {
    Value off = kb.toI64(kb.mul(kb.add(kb.c32(8 * u), r), kb.c32(elems)));
    Value idx = kb.add(kb.mul(rowOf(tok), kb.c64(spec.vDim)), off);
    return kb.load(i32x4, kb.gep(valuePtr, elem, idx), 16);
  };
  // Block token of this lane's K column in tile t, and of score e (k-token 2q + (e % 2)
  // + 8 (e / 2), in the order Pᵀ packs them) of this lane.
  Value kCol = paired ? kb.divu(r, kb.c32(2)) : r;
  auto kToken = [&](int64_t t) {
    return kb.add(kCol, kb.c32(paired ? 4 * t : 8 * t));
  };
  auto scoreToken = [&](int64_t e) {
    return paired ? kb.add(q, kb.c32(4 * e))
                  : kb.add(kb.mul(q, kb.c32(2)), kb.c32(e % 2 + 8 * (e / 2)));
  };

  const float scaleLog2 = spec.scale * kLog2e;
  const int64_t blockTokens = 16, iterTokens = blockTokens * U;
  Value start = kb.add(tokBegin, kb.mul(warp, kb.c32(iterTokens)));
  Value step = kb.c32(abi::kWarps * iterTokens);
  // Carried: m (head r, base-2 scaled scores), l (this lane's tokens of head r), Oᵀ.
  Values init{kb.negInf(), kb.cf(0)};
  for (int64_t i = 0; i < 4 * mTiles; ++i)
    init.push_back(kb.cf(0));
  // The iteration's loads, block by block: K (tileLoads chunks of each tile's token),
  // then V rows of the k-tokens 2q, 2q + 1, 2q + 8, 2q + 9 (vVecs chunks each).
  const int64_t perBlock = kTiles * tileLoads + 4 * vVecs;
  auto loadBlocks = [&](Value c0) -> Values {
    Values raw;
    for (int64_t k = 0; k < U; ++k) {
      Value base = kb.add(c0, kb.c32(k * blockTokens));
      for (int64_t t = 0; t < kTiles; ++t)
        for (int64_t l = 0; l < tileLoads; ++l)
          raw.push_back(loadK(kb.add(base, kToken(t)), l));
      for (int64_t e = 0; e < 4; ++e)
        for (int64_t u = 0; u < vVecs; ++u)
          raw.push_back(loadV(kb.add(base, scoreToken(e)), u));
    }
    return raw;
  };
  auto computeBlocks = [&](Value c0, ValueRange st, const Values &raw) -> Values {
    auto kChunk = [&](int64_t k, int64_t t, int64_t l) {
      return raw[k * perBlock + t * tileLoads + l];
    };
    auto vChunk = [&](int64_t k, int64_t e, int64_t u) {
      return raw[k * perBlock + kTiles * tileLoads + e * vVecs + u];
    };
    // Scores s[k][e] of block k's token scoreToken(e) for head r, base 2.
    SmallVector<Values> s(U);
    Value rawMax = kb.negInf();
    for (int64_t k = 0; k < U; ++k) {
      Values scores;
      for (int64_t t = 0; t < kTiles; ++t) {
        Values acc{kb.cf(0), kb.cf(0), kb.cf(0), kb.cf(0)};
        for (int64_t ks = 0; ks < tileSteps; ++ks) {
          Value chunk = kChunk(k, t, ks / 2);
          int64_t h = 2 * (ks % 2);
          const auto &a = qFrag[ks];
          acc = kb.mmaM16N8K16(elem, {a[0], a[1], a[2], a[3]},
                               {reg(chunk, h), reg(chunk, h + 1)}, acc);
        }
        if (paired)
          scores.push_back(kb.fadd(acc[0], acc[3]));
        else
          scores.append({acc[0], acc[1]});
      }
      for (int64_t e = 0; e < 4; ++e) {
        Value tok = kb.add(c0, kb.add(scoreToken(e), kb.c32(16 * k)));
        Value valid = kb.cmp(CmpIPredicate::slt, tok, tokEnd);
        Value sc = kb.select(valid, kb.fmul(scores[e], kb.cf(scaleLog2)), kb.negInf());
        s[k].push_back(sc);
        rawMax = kb.fmax(rawMax, sc);
      }
    }
    // Online softmax for head r: the 4 lanes of a row hold its 16U scores.
    for (int64_t off = 1; off < 4; off *= 2)
      rawMax = kb.fmax(rawMax, kb.shuffleXor(rawMax, off));
    Value m = st[0], l = st[1];
    Value mx = kb.fmax(m, rawMax);
    Value safe = softmaxShift(mx);
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
    Values o(st.begin() + 2, st.end());
    for (int64_t i = 0; i < mTiles; ++i)
      for (int64_t c = 0; c < 4; ++c)
        o[4 * i + c] = kb.fmul(o[4 * i + c], c % 2 ? alphaHi : alphaLo);
    for (int64_t k = 0; k < U; ++k) {
      Value b0 = kb.packHalves(elem, p[k][0], p[k][1]);
      Value b1 = kb.packHalves(elem, p[k][2], p[k][3]);
      for (int64_t i = 0; i < mTiles; ++i) {
        Value x[4];
        for (int64_t e = 0; e < 4; ++e)
          x[e] = reg(vChunk(k, e, i / 4), i % 4);
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
    return next;
  };
  Values result;
  if (layout.ringStages > 0) {
    // The same fragments from the warp's block of a ring stage: K rows as in global
    // memory, V chunks at ringVChunk.
    Type i8 = IntegerType::get(b.getContext(), 8);
    const int64_t eb = elemType().getIntOrFloatBitWidth() / 8;
    auto readBlock = [&](Value kRows, Value vRows) -> Values {
      Values raw;
      for (int64_t t = 0; t < kTiles; ++t)
        for (int64_t l = 0; l < tileLoads; ++l) {
          Value off = kb.add(kb.mul(kToken(t), kb.c32(spec.qkDim * eb)),
                             kb.mul(kChunkIndex(l), kb.c32(16)));
          raw.push_back(kb.load(i32x4, kb.gep(kRows, i8, off), 16));
        }
      for (int64_t e = 0; e < 4; ++e)
        for (int64_t u = 0; u < vVecs; ++u) {
          // Rows are numbered within the stage (warp w's block starts at row 16 w).
          Value row = kb.add(kb.mul(warp, kb.c32(blockTokens)), scoreToken(e));
          Value chunk = ringVChunk(row, kb.add(kb.c32(8 * u), r));
          Value off = kb.add(kb.mul(scoreToken(e), kb.c32(spec.vDim * eb)),
                             kb.mul(chunk, kb.c32(16)));
          raw.push_back(kb.load(i32x4, kb.gep(vRows, i8, off), 16));
        }
      return raw;
    };
    result = streamRing(headRow, tokBegin, tokEnd, init, readBlock, computeBlocks);
  } else {
    Values preloaded;
    if (layout.pipelined)
      preloaded = loadBlocks(start);
    result = streamLoop(start, tokEnd, step, init, preloaded, loadBlocks, computeBlocks);
  }

  // The warp's state: m is uniform over a row's lanes, l is summed over them.
  Value m = result[0], l = result[1];
  for (int64_t off = 1; off < 4; off *= 2)
    l = kb.fadd(l, kb.shuffleXor(l, off));
  Value ws = sharedBase(warpState);
  auto rowBase = [&](Value h) { return warpStateBase(warp, h); };
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

Value AttentionKernelEmitter::ringVChunk(Value row, Value chunk) {
  // The quarter-warp's 4 rows are q + 4e (paired K) or 2q + (e % 2) + 8 (e / 2) of a
  // block: 4 (row % 4) resp. 4 ((row / 2) % 4) distinct values; XOR-ing twice that into
  // the chunk's low 3 bits spreads the 2 x 4 chunks over the 8 bank groups of 128 bytes.
  Value key = layout.pairedKRows ? kb.remu(row, kb.c32(4))
                                 : kb.remu(kb.divu(row, kb.c32(2)), kb.c32(4));
  return arith::XOrIOp::create(b, chunk, kb.mul(key, kb.c32(2)));
}

// The CTA-wide ring (layout.ringStages = S >= 2). A stage holds abi::kRingStageTokens (64)
// consecutive tokens of the segment, K rows then V rows; all 128 threads copy it with
// cp.async, thread t taking 16-byte chunks t, t + 128, ... of each (every warp
// instruction covers 512 contiguous bytes, as cuDNN's decode kernel reads), one commit
// group per stage. The prologue issues stages 0 .. S-2; iteration i waits for its own
// group (at most S - 2 newer ones pending), and one CTA barrier both publishes every
// thread's copies of stage i and certifies that every warp is done with stage i - 1,
// which the iteration then refills with the copies of stage i + S - 1 before warp w
// computes block w of stage i. Rows past the segment's end copy its last row (valid
// memory; their scores are masked). The next segment's prologue may overwrite any stage
// only after combineWarpStates' barrier, which every warp reaches after its last read.
// `.ca` (through L1), not `.cg`: on the H200 the `.cg` ring was 14-16% slower than the
// register path and the `.ca` ring 0.3-3% faster (docs/performance.md, v22).
Values AttentionKernelEmitter::streamRing(
    Value headRow, Value tokBegin, Value tokEnd, Values init,
    const std::function<Values(Value kRows, Value vRows)> &readBlock,
    const BlockCompute &compute) {
  const int64_t S = layout.ringStages, T = abi::kRingStageTokens;
  assert(S >= 2 && "one stage cannot copy while the warps compute");
  const int64_t eb = elemType().getIntOrFloatBitWidth() / 8;
  const int64_t kRowBytes = spec.qkDim * eb, vRowBytes = spec.vDim * eb;
  const int64_t stageBytes = abi::kvRingBytes(1, spec.qkDim, spec.vDim, eb);
  Type i8 = IntegerType::get(b.getContext(), 8);
  Value ring = sharedBase(dynShared);
  auto stage = [&](Value s) { return kb.gep(ring, i8, kb.mul(s, kb.c32(stageBytes))); };
  Value last = kb.sub(tokEnd, kb.c32(1));
  // Copies the T tokens from c0 into stage s; one commit group whether or not it copied.
  auto issue = [&](Value s, Value c0) {
    kb.ifThen(kb.cmp(CmpIPredicate::slt, c0, tokEnd), [&] {
      Value dst = kb.sharedAddress(stage(s));
      auto copyRows = [&](Value base, int64_t rowBytes, int64_t dstOffset, bool swizzle) {
        const int64_t perRow = rowBytes / 16, chunks = T * perRow;
        for (int64_t i = 0; i * abi::kBlockThreads < chunks; ++i) {
          Value g = kb.add(tid, kb.c32(i * abi::kBlockThreads));
          Value row = kb.divu(g, kb.c32(perRow)), chunk = kb.remu(g, kb.c32(perRow));
          Value srcRow = kb.add(headRow, kb.toI64(kb.mins(kb.add(c0, row), last)));
          Value src = kb.gep(base, i8,
                             kb.add(kb.mul(srcRow, kb.c64(rowBytes)),
                                    kb.toI64(kb.mul(chunk, kb.c32(16)))));
          Value at = swizzle ? ringVChunk(row, chunk) : chunk;
          Value off = kb.add(kb.c32(dstOffset),
                             kb.add(kb.mul(row, kb.c32(rowBytes)), kb.mul(at, kb.c32(16))));
          kb.inlinePtxVoid({kb.add(dst, off), src},
                           "cp.async.ca.shared.global [$0], [$1], 16;", "r,l,~{memory}");
        }
      };
      copyRows(keyPtr, kRowBytes, 0, /*swizzle=*/false);
      copyRows(valuePtr, vRowBytes, T * kRowBytes, /*swizzle=*/true);
    });
    kb.inlinePtxVoid({}, "cp.async.commit_group;", "~{memory}");
  };
  for (int64_t s = 0; s + 1 < S; ++s)
    issue(kb.c32(s), kb.add(tokBegin, kb.c32(s * T)));

  const size_t n = init.size();
  init.push_back(kb.c32(0)); // stages consumed so far
  const std::string wait = "cp.async.wait_group " + std::to_string(S - 2) + ";";
  Values result = kb.forLoop(tokBegin, tokEnd, kb.c32(T), init,
                             [&](Value c0, ValueRange st) -> Values {
    Value i = st.back();
    kb.inlinePtxVoid({}, wait, "~{memory}");
    kb.barrier();
    // Stage (i + S - 1) % S = (i - 1) % S: every warp passed the barrier after reading it.
    issue(kb.remu(kb.add(i, kb.c32(S - 1)), kb.c32(S)), kb.add(c0, kb.c32((S - 1) * T)));
    Value base = stage(kb.remu(i, kb.c32(S)));
    Value block = kb.mul(warp, kb.c32(16));
    Value kRows = kb.gep(base, i8, kb.mul(block, kb.c32(kRowBytes)));
    Value vRows = kb.gep(base, i8, kb.add(kb.c32(T * kRowBytes),
                                          kb.mul(block, kb.c32(vRowBytes))));
    Values out = compute(kb.add(c0, block), st.take_front(n), readBlock(kRows, vRows));
    out.push_back(kb.add(i, kb.c32(1)));
    return out;
  });
  result.resize(n);
  return result;
}

} // namespace tessel::detail
