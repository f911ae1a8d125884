// Fits the cost model's constants to measured step times (tessel-bench logs), so that
// the tile choice rests on data rather than guesses. MLIR-free.
#ifndef TESSEL_RUNTIME_SCHEDULE_CALIBRATION_H
#define TESSEL_RUNTIME_SCHEDULE_CALIBRATION_H

#include "runtime/schedule/CostModel.h"

#include <optional>
#include <string>
#include <vector>

namespace tessel::schedule {

/// One timed step: a batch, the kernel's shape and schedule, the median time.
struct Measurement {
  std::string label;
  std::vector<int64_t> lens;
  KernelShape shape;
  int64_t tile = 0;
  int64_t workers = 0;
  Fixup fixup = Fixup::InKernel;
  GroupMerge merge = GroupMerge::LanesWhereLaidOut; // what the measured kernels did
  // The head pad the measured launch used (tessel-bench's `head_pad`, or 0 for kernels
  // before v38); unset: the rule of the current kernels (headPadFor).
  std::optional<int64_t> headPad;
  double us = 0;
};

struct Calibration {
  DeviceModel model;
  std::vector<double> predicted; // per measurement, under `model`
  double rmsLogError = 0;        // sqrt(mean(ln(predicted / measured)^2))
  double maxRelError = 0;        // max |predicted / measured - 1|
};

/// Grid search of workerBandwidth, segmentUs, tileUs, fixupUs and fixupBatchUs minimising
/// the mean squared log error; `base` supplies the rest (SMs, CTAs per SM, and the
/// directly measured bandwidth and launchUs). Deterministic: ties keep the first point of the grid. Throws
/// std::invalid_argument on an empty set or a non-positive time.
Calibration calibrate(const std::vector<Measurement> &data, const DeviceModel &base);

/// The grids searched (so reports and tests can state the resolution).
struct CalibrationGrid {
  std::vector<double> workerBandwidth, segmentUs, tileUs, fixupUs, fixupBatchUs;
  static CalibrationGrid standard();
};

} // namespace tessel::schedule

#endif
