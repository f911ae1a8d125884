// The stream-K cost model: predicts the time of one decode-attention step under a
// schedule, and picks the tile size and fix-up strategy for a kernel shape.
//
// The lengths are runtime data and the worker count is fixed when the kernel is loaded
// (the grid of a CUDA graph cannot change per step), so only the tile and the fix-up are
// chosen at compile time. The tile is chosen to be robust: the one whose worst predicted
// slowdown over the bandwidth floor, across a set of representative batch/length
// classes, is smallest. Constants are per device and are calibrated from tessel-bench
// measurements (docs/cost-model.md records the data behind them).
#ifndef TESSEL_RUNTIME_SCHEDULE_COSTMODEL_H
#define TESSEL_RUNTIME_SCHEDULE_COSTMODEL_H

#include "runtime/schedule/StreamKSchedule.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessel::schedule {

/// The compile-time part of an attention problem.
struct KernelShape {
  int64_t qHeads = 0;
  int64_t kvHeads = 0;
  int64_t qkDim = 0;
  int64_t vDim = 0;
  int64_t elementBytes = 2;
  /// KV bytes of one token of one KV head.
  int64_t tokenBytes() const { return (qkDim + vDim) * elementBytes; }
  int64_t group() const { return qHeads / kvHeads; }
};

/// The kernels' layout classes (passes/AttentionKernel.cpp, chooseKernelLayout): GQA
/// groups of at most 2 use the most lanes per token and a pipelined loop; larger groups
/// the fewest lanes. Their costs differ, so the model's constants are per class.
enum class KernelClass { SmallGroup, LargeGroup };
inline KernelClass kernelClass(const KernelShape &shape) {
  return shape.group() <= 2 ? KernelClass::SmallGroup : KernelClass::LargeGroup;
}
inline const char *kernelClassName(KernelClass c) {
  return c == KernelClass::SmallGroup ? "group <= 2" : "group > 2";
}

/// Device constants in microseconds and bytes per microsecond, for one kernel class.
/// `h100(shape)` and `h200(shape)` hold the values tessel-calibrate fitted to each GPU's
/// tile sweep (docs/cost-model.md has the data and the commands).
struct DeviceModel {
  int64_t sms = 132;
  int64_t ctasPerSm = 2;
  double bandwidth = 3.14e6;       // bytes/us achievable from HBM (H100: 3.14 TB/s)
  double workerBandwidth = 40.0e3; // bytes/us one worker streams alone
  double launchUs = 1.0;           // launch and prologue (lengths, prefix sum)
  double segmentUs = 0.6;          // per segment: load q, combine warps, epilogue
  double tileUs = 0.02;            // per tile: loop and softmax bookkeeping
  double fixupUs = 1.0;            // a split head: publish, arrive, poll, first merge batch
  double fixupBatchUs = 0.0;       // each further batch of kFixupMergeBatch slots
  int64_t capacity() const { return sms * ctasPerSm; }
  static DeviceModel h100(const KernelShape &shape);
  static DeviceModel h200(const KernelShape &shape);
};

/// The GPUs the model is calibrated for, by the names tesselc's --tune-for takes
/// ("h100", "h200": both run the same sm_90 PTX).
const std::vector<std::string> &knownDevices();
bool isKnownDevice(const std::string &name);
/// The model of a known device for `shape`'s kernel class; nullopt for an unknown name.
std::optional<DeviceModel> deviceModelNamed(const std::string &name,
                                            const KernelShape &shape);
/// Every known device, comma-separated.
std::string allKnownDevices();
/// The default of --tune-for and of the passes' tune-for options (Passes.td spells the
/// same literal; a unit test keeps it equal to allKnownDevices()).
inline constexpr const char *kDefaultTuneFor = "h100,h200";
/// Empty when `list` is a non-empty comma-separated list of known device names, else a
/// message naming the bad entry and the known names.
std::string validateDeviceList(const std::string &list);
/// The models of a validated list for `shape`'s kernel class (never empty: an unknown
/// name is a programming error here, diagnosed by validateDeviceList before).
std::vector<DeviceModel> deviceModelsFor(const std::string &list, const KernelShape &shape);

