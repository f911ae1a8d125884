// The stream-K partition of decode attention, in one place.
//
// Every user of the schedule — the compiler (IR and manifest), the runtime (workspace
// sizing), the CPU executor and the tests, and the GPU kernels (which evaluate the same
// formulas on the device) — computes it from these functions, so the partition cannot
// drift between them. MLIR-free and allocation-light on purpose.
//
// Terms:
//   tile        `tile` consecutive KV tokens of one (sequence b, KV head g).
//   head pad    units of no tokens after each non-empty head's tiles: 1 when the batch
//               has at least as many heads as workers (B x Hkv >= W launched), else 0
//               (headPadFor). Workers then hold several heads each, and a head's fixed
//               costs (its q, first ring stage, warp combine, output or slot) are worth
//               about a tile: counting them keeps a worker of many short heads from
//               ending last (H200, the skewed 64-sequence batch: -2.1..-3.0%).
//   span        a head's tiles plus the pad: ceil(L_b / tile) + pad, or 0 when L_b = 0.
//   T           sum_b Hkv * span_b: the units of all heads, ordered (b, g, unit), unit
//               fastest; a head's real tiles are its first ceil(L_b / tile) units.
//   worker      a persistent CTA; W workers split [0, T) into contiguous ranges whose
//               lengths differ by at most one (LeanAttention's even split). A worker's
//               pad units carry no work.
//   segment     the part of one worker's range that falls in one (b, g) "head".
//   host        the segment holding the head's first tile; it produces the output.
//   finishing   the segment holding the head's last tile.
#ifndef TESSEL_RUNTIME_SCHEDULE_STREAMKSCHEDULE_H
#define TESSEL_RUNTIME_SCHEDULE_STREAMKSCHEDULE_H

#include "runtime/abi/AttentionABI.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessel::schedule {

/// ceil(len / tile); 0 for an empty sequence.
inline int64_t tilesPerHead(int64_t len, int64_t tile) { return (len + tile - 1) / tile; }

/// Pad units per non-empty head for a launch of `workers` CTAs over `batch` sequences
/// (the device evaluates the same rule with its batch argument and grid size).
inline int64_t headPadFor(int64_t batch, int64_t kvHeads, int64_t workers) {
  return batch * kvHeads >= workers ? 1 : 0;
}

/// The iteration space of one batch: exclusive prefix sums of the heads' spans.
struct TileSpace {
  int64_t tile = 0;
  int64_t kvHeads = 0;
  int64_t headPad = 0;          // 0 or 1 (headPadFor)
  std::vector<int64_t> lens;    // L_b, as given (validated >= 0)
  std::vector<int64_t> offsets; // B + 1 entries; offsets[b] = first unit of sequence b

  int64_t batch() const { return static_cast<int64_t>(lens.size()); }
  /// Units the workers split (tiles and pads).
  int64_t total() const { return offsets.back(); }
  /// Real tiles of one head of sequence b.
  int64_t headTiles(int64_t b) const { return tilesPerHead(lens[b], tile); }
  /// Units of one head of sequence b: its tiles and, when it has any, the pad.
  int64_t headSpan(int64_t b) const {
    int64_t n = headTiles(b);
    return n > 0 ? n + headPad : 0;
  }
  /// First global unit (= its first tile) of head (b, g).
  int64_t headBegin(int64_t b, int64_t g) const { return offsets[b] + g * headSpan(b); }
};

/// Builds the space; throws std::invalid_argument on tile <= 0, kvHeads <= 0, a head
/// pad other than 0 or 1, or a negative length.
TileSpace buildTileSpace(const std::vector<int64_t> &lens, int64_t tile, int64_t kvHeads,
                         int64_t headPad);
/// The space a launch of `workers` CTAs uses: headPad = headPadFor(B, kvHeads, workers).
inline TileSpace buildLaunchSpace(const std::vector<int64_t> &lens, int64_t tile,
                                  int64_t kvHeads, int64_t workers) {
  return buildTileSpace(lens, tile, kvHeads,
                        headPadFor(static_cast<int64_t>(lens.size()), kvHeads, workers));
}

/// Number of workers actually used: requested clamped to [1, max(T, 1)].
int64_t effectiveWorkers(int64_t total, int64_t requested);

