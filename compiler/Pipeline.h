// The compile pipeline: one builder, used by tesselc and registered in tessel-opt as
// `tessel-compile-pipeline`, so both tools always run the same passes.
#ifndef TESSEL_COMPILER_PIPELINE_H
#define TESSEL_COMPILER_PIPELINE_H

#include "runtime/schedule/CostModel.h"

#include "mlir/Pass/PassManager.h"

#include <functional>
#include <string>
#include <vector>

namespace tessel {

struct CompileOptions {
  std::string target = "sm_90"; // sm_80 | sm_90 | sm_90a
  int64_t tile = -1;            // -1: cost model
  int64_t workers = 0;          // 0: SMs x CTAs/SM at load
  std::string fixup = "auto";   // in-kernel | separate | auto
  int64_t kvRingStages = -1;    // -1: by target (effectiveKvRingStages)
  bool tracePhases = false;     // diagnostic build: per-CTA phase clocks (AttentionABI.h)
  // The GPUs whose cost models choose the tile (CostModel.h knownDevices): one sm_90 PTX
  // runs on the H100 and the H200, so by default it is tuned for both.
  std::string tuneFor = schedule::kDefaultTuneFor;
};

/// K/V ring stages on sm_90 when the options do not say (sm_80: 0, K/V straight to
/// registers). docs/performance.md, v22.
inline constexpr int64_t kSm90KvRingStages = 2;
/// The ring stages the pipeline uses for these options.
int64_t effectiveKvRingStages(const CompileOptions &options);

/// Empty when the options are valid, else a message naming the bad one.
std::string validateCompileOptions(const CompileOptions &options);

/// One named step of the pipeline; `name` is the pass argument (what --stop-after and
/// --dump-ir use).
struct PipelineStep {
  std::string name;
  std::function<void(mlir::OpPassManager &)> add;
};

/// The steps from the tessel dialect to PTX inside a gpu.binary, in order.
std::vector<PipelineStep> compilePipelineSteps(const CompileOptions &options);

/// Adds the steps up to and including `stopAfter` (all if empty) to `pm`. Fails with
/// a message for invalid options or an unknown step name.
mlir::LogicalResult buildCompilePipeline(mlir::OpPassManager &pm,
                                         const CompileOptions &options,
                                         const std::string &stopAfter, std::string &error);

/// Registers `tessel-compile-pipeline{target=... tile=... workers=... fixup=...}`.
void registerCompilePipeline();

} // namespace tessel

#endif
