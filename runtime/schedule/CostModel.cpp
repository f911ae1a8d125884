#include "runtime/schedule/CostModel.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace tessel::schedule {

namespace {
/// The five constants tessel-calibrate fits per kernel class (Calibration.h).
struct FittedConstants {
  double workerBandwidth, segmentUs, tileUs, fixupUs, fixupBatchUs;
};
/// A device: its directly measured ceiling and launch cost (ANCHORS.md) and one fit per
/// kernel class.
DeviceModel fittedModel(const KernelShape &shape, double bandwidth, double launchUs,
                        const FittedConstants &smallGroup, const FittedConstants &largeGroup) {
  const FittedConstants &f =
      kernelClass(shape) == KernelClass::SmallGroup ? smallGroup : largeGroup;
  DeviceModel d;
  d.bandwidth = bandwidth, d.launchUs = launchUs;
  d.workerBandwidth = f.workerBandwidth, d.segmentUs = f.segmentUs, d.tileUs = f.tileUs;
  d.fixupUs = f.fixupUs, d.fixupBatchUs = f.fixupBatchUs;
  return d;
}
} // namespace

// Each device's constants are tessel-calibrate's fit of a committed sweep (the command
// beside them); test/tools/cost-model-calibrated.test re-runs the fits and fails if these
// drift from them.

DeviceModel DeviceModel::h100(const KernelShape &shape) {
  // `tessel-calibrate docs/measurements/2026-11-24-v18-h100-tile-sweep.log --device h100
  // --group-merge batches`: tiles 32..256 x 20 cases, v18 kernels (group > 2 on tensor
  // cores reading K in whole lines, one arrival group up to 32, pipelined one-step batch
  // merges, no lane merge). Predicting v33 kernels, it charges a lane-merged group one
  // batch, as the H200 measured.
  return fittedModel(shape, 3.14e6, 1.0, /*smallGroup=*/{30e3, 0.0, 0.02, 3.75, 0.0},
                     /*largeGroup=*/{40e3, 0.25, 0.04, 3.75, 0.5});
}

DeviceModel DeviceModel::h200(const KernelShape &shape) {
  // `tessel-calibrate docs/measurements/2026-12-01-v33-h200-tile-sweep.log
  // --device h200 --group-merge lanes32`: tiles 32..256 x 20 cases x 2 rounds, v33
  // kernels (the K/V ring on sm_90, the fma merge, groups of 17-32 merged by lanes:
  // GroupMerge::LanesUpTo32). Against the v28 sweep (batches) only GQA's fixupUs moved,
  // 4.75 -> 4.50 us.
  return fittedModel(shape, 4.70e6, 0.72, /*smallGroup=*/{30e3, 1.75, 0.04, 2.25, 0.25},
                     /*largeGroup=*/{80e3, 0.25, 0.08, 4.50, 0.25});
}

namespace {
/// The calibrated devices by name: the one list knownDevices and deviceModelNamed read.
struct NamedDevice {
  const char *name;
  DeviceModel (*model)(const KernelShape &);
};
constexpr NamedDevice kDevices[] = {{"h100", &DeviceModel::h100},
                                    {"h200", &DeviceModel::h200}};

const NamedDevice *findDevice(const std::string &name) {
  for (const NamedDevice &d : kDevices)
    if (name == d.name)
      return &d;
  return nullptr;
}
} // namespace

const std::vector<std::string> &knownDevices() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const NamedDevice &d : kDevices)
      v.push_back(d.name);
    return v;
  }();
  return names;
}

bool isKnownDevice(const std::string &name) { return findDevice(name) != nullptr; }

std::optional<DeviceModel> deviceModelNamed(const std::string &name,
                                            const KernelShape &shape) {
  if (const NamedDevice *d = findDevice(name))
    return d->model(shape);
  return std::nullopt;
}

namespace {
std::vector<std::string> splitList(const std::string &list) {
  std::vector<std::string> names;
  size_t begin = 0;
  while (true) {
    size_t comma = list.find(',', begin);
    names.push_back(list.substr(begin, comma == std::string::npos ? comma : comma - begin));
    if (comma == std::string::npos)
      return names;
    begin = comma + 1;
  }
}
} // namespace

std::string allKnownDevices() {
  std::string list;
  for (const std::string &name : knownDevices())
    list += (list.empty() ? "" : ",") + name;
  return list;
}

std::string validateDeviceList(const std::string &list) {
  for (const std::string &name : splitList(list))
    if (!isKnownDevice(name))
      return "unknown device '" + name + "' in '" + list + "' (known: " + allKnownDevices() +
             ")";
  return {};
}

std::vector<DeviceModel> deviceModelsFor(const std::string &list, const KernelShape &shape) {
  std::vector<DeviceModel> models;
  for (const std::string &name : splitList(list)) {
    std::optional<DeviceModel> d = deviceModelNamed(name, shape);
    assert(d && "deviceModelsFor: validate the list first (validateDeviceList)");
    models.push_back(*d);
  }
  return models;
}