/// First tile of worker w under the even split of `total` tiles over `workers`
/// (LeanAttention: the first `high` workers take ceil(T/W) tiles, the rest one less).
/// workerBegin(total, workers, workers) == total.
inline int64_t workerBegin(int64_t total, int64_t workers, int64_t w) {
  int64_t maxTiles = (total + workers - 1) / workers;
  if (maxTiles == 0)
    return 0;
  int64_t high = total - (maxTiles - 1) * workers; // workers with maxTiles tiles
  return w < high ? maxTiles * w : (maxTiles - 1) * w + high;
}

/// The worker whose range holds tile t (inverse of workerBegin).
inline int64_t workerOfTile(int64_t total, int64_t workers, int64_t t) {
  int64_t maxTiles = (total + workers - 1) / workers;
  int64_t high = total - (maxTiles - 1) * workers;
  if (t < maxTiles * high)
    return t / maxTiles;
  return high + (t - maxTiles * high) / (maxTiles - 1);
}

/// Position of a global unit.
struct TileCoord {
  int64_t batch;
  int64_t kvHead;
  int64_t tile; // index within its head's span (>= headTiles: a pad unit)
};
TileCoord locateTile(const TileSpace &space, int64_t t);

/// One worker's work on one head.
struct Segment {
  int64_t worker;
  int64_t batch;
  int64_t kvHead;
  int64_t firstTile; // within the head
  int64_t endTile;   // exclusive, within the head
  bool host;         // holds the head's first tile: this worker writes the output
  bool finishing;    // holds the head's last tile
};

/// The segments of worker w, in the order the worker executes them (ascending tiles);
/// only segments with tiles (a range that starts in a head's pad skips it).
std::vector<Segment> workerSegments(const TileSpace &space, int64_t workers, int64_t w);

/// Workers contributing to head (b, g): [first, last]. Empty heads (L_b = 0) have no
/// contributors (first = -1, last = -2) and their output is zero.
struct Contributors {
  int64_t first;
  int64_t last;
  int64_t count() const { return last - first + 1; }
};
Contributors headContributors(const TileSpace &space, int64_t workers, int64_t b,
                              int64_t g);

enum class Fixup { InKernel, Separate };

/// Workspace slots for partial softmax states. A worker's range starts mid-head at most
/// once (its first segment) and ends mid-head at most once (its last segment), so two
/// slots per worker suffice for either fix-up: slot w holds worker w's non-host partial,
/// slot W + w its host partial of a split head. Whoever merges a split head — the last
/// workers to arrive (in_kernel) or the merge kernel (separate) — reads them in ascending
/// worker order, grouped as `arrivalGroupFirst` says.
int64_t partialSlots(Fixup fixup, int64_t workers);
inline int64_t nonHostSlot(int64_t w) { return w; }
inline int64_t hostSlot(int64_t workers, int64_t w) { return workers + w; }