/// Contributor slots merged in one step (the kernel's batch). Since v18 the kernel loads
/// the next batch while merging one, so each further batch costs its transfer more than
/// a round trip; the fitted fixupBatchUs says how much.
inline constexpr int64_t kFixupMergeBatch = 8;

/// How the measured kernels merged arrival groups of kLaneMergeMin or more slots. By
/// lanes where the state layout allows it (StreamKSchedule.h's usesLaneMerge), one group
/// up to kLaneMergeMax = 64 participants (the kernels since v35, what the emitter
/// builds); the same up to 32 participants, groups of 8 beyond (v33-v34, the v33 sweep);
/// or in batches of kFixupMergeBatch like every smaller group (before v33, the older
/// sweeps).
enum class GroupMerge { LanesWhereLaidOut, LanesUpTo32, Batches };

/// What the model needs of one schedule, independent of the device constants (so a
/// calibration can evaluate many constant sets cheaply).
struct ScheduleProfile {
  struct Worker {
    double bytes = 0;
    int64_t segments = 0, tiles = 0;
  };
  std::vector<Worker> workers; // effective workers only
  double totalBytes = 0;
  bool anySplit = false;
  int64_t maxContributors = 0; // over split heads
  bool laneMerges = false;     // groups of kLaneMergeMin+ slots are merged by lanes
  int64_t singleGroupMax = kSingleGroupMax; // StreamKSchedule.h's arrival groups
};
ScheduleProfile profileSchedule(const TileSpace &space, const KernelShape &shape,
                                int64_t workers,
                                GroupMerge merge = GroupMerge::LanesWhereLaidOut);
/// The model's terms: the streaming makespan (bounded below by the bandwidth floor), and
/// the dependent merge rounds a split head pays beyond its first (0 when no head is
/// split): arrival groups, then batches of kFixupMergeBatch group slots; a lane-merged
/// group counts as one per 32 slots, its o loads' round trips (H200 micro-benchmark:
/// 17-32 slots 1.06-1.15 us, one batch 0.67, four 1.95).
double streamMicros(const ScheduleProfile &profile, const DeviceModel &device);
int64_t extraMergeBatches(const ScheduleProfile &profile, Fixup fixup);
/// launch + streamMicros + the fix-up terms.
double predictMicros(const ScheduleProfile &profile, const DeviceModel &device, Fixup fixup);

/// Predicted microseconds for one step with `workers` workers (clamped to T).
double predictMicros(const TileSpace &space, const KernelShape &shape,
                     const DeviceModel &device, int64_t workers, Fixup fixup);

/// Microseconds needed to move the KV bytes at the device bandwidth: the floor.
double floorMicros(const TileSpace &space, const KernelShape &shape,
                   const DeviceModel &device);

/// A batch/length class the tile choice must serve.
struct ShapeClass {
  std::vector<int64_t> lens;
};
/// The representative classes: B in {1, 4, 16, 64}, uniform and skewed lengths from
/// 1k to 128k tokens (the shapes of ../shared/bench/ANCHORS.md and skewed batches).
std::vector<ShapeClass> representativeClasses();

/// The fix-up strategy the model prefers for every shape and device: in_kernel. Under the
/// model the separate fix-up is the in-kernel one plus a second launch (the partials come
/// back through the L2), so it is never faster; `fixup=auto` means this.
inline constexpr Fixup kPreferredFixup = Fixup::InKernel;

struct Choice {
  int64_t tile;
  Fixup fixup;
  double worstSlowdown; // max over classes of predicted / floor
};

/// Tile candidates are 16..512 (powers of two); in_kernel is preferred because one
/// launch with no partial round trip is never slower under this model. With several
/// devices (one PTX runs on each of them) the worst slowdown is taken over every
/// device's prediction against that device's own floor.
Choice chooseConfig(const KernelShape &shape, const std::vector<DeviceModel> &devices,
                    const std::vector<ShapeClass> &classes = representativeClasses());
inline Choice chooseConfig(const KernelShape &shape, const DeviceModel &device,
                           const std::vector<ShapeClass> &classes = representativeClasses()) {
  return chooseConfig(shape, std::vector<DeviceModel>{device}, classes);
}

} // namespace tessel::schedule

#endif