double floorMicros(const TileSpace &space, const KernelShape &shape,
                   const DeviceModel &device) {
  double bytes = 0;
  for (int64_t len : space.lens)
    bytes += static_cast<double>(len) * shape.kvHeads * shape.tokenBytes();
  return bytes / device.bandwidth;
}

ScheduleProfile profileSchedule(const TileSpace &space, const KernelShape &shape,
                                int64_t workers, GroupMerge merge) {
  ScheduleProfile p;
  p.laneMerges =
      merge != GroupMerge::Batches && abi::laneMergeLayout(shape.group(), shape.vDim);
  p.singleGroupMax = merge == GroupMerge::LanesWhereLaidOut
                         ? singleGroupMax(shape.group(), shape.vDim)
                         : kSingleGroupMax;
  int64_t w = effectiveWorkers(space.total(), workers);
  p.workers.resize(w);
  for (int64_t k = 0; k < w; ++k)
    for (const Segment &s : workerSegments(space, w, k)) {
      int64_t len = space.lens[s.batch];
      int64_t tokens = std::min(len, s.endTile * space.tile) - s.firstTile * space.tile;
      p.workers[k].bytes += static_cast<double>(tokens) * shape.tokenBytes();
      p.workers[k].segments += 1;
      p.workers[k].tiles += s.endTile - s.firstTile;
    }
  for (int64_t b = 0; b < space.batch(); ++b) {
    p.totalBytes += static_cast<double>(space.lens[b]) * shape.kvHeads * shape.tokenBytes();
    for (int64_t g = 0; g < space.kvHeads && space.lens[b] > 0; ++g) {
      int64_t c = headContributors(space, w, b, g).count();
      if (c > 1) {
        p.anySplit = true;
        p.maxContributors = std::max(p.maxContributors, c);
      }
    }
  }
  return p;
}

double streamMicros(const ScheduleProfile &p, const DeviceModel &device) {
  // Each worker streams its own tokens; when all are busy they share the bandwidth.
  double perWorker = std::min(device.workerBandwidth,
                              device.bandwidth / static_cast<double>(p.workers.size()));
  double makespan = 0;
  for (const ScheduleProfile::Worker &k : p.workers)
    makespan = std::max(makespan, k.bytes / perWorker + k.segments * device.segmentUs +
                                      k.tiles * device.tileUs);
  return std::max(makespan, p.totalBytes / device.bandwidth);
}

int64_t extraMergeBatches(const ScheduleProfile &p, Fixup fixup) {
  // Dependent rounds after the first on a split head's critical path, for its most
  // contributors C (arrival groups: StreamKSchedule.h). One group (C <= 32, or 64 by
  // lanes): its last arrival merges the other C - 1 slots kFixupMergeBatch at a time, or
  // by lanes in one round trip per 32 slots. Groups of 8:
  // in_kernel, one group merge (one batch), a second arrival and the groups' slots
  // kFixupMergeBatch at a time; separate, the merge kernel walks the groups one batch
  // each.
  if (!p.anySplit)
    return 0;
  Contributors head{0, p.maxContributors - 1};
  int64_t groups = arrivalGroups(head, p.singleGroupMax);
  if (groups == 1 && p.laneMerges && isLaneMergeSize(head.count()))
    return (head.count() + kLaneMergeLanes - 1) / kLaneMergeLanes; // o loads 32 at a time
  if (groups == 1)
    return (head.count() - 1 + kFixupMergeBatch - 1) / kFixupMergeBatch - 1;
  if (fixup == Fixup::Separate)
    return groups - 1;
  return 1 + (groups - 1 + kFixupMergeBatch - 1) / kFixupMergeBatch;
}

double predictMicros(const ScheduleProfile &p, const DeviceModel &device, Fixup fixup) {
  double time = device.launchUs + streamMicros(p, device);
  if (p.anySplit) {
    time += device.fixupUs + extraMergeBatches(p, fixup) * device.fixupBatchUs;
    if (fixup == Fixup::Separate)
      time += device.launchUs; // the merge kernel; partials come back through L2
  }
  return time;
}

double predictMicros(const TileSpace &space, const KernelShape &shape,
                     const DeviceModel &device, int64_t workers, Fixup fixup) {
  return predictMicros(profileSchedule(space, shape, workers), device, fixup);
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

Choice chooseConfig(const KernelShape &shape, const std::vector<DeviceModel> &devices,
                    const std::vector<ShapeClass> &classes) {
  Choice best{0, kPreferredFixup, std::numeric_limits<double>::infinity()};
  for (int64_t tile = 16; tile <= 512; tile *= 2) {
    double worst = 0;
    for (const ShapeClass &c : classes) {
      for (const DeviceModel &device : devices) {
        TileSpace space =
            buildLaunchSpace(c.lens, tile, shape.kvHeads, device.capacity());
        double floor = floorMicros(space, shape, device);
        if (floor <= 0)
          continue;
        double t = predictMicros(space, shape, device, device.capacity(), kPreferredFixup);
        worst = std::max(worst, t / floor);
      }
    }
    // Ties go to the larger tile: fewer, longer loads and fewer flags.
    if (worst <= best.worstSlowdown * (1 + 1e-9))
      best = {tile, kPreferredFixup, worst};
  }
  return best;
}

} // namespace tessel::schedule
