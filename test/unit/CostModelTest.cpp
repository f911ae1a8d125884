#include "runtime/schedule/Calibration.h"
#include "runtime/schedule/CostModel.h"
#include "runtime/schedule/LensSpec.h"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace tessel::schedule;

namespace {
KernelShape llama8b() { return KernelShape{32, 8, 128, 128, 2}; }
} // namespace

TEST(CostModel, PredictionNeverBeatsTheFloor) {
  DeviceModel dev = DeviceModel::h100(llama8b());
  for (const ShapeClass &c : representativeClasses())
    for (int64_t tile : {16, 128, 512}) {
      TileSpace s = buildLaunchSpace(c.lens, tile, 8, dev.capacity());
      EXPECT_GE(predictMicros(s, llama8b(), dev, dev.capacity(), Fixup::InKernel),
                floorMicros(s, llama8b(), dev));
    }
}

TEST(CostModel, SeparateFixupCostsASecondLaunch) {
  DeviceModel dev = DeviceModel::h100(llama8b());
  TileSpace s =
      buildLaunchSpace({4096}, 128, 8, dev.capacity()); // 256 tiles, 264 workers
  dev.fixupBatchUs = 0; // the fix-ups' merge rounds differ too (next test)
  double inKernel = predictMicros(s, llama8b(), dev, dev.capacity(), Fixup::InKernel);
  double separate = predictMicros(s, llama8b(), dev, dev.capacity(), Fixup::Separate);
  EXPECT_NEAR(separate - inKernel, dev.launchUs, 1e-9);
}

TEST(CostModel, SkewedBatchBalancesByTiles) {
  // 64 sequences of 128..32k tokens: the even split keeps the makespan near the floor,
  // unlike one chunk per sequence (the longest sequence alone would set the time).
  DeviceModel dev = DeviceModel::h100(llama8b());
  std::vector<int64_t> lens;
  for (int i = 0; i < 64; ++i)
    lens.push_back(128 << (i % 9));
  TileSpace s = buildLaunchSpace(lens, 128, 8, dev.capacity()); // 512 heads: padded
  EXPECT_EQ(s.headPad, 1);
  double t = predictMicros(s, llama8b(), dev, dev.capacity(), Fixup::InKernel);
  EXPECT_LT(t / floorMicros(s, llama8b(), dev), 1.3);
}

TEST(CostModel, ChoosesATileInRangeAndPrefersInKernel) {
  Choice c = chooseConfig(llama8b(), DeviceModel::h100(llama8b()));
  EXPECT_GE(c.tile, 16);
  EXPECT_LE(c.tile, 512);
  EXPECT_EQ(c.fixup, Fixup::InKernel);
  EXPECT_GE(c.worstSlowdown, 1.0);
}

TEST(CostModel, FixupChargesItsDependentMergeRounds) {
  DeviceModel dev = DeviceModel::h100(llama8b());
  dev.fixupBatchUs = 1.0;
  DeviceModel noBatch = dev;
  noBatch.fixupBatchUs = 0;
  // One sequence, 8 heads, tile 64, 8 C workers: C tiles per head and one tile per
  // worker give C contributors per head.
  auto extra = [&](int64_t contributors, Fixup fixup,
                   GroupMerge merge = GroupMerge::LanesWhereLaidOut) {
    TileSpace s = buildLaunchSpace({contributors * 64}, 64, 8, contributors * 8);
    ScheduleProfile p = profileSchedule(s, llama8b(), contributors * 8, merge);
    EXPECT_EQ(p.maxContributors, contributors);
    return predictMicros(p, dev, fixup) - predictMicros(p, noBatch, fixup);
  };
  // One group (<= 32): the last arrival merges the others 8 at a time, or from 17 slots
  // by lanes (llama's layout allows it), which costs one batch.
  EXPECT_NEAR(extra(4, Fixup::InKernel), 0.0, 1e-9);
  EXPECT_NEAR(extra(9, Fixup::InKernel), 0.0, 1e-9);
  EXPECT_NEAR(extra(16, Fixup::InKernel), 1.0, 1e-9);
  EXPECT_NEAR(extra(16, Fixup::Separate), 1.0, 1e-9);
  EXPECT_NEAR(extra(17, Fixup::InKernel), 1.0, 1e-9);
  EXPECT_NEAR(extra(32, Fixup::InKernel), 1.0, 1e-9);
  EXPECT_NEAR(extra(32, Fixup::Separate), 1.0, 1e-9);
  // The kernels before v33 (the older sweeps) merged every group in batches.
  EXPECT_NEAR(extra(17, Fixup::InKernel, GroupMerge::Batches), 1.0, 1e-9);
  EXPECT_NEAR(extra(25, Fixup::InKernel, GroupMerge::Batches), 2.0, 1e-9);
  EXPECT_NEAR(extra(32, Fixup::InKernel, GroupMerge::Batches), 3.0, 1e-9);
  EXPECT_NEAR(extra(32, Fixup::Separate, GroupMerge::Batches), 3.0, 1e-9);
  // A state layout the lane merge cannot use (group 8 at Dv 128: two chunks per thread)
  // keeps the batches.
  KernelShape group8{64, 8, 128, 128, 2};
  ScheduleProfile wide =
      profileSchedule(buildLaunchSpace({32 * 64}, 64, 8, 264), group8, 264);
  EXPECT_FALSE(wide.laneMerges);
  EXPECT_EQ(wide.maxContributors, 32);
  EXPECT_EQ(extraMergeBatches(wide, Fixup::InKernel), 3);
  // Up to 64 contributors the lane merge keeps one group and pays one round trip per 32
  // slots; beyond, groups of 8 (65: 9 groups).
  EXPECT_NEAR(extra(33, Fixup::InKernel), 2.0, 1e-9);
  EXPECT_NEAR(extra(33, Fixup::Separate), 2.0, 1e-9);
  EXPECT_NEAR(extra(64, Fixup::InKernel), 2.0, 1e-9);
  EXPECT_NEAR(extra(65, Fixup::InKernel), 2.0, 1e-9);
  EXPECT_NEAR(extra(65, Fixup::Separate), 8.0, 1e-9);
  // The v33-v34 kernels: 33 contributors, 5 groups: two extra rounds in-kernel; the
  // merge kernel walks the groups one batch each.
  EXPECT_NEAR(extra(33, Fixup::InKernel, GroupMerge::LanesUpTo32), 2.0, 1e-9);
  EXPECT_NEAR(extra(33, Fixup::Separate, GroupMerge::LanesUpTo32), 4.0, 1e-9);
  EXPECT_NEAR(extra(32, Fixup::Separate, GroupMerge::LanesUpTo32), 1.0, 1e-9);
}

