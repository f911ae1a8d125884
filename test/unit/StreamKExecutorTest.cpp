// The CPU executor runs the exact stream-K schedule in f32 and must match the fp64
// reference; its results must not depend on the order workers run in.
#include "test/reference/RandomProblems.h"
#include "test/reference/StreamKExecutor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

using namespace tessel::reference;
using tessel::schedule::Fixup;

namespace {

struct Case {
  const char *name;
  ProblemShape shape;
  std::vector<int32_t> lens;
  int64_t tile;
};

std::vector<Case> cases() {
  using E = ElementType;
  // Lengths around the tile (0, 1, tile-1, tile, tile+1) and a longer one.
  std::vector<int32_t> edges = {0, 1, 63, 64, 65, 700};
  return {
      {"mha_d64_f16", {8, 8, 64, 64, E::F16}, edges, 64},
      {"gqa4_d128_bf16", {16, 4, 128, 128, E::BF16}, edges, 64},
      {"gqa8_d128_f16", {32, 4, 128, 128, E::F16}, {300, 5, 1000}, 32},
      {"group7_d128_f16", {14, 2, 128, 128, E::F16}, edges, 64},
      {"d256_bf16", {8, 2, 256, 256, E::BF16}, {129, 0, 400}, 128},
      {"dqk_ne_dv_f16", {8, 2, 192, 64, E::F16}, {77, 256, 513}, 16},
      {"mqa_f32", {8, 1, 64, 32, E::F32}, {1, 2, 3, 1000}, 100},
      {"b1_single_tile", {8, 2, 64, 64, E::F16}, {50}, 512},
  };
}

bool bitwiseEqual(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

/// Runs the schedule in 10 random worker orders under both fix-ups; each output must equal
/// `expected` bit for bit. Returns the last order tried.
std::vector<int64_t> expectOrderIndependent(const AttentionProblem &p, int64_t tile,
                                            int64_t workers, int64_t effectiveWorkers,
                                            const std::vector<float> &expected,
                                            std::mt19937_64 &rng) {
  std::vector<int64_t> order(effectiveWorkers);
  for (int64_t i = 0; i < effectiveWorkers; ++i)
    order[i] = i;
  for (int rep = 0; rep < 10; ++rep) {
    std::shuffle(order.begin(), order.end(), rng);
    for (Fixup fixup : {Fixup::InKernel, Fixup::Separate})
      EXPECT_TRUE(bitwiseEqual(expected, executeStreamK(p, {tile, workers, fixup, order}).out));
  }
  return order;
}

} // namespace

TEST(StreamKExecutor, MatchesFp64ReferenceForEveryLayoutAndWorkerCount) {
  uint64_t seed = testSeed();
  SCOPED_TRACE("TESSEL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (const Case &c : cases()) {
    AttentionProblem p = randomProblem(c.shape, c.lens, rng);
    std::vector<double> ref = referenceAttention(p);
    for (int64_t workers : {1, 7, 132, 264, 100000})
      for (Fixup fixup : {Fixup::InKernel, Fixup::Separate}) {
        ExecutorResult r = executeStreamK(p, {c.tile, workers, fixup, {}});
        double err = relativeError(r.out, ref);
        EXPECT_LE(err, 1e-5) << c.name << " workers " << workers << " fixup "
                             << static_cast<int>(fixup);
      }
  }
}

TEST(StreamKExecutor, EmptySequencesGiveZerosNotNaN) {
  std::mt19937_64 rng(testSeed());
  AttentionProblem p = randomProblem({4, 2, 64, 64, ElementType::F16}, {0, 0}, rng, 16);
  ExecutorResult r = executeStreamK(p, {16, 8, Fixup::InKernel, {}});
  for (float x : r.out)
    EXPECT_EQ(x, 0.0f);
}

TEST(StreamKExecutor, BitwiseDeterministicAcrossRunsOrdersAndStrategies) {
  uint64_t seed = testSeed();
  SCOPED_TRACE("TESSEL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  AttentionProblem p =
      randomProblem({16, 4, 128, 128, ElementType::BF16}, {1000, 3, 64, 2000, 129}, rng);
  const int64_t tile = 64, workers = 13;
  ExecutorResult base = executeStreamK(p, {tile, workers, Fixup::InKernel, {}});
  ASSERT_GT(base.mergedByLastArrival, 0) << "the case must exercise the in-kernel fix-up";
  for (int rep = 0; rep < 5; ++rep)
    EXPECT_TRUE(bitwiseEqual(base.out,
                             executeStreamK(p, {tile, workers, Fixup::InKernel, {}}).out));
  std::vector<int64_t> order =
      expectOrderIndependent(p, tile, workers, base.workers, base.out, rng);
  std::reverse(order.begin(), order.end());
  std::sort(order.begin(), order.end(), std::greater<>());
  EXPECT_TRUE(bitwiseEqual(base.out,
                           executeStreamK(p, {tile, workers, Fixup::InKernel, order}).out));
}

// A head split over 100 workers: 13 arrival groups (kArrivalGroup = 8), so the last
// group's merge walks two batches of group slots, and the last group has 4 members. The
// in-kernel fix-up's two-level merge must equal the merge kernel's bit for bit, for any
// arrival order, and match the reference.
TEST(StreamKExecutor, TwoLevelArrivalMergeIsOrderIndependent) {
  uint64_t seed = testSeed();
  SCOPED_TRACE("TESSEL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  AttentionProblem p = randomProblem({4, 1, 64, 64, ElementType::F16}, {100 * 16 - 5}, rng);
  const int64_t tile = 16, workers = 100;
  ExecutorResult base = executeStreamK(p, {tile, workers, Fixup::InKernel, {}});
  EXPECT_EQ(base.mergedByLastArrival, 1);
  EXPECT_LE(relativeError(base.out, referenceAttention(p)), 1e-5);
  expectOrderIndependent(p, tile, workers, base.workers, base.out, rng);
}

// Which groups the kernels merge by lanes: 17..64 slots (two per lane), and only where
// each thread has one chunk and every warp's chunk lies in one head
// (abi::laneMergeLayout); those layouts keep heads of up to 64 participants in one group.
TEST(StreamKExecutor, LaneMergeAppliesToWideGroupsOfWarpUniformHeads) {
  using tessel::schedule::usesLaneMerge;
  EXPECT_TRUE(usesLaneMerge(17, 4, 128));
  EXPECT_TRUE(usesLaneMerge(32, 4, 128));
  EXPECT_FALSE(usesLaneMerge(16, 4, 128)); // batches of 8 are cheaper
  EXPECT_TRUE(usesLaneMerge(33, 4, 128));  // a lane's second slot
  EXPECT_TRUE(usesLaneMerge(64, 4, 128));
  EXPECT_FALSE(usesLaneMerge(65, 4, 128)); // more than two slots per lane
  EXPECT_TRUE(usesLaneMerge(32, 1, 128));  // MHA: one element per thread
  EXPECT_TRUE(usesLaneMerge(32, 1, 64));   // half the threads hold clamped copies
  EXPECT_TRUE(usesLaneMerge(32, 2, 128));
  EXPECT_FALSE(usesLaneMerge(32, 8, 128)); // two chunks per thread
  EXPECT_TRUE(usesLaneMerge(32, 4, 64));   // 2-element chunks: a warp spans one head
  EXPECT_FALSE(usesLaneMerge(32, 8, 32));  // 2-element chunks: a warp spans two heads
  EXPECT_FALSE(usesLaneMerge(32, 7, 128));
  using tessel::schedule::singleGroupMax;
  EXPECT_EQ(singleGroupMax(4, 128), 64);
  EXPECT_EQ(singleGroupMax(8, 128), 32); // batched: four pipelined batches at most
  tessel::schedule::Contributors wide{10, 10 + 47}; // 48 participants
  EXPECT_EQ(tessel::schedule::arrivalGroups(wide, 64), 1);
  EXPECT_EQ(tessel::schedule::arrivalGroups(wide, 32), 6);
  EXPECT_EQ(tessel::schedule::arrivalGroupFirst(wide, 30, 32), 26);
  EXPECT_EQ(tessel::schedule::arrivalGroupLast(wide, 50, 32), 57);
}

// Heads split over 17..64 workers (one arrival group each, merged by lanes; past 32 a
// lane's second slot): the result must match the reference, equal the merge kernel's bit
// for bit and not depend on the arrival order.
TEST(StreamKExecutor, LaneMergedGroupsMatchTheReferenceAndAreOrderIndependent) {
  uint64_t seed = testSeed();
  SCOPED_TRACE("TESSEL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int64_t n : {17, 25, 32, 33, 47, 64}) {
    const int64_t tile = 16, kvHeads = 4;
    AttentionProblem p = randomProblem({16, kvHeads, 128, 128, ElementType::F16},
                                       {int32_t(n * tile - 3)}, rng);
    ExecutorResult base = executeStreamK(p, {tile, n * kvHeads, Fixup::InKernel, {}});
    EXPECT_EQ(base.mergedByLastArrival, kvHeads);
    EXPECT_LE(relativeError(base.out, referenceAttention(p)), 1e-5) << n << " participants";
    expectOrderIndependent(p, tile, n * kvHeads, base.workers, base.out, rng);
  }
}

TEST(StreamKExecutor, RejectsInconsistentInput) {
  std::mt19937_64 rng(1);
  AttentionProblem p = randomProblem({4, 2, 64, 64, ElementType::F16}, {10}, rng);
  EXPECT_THROW(executeStreamK(p, {0, 4, Fixup::InKernel, {}}), std::invalid_argument);
  EXPECT_THROW(executeStreamK(p, {16, 0, Fixup::InKernel, {}}), std::invalid_argument);
  EXPECT_THROW(executeStreamK(p, {16, 4, Fixup::InKernel, {0, 0}}), std::invalid_argument);
  p.lens[0] = 11; // above Nmax
  EXPECT_THROW(executeStreamK(p, {16, 4, Fixup::InKernel, {}}), std::invalid_argument);
}
