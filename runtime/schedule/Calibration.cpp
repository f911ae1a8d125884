#include "runtime/schedule/Calibration.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace tessel::schedule {

namespace {
std::vector<double> steps(double from, double to, double step) {
  std::vector<double> v;
  for (int i = 0; from + i * step <= to + 1e-9; ++i)
    v.push_back(from + i * step);
  return v;
}
} // namespace

CalibrationGrid CalibrationGrid::standard() {
  CalibrationGrid g;
  for (double gbps : {10, 15, 20, 30, 40, 60, 80, 120, 160, 240, 320})
    g.workerBandwidth.push_back(gbps * 1e3); // bytes/us
  g.segmentUs = steps(0.0, 3.0, 0.25);
  g.tileUs = {0.0, 0.01, 0.02, 0.04, 0.08, 0.16};
  g.fixupUs = steps(0.0, 10.0, 0.25);
  g.fixupBatchUs = steps(0.0, 3.0, 0.25);
  return g;
}

Calibration calibrate(const std::vector<Measurement> &data, const DeviceModel &base) {
  if (data.empty())
    throw std::invalid_argument("calibrate: no measurements");
  std::vector<ScheduleProfile> profiles;
  for (const Measurement &m : data) {
    if (!(m.us > 0))
      throw std::invalid_argument("calibrate: non-positive time for '" + m.label + "'");
    int64_t pad = m.headPad ? *m.headPad
                            : headPadFor(static_cast<int64_t>(m.lens.size()),
                                         m.shape.kvHeads, m.workers);
    profiles.push_back(
        profileSchedule(buildTileSpace(m.lens, m.tile, m.shape.kvHeads, pad), m.shape,
                        m.workers, m.merge));
  }
  const CalibrationGrid grid = CalibrationGrid::standard();
  const size_t n = data.size();
  // The model is launch + stream + fix-up, where only the stream term depends on the
  // streaming constants: evaluate it once per streaming point, then search the additive
  // fix-up terms around it.
  std::vector<double> fixupBase(n), fixupBatches(n), secondLaunch(n), logMeasured(n);
  for (size_t i = 0; i < n; ++i) {
    const ScheduleProfile &p = profiles[i];
    fixupBase[i] = p.anySplit ? 1 : 0;
    fixupBatches[i] = double(extraMergeBatches(p, data[i].fixup));
    secondLaunch[i] = p.anySplit && data[i].fixup == Fixup::Separate ? 1 : 0;
    logMeasured[i] = std::log(data[i].us);
  }
  double bestError = std::numeric_limits<double>::infinity();
  DeviceModel best = base;
  std::vector<double> streams(n);
  // launchUs and bandwidth are measured directly (an empty kernel in a CUDA graph, the
  // best large-KV kernels: ANCHORS.md) and kept; a sweep where nearly every head is split
  // cannot tell the launch from the fix-up anyway.
  const double launch = base.launchUs;
  for (double bw : grid.workerBandwidth)
    for (double seg : grid.segmentUs)
      for (double tile : grid.tileUs) {
        DeviceModel d = base;
        d.workerBandwidth = bw, d.segmentUs = seg, d.tileUs = tile;
        for (size_t i = 0; i < n; ++i)
          streams[i] = streamMicros(profiles[i], d);
        for (double fix : grid.fixupUs)
          for (double batch : grid.fixupBatchUs) {
            double err = 0;
            for (size_t i = 0; i < n && err < bestError; ++i) {
              double t = launch * (1 + secondLaunch[i]) + streams[i] + fixupBase[i] * fix +
                         fixupBatches[i] * batch;
              double e = std::log(t) - logMeasured[i];
              err += e * e;
            }
            if (err < bestError) {
              bestError = err;
              best = d;
              best.fixupUs = fix, best.fixupBatchUs = batch;
            }
          }
      }
  Calibration c;
  c.model = best;
  c.rmsLogError = std::sqrt(bestError / n);
  for (size_t i = 0; i < n; ++i) {
    c.predicted.push_back(predictMicros(profiles[i], best, data[i].fixup));
    c.maxRelError = std::max(c.maxRelError, std::abs(c.predicted[i] / data[i].us - 1));
  }
  return c;
}

} // namespace tessel::schedule