TEST(CostModel, ConstantsDependOnTheKernelClass) {
  KernelShape mha{32, 32, 128, 128, 2};
  EXPECT_EQ(kernelClass(mha), KernelClass::SmallGroup);
  EXPECT_EQ(kernelClass(llama8b()), KernelClass::LargeGroup);
  DeviceModel a = DeviceModel::h100(mha), b = DeviceModel::h100(llama8b());
  EXPECT_TRUE(a.workerBandwidth != b.workerBandwidth || a.segmentUs != b.segmentUs ||
              a.tileUs != b.tileUs || a.fixupUs != b.fixupUs ||
              a.fixupBatchUs != b.fixupBatchUs);
}

TEST(CostModel, KnowsItsDevicesByName) {
  KernelShape mha{32, 32, 128, 128, 2};
  for (const std::string &name : knownDevices()) {
    EXPECT_TRUE(isKnownDevice(name)) << name;
    EXPECT_TRUE(deviceModelNamed(name, mha).has_value()) << name;
  }
  EXPECT_FALSE(isKnownDevice("h300"));
  EXPECT_FALSE(deviceModelNamed("h300", mha).has_value());
  EXPECT_EQ(std::string(kDefaultTuneFor), allKnownDevices());
  EXPECT_EQ(validateDeviceList(kDefaultTuneFor), "");
  EXPECT_EQ(deviceModelsFor(kDefaultTuneFor, mha).size(), knownDevices().size());
  EXPECT_NE(validateDeviceList("h100,,h200").find("unknown device ''"), std::string::npos);
  EXPECT_FALSE(deviceModelNamed("", mha).has_value());
  // The directly measured ceilings (ANCHORS.md) differ per device.
  EXPECT_DOUBLE_EQ(deviceModelNamed("h100", mha)->bandwidth, 3.14e6);
  EXPECT_DOUBLE_EQ(deviceModelNamed("h200", mha)->bandwidth, 4.70e6);
  EXPECT_DOUBLE_EQ(deviceModelNamed("h200", mha)->launchUs, 0.72);
}

TEST(CostModel, SeveralDevicesTakeTheWorstSlowdownOverAll) {
  // One device's choice is the multi-device choice of that device alone; with two, the
  // worst slowdown is at least each one's own (same tile candidates and classes).
  for (KernelShape shape : {llama8b(), KernelShape{32, 32, 128, 128, 2}}) {
    DeviceModel h100 = DeviceModel::h100(shape), h200 = DeviceModel::h200(shape);
    Choice one = chooseConfig(shape, h100);
    Choice alone = chooseConfig(shape, std::vector<DeviceModel>{h100});
    EXPECT_EQ(one.tile, alone.tile);
    EXPECT_DOUBLE_EQ(one.worstSlowdown, alone.worstSlowdown);
    Choice both = chooseConfig(shape, std::vector<DeviceModel>{h100, h200});
    EXPECT_GE(both.worstSlowdown, one.worstSlowdown - 1e-12);
    EXPECT_GE(both.worstSlowdown, chooseConfig(shape, h200).worstSlowdown - 1e-12);
  }
}