/// A split head's participants [first, last] form arrival groups of consecutive workers,
/// the first starting at the host: one group when there are at most `singleGroupMax`
/// participants (singleGroupMax below: kSingleGroupMax, or kLaneMergeMax where the state
/// layout is merged by lanes), else groups of kArrivalGroup. in_kernel: the last arrival
/// of a group merges the group's slots, in ascending order, into the group's first slot
/// (`groupSlot`), and the last group to finish merges the groups' slots in ascending
/// order — so a head of C participants costs two merge rounds (<= 8 slots, then
/// ceil(C / 8) group slots) instead of ceil((C - 1) / 8) batches. Up to 32 participants
/// one group is cheaper: its batches are loaded one ahead of the merge
/// (software-pipelined), so four of them cost less than a second arrival round (H100,
/// v18: gqa8 1x4096, 32 participants per head, 12.20 -> 11.79 us; v9 found the same at
/// 8-16 with unpipelined batches). The merge kernel uses the same association, so both
/// fix-ups give bitwise-identical outputs.
inline constexpr int64_t kArrivalGroup = 8;
inline constexpr int64_t kSingleGroupMax = 32;
/// An arrival group of kLaneMergeMin..kLaneMergeMax slots (the group's first slot
/// included) is merged by lanes where the state layout allows it
/// (abi::laneMergeLayout). Lane j of every warp loads the m and l of slots j and j + 32
/// (those in the group; the others count as m = -inf, l = 0); one warp max gives the
/// group's m, each lane its slots' factors 2^(m_j - m), a butterfly sum over the 32 lanes
/// of fma(f_{j+32}, l_{j+32}, f_j * l_j) gives l, and o is the fma sum over the slots in
/// ascending order (slot j's factor from lane j mod 32 by shuffle), starting from 0 —
/// one factor per slot and no rescale between batches, so a group's o loads can all be
/// in flight at once (up to 32 slots; the next 32 follow in a second round trip). Smaller
/// groups keep the batched merge (kFixupMergeBatch). H200 micro-benchmark
/// (bench/micro/merge_latency.cu, docs/performance.md): 32 slots 1.95 -> 1.15 us, 25
/// slots 1.57 -> 1.12, 17 about even, 9 slots 0.67 -> 0.99 (the lanes' dependent max and
/// shuffles cost more than one batch). Groups of 33..64 (v35) save a head its second
/// arrival round, at the price of a second o round trip: H200, gqa8 1x8192 13.70 ->
/// 13.23 us, 1x16384 21.37 -> 21.12 (33-34 participants).
inline constexpr int64_t kLaneMergeMin = 17;
inline constexpr int64_t kLaneMergeLanes = 32;                // a warp
inline constexpr int64_t kLaneMergeMax = 2 * kLaneMergeLanes; // two slots per lane
static_assert(kSingleGroupMax <= kLaneMergeMax,
              "a lane-merged group has <= 2 slots per lane");
/// The group sizes the lane merge takes (the layout aside; the emitter tests the same
/// bound on the device).
inline bool isLaneMergeSize(int64_t slots) {
  return slots >= kLaneMergeMin && slots <= kLaneMergeMax;
}
inline bool usesLaneMerge(int64_t slots, int64_t group, int64_t vDim) {
  return isLaneMergeSize(slots) && abi::laneMergeLayout(group, vDim);
}
/// Most participants of a head that still form one arrival group: kLaneMergeMax where
/// the layout is merged by lanes, else kSingleGroupMax (four pipelined batches).
inline int64_t singleGroupMax(int64_t group, int64_t vDim) {
  return abi::laneMergeLayout(group, vDim) ? kLaneMergeMax : kSingleGroupMax;
}
inline int64_t arrivalGroupSize(const Contributors &c, int64_t singleMax) {
  return c.count() <= singleMax ? c.count() : kArrivalGroup;
}
inline int64_t arrivalGroupFirst(const Contributors &c, int64_t w, int64_t singleMax) {
  int64_t size = arrivalGroupSize(c, singleMax);
  return c.first + (w - c.first) / size * size;
}
inline int64_t arrivalGroupLast(const Contributors &c, int64_t groupFirst,
                                int64_t singleMax) {
  int64_t last = groupFirst + arrivalGroupSize(c, singleMax) - 1;
  return last < c.last ? last : c.last;
}
inline int64_t arrivalGroups(const Contributors &c, int64_t singleMax) {
  return (c.count() + arrivalGroupSize(c, singleMax) - 1) /
         arrivalGroupSize(c, singleMax);
}
inline int64_t groupSlot(int64_t workers, const Contributors &c, int64_t groupFirst) {
  return groupFirst == c.first ? hostSlot(workers, groupFirst) : nonHostSlot(groupFirst);
}

/// Bytes of workspace for arrival counters and partial states, laid out as
/// runtime/abi/AttentionABI.h says: two u32 counters per worker (in_kernel: head and
/// arrival-group counters, each region padded to 16 bytes), then the slots, each m [group], l [group], o [group, Dv] in f32, padded to 16
/// bytes.
int64_t workspaceBytes(Fixup fixup, int64_t workers, int64_t group, int64_t vDim);

/// Checks the partition invariants (every tile covered exactly once and no pad unit used,
/// shares differ by at most one, contributors consistent, only forward waits). Returns an
/// empty string when they hold, else a description of the first violation. Used by tests
/// and by debugging builds of the runtime.
std::string checkInvariants(const TileSpace &space, int64_t workers);

} // namespace tessel::schedule

#endif
