#include "runtime/schedule/CostModel.h"

#include <gtest/gtest.h>

using namespace tessel::schedule;

namespace {
KernelShape llama8b() { return KernelShape{32, 8, 128, 128, 2}; }
} // namespace

TEST(CostModel, PredictionNeverBeatsTheFloor) {
  DeviceModel dev = DeviceModel::h100();
  for (const ShapeClass &c : representativeClasses())
    for (int64_t tile : {16, 128, 512}) {
      TileSpace s = buildTileSpace(c.lens, tile, 8);
      EXPECT_GE(predictMicros(s, llama8b(), dev, dev.capacity(), Fixup::InKernel),
                floorMicros(s, llama8b(), dev));
    }
}

TEST(CostModel, SeparateFixupCostsASecondLaunch) {
  DeviceModel dev = DeviceModel::h100();
  TileSpace s = buildTileSpace({4096}, 128, 8); // 256 tiles over 264 workers: splits
  double inKernel = predictMicros(s, llama8b(), dev, dev.capacity(), Fixup::InKernel);
  double separate = predictMicros(s, llama8b(), dev, dev.capacity(), Fixup::Separate);
  EXPECT_NEAR(separate - inKernel, dev.launchUs, 1e-9);
}

TEST(CostModel, SkewedBatchBalancesByTiles) {
  // 64 sequences of 128..32k tokens: the even split keeps the makespan near the floor,
  // unlike one chunk per sequence (the longest sequence alone would set the time).
  DeviceModel dev = DeviceModel::h100();
  std::vector<int64_t> lens;
  for (int i = 0; i < 64; ++i)
    lens.push_back(128 << (i % 9));
  TileSpace s = buildTileSpace(lens, 128, 8);
  double t = predictMicros(s, llama8b(), dev, dev.capacity(), Fixup::InKernel);
  EXPECT_LT(t / floorMicros(s, llama8b(), dev), 1.3);
}

TEST(CostModel, ChoosesATileInRangeAndPrefersInKernel) {
  Choice c = chooseConfig(llama8b(), DeviceModel::h100());
  EXPECT_GE(c.tile, 16);
  EXPECT_LE(c.tile, 512);
  EXPECT_EQ(c.fixup, Fixup::InKernel);
  EXPECT_GE(c.worstSlowdown, 1.0);
}
