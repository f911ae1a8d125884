// Property tests of the stream-K partition over thousands of random ragged batches.
#include "runtime/schedule/StreamKSchedule.h"
#include "test/reference/RandomProblems.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

using namespace tessel::schedule;

namespace {

/// Lengths drawn to hit the boundaries: 0, 1, tile-1, tile, tile+1, small and large.
std::vector<int64_t> randomLens(std::mt19937_64 &rng, int64_t tile) {
  std::uniform_int_distribution<int> batchDist(1, 40), pick(0, 7);
  std::uniform_int_distribution<int64_t> small(0, 4 * tile), large(0, 200 * tile);
  std::vector<int64_t> lens(batchDist(rng));
  for (int64_t &len : lens) {
    switch (pick(rng)) {
    case 0: len = 0; break;
    case 1: len = 1; break;
    case 2: len = tile - 1; break;
    case 3: len = tile; break;
    case 4: len = tile + 1; break;
    case 5: len = large(rng); break;
    default: len = small(rng); break;
    }
  }
  return lens;
}

} // namespace

TEST(StreamKSchedule, RandomRaggedBatchesKeepEveryInvariant) {
  uint64_t seed = tessel::reference::testSeed();
  SCOPED_TRACE("TESSEL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const int64_t tiles[] = {16, 32, 64, 100, 128, 256, 512};
  const int64_t kvHeads[] = {1, 2, 8, 32};
  int cases = 0;
  for (int iter = 0; iter < 600; ++iter) {
    int64_t tile = tiles[iter % 7];
    auto lens = randomLens(rng, tile);
    if (iter % 50 == 0) { // one huge sequence with many tiny ones
      lens.assign(60, 3);
      lens[iter % 60] = 512 * 1024;
    }
    // With and without the head pad, whatever the rule would pick for this launch.
    for (int64_t pad : {0, 1}) {
      TileSpace space = buildTileSpace(lens, tile, kvHeads[iter % 4], pad);
      for (int64_t w :
           {int64_t(1), int64_t(7), int64_t(132), int64_t(264), space.total() + 5}) {
        for (int64_t workers : {w, effectiveWorkers(space.total(), w)}) {
          std::string err = checkInvariants(space, workers);
          ASSERT_EQ(err, "") << "tile " << tile << " pad " << pad << " workers "
                             << workers << " T " << space.total();
          ++cases;
        }
      }
    }
  }
  EXPECT_GE(cases, 12000);
}

TEST(StreamKSchedule, TileSpaceCountsOnlyRealTiles) {
  TileSpace s = buildTileSpace({0, 1, 127, 128, 129}, 128, 8, 0);
  EXPECT_EQ(s.offsets, (std::vector<int64_t>{0, 0, 8, 16, 24, 40}));
  EXPECT_EQ(s.total(), 40);
  EXPECT_EQ(s.headBegin(4, 1), 24 + 2);
  TileCoord c = locateTile(s, 25);
  EXPECT_EQ(c.batch, 4);
  EXPECT_EQ(c.kvHead, 0);
  EXPECT_EQ(c.tile, 1);
}

TEST(StreamKSchedule, EvenSplitMatchesLeanAttention) {
  // T = 10 over 4 workers: 3, 3, 2, 2.
  EXPECT_EQ(workerBegin(10, 4, 0), 0);
  EXPECT_EQ(workerBegin(10, 4, 1), 3);
  EXPECT_EQ(workerBegin(10, 4, 2), 6);
  EXPECT_EQ(workerBegin(10, 4, 3), 8);
  EXPECT_EQ(workerBegin(10, 4, 4), 10);
  for (int64_t t = 0; t < 10; ++t) {
    int64_t w = workerOfTile(10, 4, t);
    EXPECT_LE(workerBegin(10, 4, w), t);
    EXPECT_GT(workerBegin(10, 4, w + 1), t);
  }
}

TEST(StreamKSchedule, SegmentsCrossHeadBoundaries) {
  // One sequence, 2 KV heads of 3 tiles each, 4 workers: shares 2, 2, 1, 1.
  TileSpace s = buildTileSpace({300}, 100, 2, 0);
  auto w1 = workerSegments(s, 4, 1); // tiles 2, 3: end of head 0, start of head 1
  ASSERT_EQ(w1.size(), 2u);
  EXPECT_EQ(w1[0].kvHead, 0);
  EXPECT_FALSE(w1[0].host);
  EXPECT_TRUE(w1[0].finishing);
  EXPECT_EQ(w1[1].kvHead, 1);
  EXPECT_TRUE(w1[1].host);
  EXPECT_FALSE(w1[1].finishing);
  Contributors c = headContributors(s, 4, 0, 1);
  EXPECT_EQ(c.first, 1);
  EXPECT_EQ(c.last, 3);
  EXPECT_EQ(c.count(), 3);
}

TEST(StreamKSchedule, DegenerateCases) {
  // Every sequence empty: no tiles, one (idle) worker, no contributors.
  TileSpace empty = buildTileSpace({0, 0, 0}, 64, 4, 1);
  EXPECT_EQ(empty.total(), 0);
  EXPECT_EQ(effectiveWorkers(0, 132), 1);
  EXPECT_TRUE(workerSegments(empty, 1, 0).empty());
  EXPECT_EQ(headContributors(empty, 1, 1, 2).count(), 0);
  EXPECT_EQ(checkInvariants(empty, 1), "");
  // One tile, many workers: one worker does it all, the rest idle.
  TileSpace one = buildTileSpace({5}, 64, 1, 0);
  EXPECT_EQ(effectiveWorkers(one.total(), 264), 1);
  EXPECT_EQ(checkInvariants(one, 264), "");
  EXPECT_EQ(workerSegments(one, 264, 0).size(), 1u);
  EXPECT_TRUE(workerSegments(one, 264, 1).empty());
  // Huge batch: 4096 sequences.
  TileSpace huge = buildLaunchSpace(std::vector<int64_t>(4096, 200), 128, 8, 264);
  EXPECT_EQ(huge.headPad, 1); // 32768 heads for 264 workers
  EXPECT_EQ(huge.total(), 4096 * 8 * (2 + 1));
  EXPECT_EQ(checkInvariants(huge, 264), "");
}

TEST(StreamKSchedule, HeadPadFollowsTheHeadsPerWorker) {
  // One pad unit per non-empty head once the batch has at least as many heads as the
  // launch has workers (the device: batch argument x Hkv >= grid).
  EXPECT_EQ(headPadFor(32, 8, 264), 0);
  EXPECT_EQ(headPadFor(33, 8, 264), 1);
  EXPECT_EQ(headPadFor(1, 32, 32), 1);
  EXPECT_EQ(headPadFor(1, 32, 33), 0);
  EXPECT_EQ(buildLaunchSpace(std::vector<int64_t>(33, 128), 128, 8, 264).headPad, 1);
  EXPECT_EQ(buildLaunchSpace(std::vector<int64_t>(32, 128), 128, 8, 264).headPad, 0);
}

TEST(StreamKSchedule, PaddedHeadsSpanOneUnitMore) {
  // Heads of 0, 1, 2 and 2 tiles (tile 100, 2 KV heads), padded: spans 0, 2, 3, 3.
  TileSpace s = buildTileSpace({0, 100, 150, 200}, 100, 2, 1);
  EXPECT_EQ(s.offsets, (std::vector<int64_t>{0, 0, 4, 10, 16}));
  EXPECT_EQ(s.headSpan(0), 0);
  EXPECT_EQ(s.headSpan(2), 3);
  EXPECT_EQ(s.headTiles(2), 2);
  EXPECT_EQ(s.headBegin(2, 1), 7);
  TileCoord pad = locateTile(s, 9); // head (2, 1)'s pad
  EXPECT_EQ(pad.batch, 2);
  EXPECT_EQ(pad.kvHead, 1);
  EXPECT_EQ(pad.tile, 2);
  // 16 units over 5 workers: 4, 3, 3, 3, 3 -> [0,4) [4,7) [7,10) [10,13) [13,16).
  // Worker 1 ends in head (2, 0)'s pad, worker 2 holds all of head (2, 1) and its pad,
  // worker 3 starts at head (3, 0); worker 4's range [13, 16) is head (3, 1) whole.
  auto w1 = workerSegments(s, 5, 1);
  ASSERT_EQ(w1.size(), 1u);
  EXPECT_EQ(w1[0].batch, 2);
  EXPECT_EQ(w1[0].kvHead, 0);
  EXPECT_TRUE(w1[0].host);
  EXPECT_TRUE(w1[0].finishing);
  EXPECT_EQ(w1[0].endTile, 2);
  auto w0 = workerSegments(s, 5, 0); // heads (1, 0), (1, 1) whole and their pads
  ASSERT_EQ(w0.size(), 2u);
  EXPECT_TRUE(w0[1].host && w0[1].finishing);
  EXPECT_EQ(headContributors(s, 5, 2, 1).count(), 1);
  EXPECT_EQ(checkInvariants(s, 5), "");
  // 16 units over 6 workers: 3, 3, 3, 3, 2, 2 -> worker 3 is [9, 12): it starts in head
  // (2, 1)'s pad (unit 9), which it skips, then holds head (3, 0) whole.
  auto w3 = workerSegments(s, 6, 3);
  ASSERT_EQ(w3.size(), 1u);
  EXPECT_EQ(w3[0].batch, 3);
  EXPECT_EQ(w3[0].kvHead, 0);
  EXPECT_EQ(w3[0].firstTile, 0);
  EXPECT_EQ(checkInvariants(s, 6), "");
  // A worker whose whole range is a pad has no segments and is nobody's contributor.
  TileSpace t = buildTileSpace({100, 100}, 100, 1, 1); // units: tile, pad, tile, pad
  EXPECT_TRUE(workerSegments(t, 4, 1).empty());
  EXPECT_EQ(headContributors(t, 4, 1, 0).first, 2);
  EXPECT_EQ(checkInvariants(t, 4), "");
}

TEST(StreamKSchedule, RejectsBadInput) {
  EXPECT_THROW(buildTileSpace({10}, 0, 8, 0), std::invalid_argument);
  EXPECT_THROW(buildTileSpace({10}, 64, 0, 0), std::invalid_argument);
  EXPECT_THROW(buildTileSpace({10, -1}, 64, 8, 0), std::invalid_argument);
  EXPECT_THROW(buildTileSpace({10}, 64, 8, 2), std::invalid_argument);
  EXPECT_THROW(buildTileSpace({10}, 64, 8, -1), std::invalid_argument);
  EXPECT_NE(checkInvariants(buildTileSpace({10}, 64, 8, 0), 0), "");
}

TEST(StreamKSchedule, WorkspaceSizes) {
  // Two slots per worker (non-host and host partial); in_kernel adds two counter regions
  // (head and arrival-group counters, one u32 per worker each, padded to 16 bytes).
  EXPECT_EQ(partialSlots(Fixup::InKernel, 264), 528);
  EXPECT_EQ(partialSlots(Fixup::Separate, 264), 528);
  // group 4, Dv 128: 4 * 130 * 4 = 2080 bytes per slot.
  EXPECT_EQ(workspaceBytes(Fixup::InKernel, 10, 4, 128), 20 * 2080 + 2 * 48);
  EXPECT_EQ(workspaceBytes(Fixup::Separate, 10, 4, 128), 20 * 2080);
}