TEST(CostModel, TileChoicesOfTheCalibratedDevices) {
  // What the fits say (docs/cost-model.md): GQA-8 wants 128 on both GPUs; MHA 256 on the
  // H100 (v18 sweep: 64-256 within 1.6%) and 128 on the H200 (v28 sweep: 256 is 8.9%
  // slower at 1x1024); for the pair, one PTX on both, 128.
  KernelShape mha{32, 32, 128, 128, 2};
  EXPECT_EQ(chooseConfig(llama8b(), DeviceModel::h100(llama8b())).tile, 128);
  EXPECT_EQ(chooseConfig(llama8b(), DeviceModel::h200(llama8b())).tile, 128);
  EXPECT_EQ(chooseConfig(mha, DeviceModel::h100(mha)).tile, 256);
  EXPECT_EQ(chooseConfig(mha, DeviceModel::h200(mha)).tile, 128);
  EXPECT_EQ(chooseConfig(mha, {DeviceModel::h100(mha), DeviceModel::h200(mha)}).tile, 128);
  EXPECT_EQ(
      chooseConfig(llama8b(), {DeviceModel::h100(llama8b()), DeviceModel::h200(llama8b())})
          .tile,
      128);
}

TEST(Calibration, RecoversConstantsOnTheGrid) {
  // Synthetic step times from a known model (every constant on the search grid): the fit
  // must find it exactly, with zero error.
  DeviceModel truth = DeviceModel::h100(llama8b());
  truth.workerBandwidth = 60e3, truth.segmentUs = 0.75;
  truth.tileUs = 0.04, truth.fixupUs = 2.5, truth.fixupBatchUs = 0.5;
  std::vector<Measurement> data;
  for (std::vector<int64_t> lens : {std::vector<int64_t>{64}, std::vector<int64_t>(33, 100),
                                    {1024}, {4096}, {16384},
                                    {4096, 4096, 4096, 4096}, {65536}, {131072, 1024, 1024}})
    for (int64_t tile : {32, 64, 128, 256}) {
      Measurement m;
      m.label = "case";
      m.lens = lens;
      m.shape = llama8b();
      m.tile = tile;
      m.workers = truth.capacity();
      m.us = predictMicros(buildLaunchSpace(lens, tile, 8, m.workers), llama8b(), truth,
                           m.workers, Fixup::InKernel);
      data.push_back(m);
    }
  Calibration c = calibrate(data, DeviceModel::h100(llama8b()));
  EXPECT_LT(c.rmsLogError, 1e-9);
  EXPECT_DOUBLE_EQ(c.model.workerBandwidth, truth.workerBandwidth);
  EXPECT_DOUBLE_EQ(c.model.tileUs, truth.tileUs);
  EXPECT_DOUBLE_EQ(c.model.segmentUs, truth.segmentUs);
  EXPECT_DOUBLE_EQ(c.model.fixupUs, truth.fixupUs);
  EXPECT_DOUBLE_EQ(c.model.fixupBatchUs, truth.fixupBatchUs);
  ASSERT_EQ(c.predicted.size(), data.size());
  for (size_t i = 0; i < data.size(); ++i)
    EXPECT_NEAR(c.predicted[i], data[i].us, 1e-6 * data[i].us);
}

TEST(Calibration, RejectsEmptyAndNonPositiveData) {
  EXPECT_THROW(calibrate({}, DeviceModel::h100(llama8b())), std::invalid_argument);
  Measurement m;
  m.label = "zero";
  m.lens = {1024};
  m.shape = llama8b();
  m.tile = 64;
  m.workers = 264;
  m.us = 0;
  EXPECT_THROW(calibrate({m}, DeviceModel::h100(llama8b())), std::invalid_argument);
}

TEST(LensSpec, ParsesCountsAndRejectsMalformedText) {
  std::vector<int64_t> lens;
  ASSERT_TRUE(parseLensSpec("131072,7x1024,0", lens));
  EXPECT_EQ(lens.size(), 9u);
  EXPECT_EQ(lens.front(), 131072);
  EXPECT_EQ(lens[1], 1024);
  EXPECT_EQ(lens.back(), 0);
  for (const char *bad : {"", "x5", "2x", "3x-1", "-4", "12a", "0x16", "1,,2"}) {
    std::vector<int64_t> out;
    EXPECT_FALSE(parseLensSpec(bad, out)) << bad;
  }
}
