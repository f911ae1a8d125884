// Runs the exact stream-K schedule of runtime/schedule on the CPU, in f32: the same
// partition, the same per-tile states, the same merge order and the same fix-up roles
// as the GPU kernels. It is what proves, without a GPU, that regrouping the softmax fold
// by worker ranges computes attention.
#ifndef TESSEL_TEST_REFERENCE_STREAMKEXECUTOR_H
#define TESSEL_TEST_REFERENCE_STREAMKEXECUTOR_H

#include "runtime/schedule/StreamKSchedule.h"
#include "test/reference/AttentionReference.h"

#include <cstdint>
#include <vector>

namespace tessel::reference {

struct ExecutorOptions {
  int64_t tile = 128;
  int64_t workers = 1;           // requested; clamped as the kernels clamp it
  schedule::Fixup fixup = schedule::Fixup::InKernel;
  std::vector<int64_t> workerOrder; // the order workers run in; empty = 0..W-1
};

struct ExecutorResult {
  std::vector<float> out; // [B, Hq, Dv], f32 (before rounding to the output type)
  int64_t workers = 0;    // effective worker count
  int64_t mergedByLastArrival = 0; // split heads merged in-kernel by their last arrival
};

/// Throws std::invalid_argument on an inconsistent problem or option.
ExecutorResult executeStreamK(const AttentionProblem &problem, const ExecutorOptions &opt);

} // namespace tessel::reference

#endif
