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
    TileSpace space = buildTileSpace(lens, tile, kvHeads[iter % 4]);
    for (int64_t w : {int64_t(1), int64_t(7), int64_t(132), int64_t(264),
                      space.total() + 5}) {
      for (int64_t workers : {w, effectiveWorkers(space.total(), w)}) {
        std::string err = checkInvariants(space, workers);
        ASSERT_EQ(err, "") << "tile " << tile << " workers " << workers << " T "
                           << space.total();
        ++cases;
      }
    }
  }
  EXPECT_GE(cases, 6000);
}

TEST(StreamKSchedule, TileSpaceCountsOnlyRealTiles) {
  TileSpace s = buildTileSpace({0, 1, 127, 128, 129}, 128, 8);
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
  TileSpace s = buildTileSpace({300}, 100, 2);
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
  TileSpace empty = buildTileSpace({0, 0, 0}, 64, 4);
  EXPECT_EQ(empty.total(), 0);
  EXPECT_EQ(effectiveWorkers(0, 132), 1);
  EXPECT_TRUE(workerSegments(empty, 1, 0).empty());
  EXPECT_EQ(headContributors(empty, 1, 1, 2).count(), 0);
  EXPECT_EQ(checkInvariants(empty, 1), "");
  // One tile, many workers: one worker does it all, the rest idle.
  TileSpace one = buildTileSpace({5}, 64, 1);
  EXPECT_EQ(effectiveWorkers(one.total(), 264), 1);
  EXPECT_EQ(checkInvariants(one, 264), "");
  EXPECT_EQ(workerSegments(one, 264, 0).size(), 1u);
  EXPECT_TRUE(workerSegments(one, 264, 1).empty());
  // Huge batch: 4096 sequences.
  TileSpace huge = buildTileSpace(std::vector<int64_t>(4096, 200), 128, 8);
  EXPECT_EQ(huge.total(), 4096 * 16);
  EXPECT_EQ(checkInvariants(huge, 264), "");
}

TEST(StreamKSchedule, RejectsBadInput) {
  EXPECT_THROW(buildTileSpace({10}, 0, 8), std::invalid_argument);
  EXPECT_THROW(buildTileSpace({10}, 64, 0), std::invalid_argument);
  EXPECT_THROW(buildTileSpace({10, -1}, 64, 8), std::invalid_argument);
  EXPECT_NE(checkInvariants(buildTileSpace({10}, 64, 8), 0), "");
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
