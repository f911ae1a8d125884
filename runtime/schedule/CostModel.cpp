#include "runtime/schedule/CostModel.h"

#include <algorithm>
#include <limits>

namespace tessel::schedule {

DeviceModel DeviceModel::h100() { return DeviceModel{}; }

double floorMicros(const TileSpace &space, const KernelShape &shape,
                   const DeviceModel &device) {
  double bytes = 0;
  for (int64_t len : space.lens)
    bytes += static_cast<double>(len) * shape.kvHeads * shape.tokenBytes();
  return bytes / device.bandwidth;
}

double predictMicros(const TileSpace &space, const KernelShape &shape,
                     const DeviceModel &device, int64_t workers, Fixup fixup) {
  int64_t total = space.total();
  int64_t w = effectiveWorkers(total, workers);
  // Each worker streams its own tokens; when all are busy they share the bandwidth.
  double perWorker =
      std::min(device.workerBandwidth, device.bandwidth / static_cast<double>(w));
  double makespan = 0;
  bool anySplit = false;
  for (int64_t k = 0; k < w; ++k) {
    double bytes = 0, fixed = 0;
    for (const Segment &s : workerSegments(space, w, k)) {
      int64_t len = space.lens[s.batch];
      int64_t tokens = std::min(len, s.endTile * space.tile) - s.firstTile * space.tile;
      bytes += static_cast<double>(tokens) * shape.tokenBytes();
      fixed += device.segmentUs + (s.endTile - s.firstTile) * device.tileUs;
      if (!(s.host && s.finishing))
        anySplit = true;
    }
    makespan = std::max(makespan, bytes / perWorker + fixed);
  }
  double time = device.launchUs + std::max(makespan, floorMicros(space, shape, device));
  if (anySplit) {
    time += device.fixupUs;
    if (fixup == Fixup::Separate)
      time += device.launchUs; // the merge kernel; partials come back through L2
  }
  return time;
}

std::vector<ShapeClass> representativeClasses() {
  std::vector<ShapeClass> classes;
  for (int64_t b : {1, 4, 16, 64})
    for (int64_t len : {1024, 4096, 16384, 131072})
      if (b * len <= 64 * 16384) // keep the set small: up to ~1M tokens
        classes.push_back({std::vector<int64_t>(b, len)});
  // Skewed batches: one long sequence with many short ones, and a 128..32k spread.
  std::vector<int64_t> skew(8, 1024);
  skew[0] = 131072;
  classes.push_back({skew});
  std::vector<int64_t> spread;
  for (int64_t i = 0; i < 64; ++i)
    spread.push_back(128 << (i % 9)); // 128 .. 32768
  classes.push_back({spread});
  return classes;
}

Choice chooseConfig(const KernelShape &shape, const DeviceModel &device,
                    const std::vector<ShapeClass> &classes) {
  Choice best{0, Fixup::InKernel, std::numeric_limits<double>::infinity()};
  for (int64_t tile = 16; tile <= 512; tile *= 2) {
    double worst = 0;
    for (const ShapeClass &c : classes) {
      TileSpace space = buildTileSpace(c.lens, tile, shape.kvHeads);
      double floor = floorMicros(space, shape, device);
      if (floor <= 0)
        continue;
      double t = predictMicros(space, shape, device, device.capacity(), Fixup::InKernel);
      worst = std::max(worst, t / floor);
    }
    // Ties go to the larger tile: fewer, longer loads and fewer flags.
    if (worst <= best.worstSlowdown * (1 + 1e-9))
      best = {tile, Fixup::InKernel, worst};
  }
  return best;
}

} // namespace tessel::schedule
