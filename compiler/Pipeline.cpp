#include "compiler/Pipeline.h"

#include "passes/Passes.h"
#include "runtime/abi/AttentionABI.h"

#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace tessel {

std::string validateCompileOptions(const CompileOptions &o) {
  if (o.target != "sm_80" && o.target != "sm_90" && o.target != "sm_90a")
    return "unknown target '" + o.target + "' (expected sm_80, sm_90 or sm_90a)";
  if (o.tile == 0 || o.tile < -1)
    return "tile must be a positive number of tokens, got " + std::to_string(o.tile);
  if (o.workers < 0)
    return "workers must be >= 0 (0 = decided at load), got " + std::to_string(o.workers);
  if (o.fixup != "in-kernel" && o.fixup != "separate" && o.fixup != "auto")
    return "unknown fix-up strategy '" + o.fixup + "' (expected in-kernel, separate or auto)";
  if (o.kvRingStages != -1 && !abi::isValidKvRingStages(o.kvRingStages))
    return "kv-ring-stages must be -1 (by target), 0 (registers) or 2.." +
           std::to_string(abi::kMaxKvRingStages) + ", got " + std::to_string(o.kvRingStages);
  if (std::string bad = schedule::validateDeviceList(o.tuneFor); !bad.empty())
    return "tune-for: " + bad;
  return {};
}

int64_t effectiveKvRingStages(const CompileOptions &o) {
  if (o.kvRingStages >= 0)
    return o.kvRingStages;
  // Measured on sm_90 only (H200, v22); sm_80 keeps the register path it was tuned with.
  return o.target == "sm_80" ? 0 : kSm90KvRingStages;
}

std::vector<PipelineStep> compilePipelineSteps(const CompileOptions &o) {
  std::vector<PipelineStep> steps;
  steps.push_back({"tessel-softmax-as-reduction", [o](OpPassManager &pm) {
                     SoftmaxAsReductionOptions opts;
                     opts.tile = o.tile;
                     opts.tuneFor = o.tuneFor;
                     pm.addNestedPass<func::FuncOp>(createSoftmaxAsReduction(opts));
                   }});
  steps.push_back({"tessel-stream-k", [o](OpPassManager &pm) {
                     StreamKOptions opts;
                     opts.tile = o.tile;
                     opts.workers = o.workers;
                     opts.fixup = o.fixup;
                     pm.addNestedPass<func::FuncOp>(createStreamK(opts));
                   }});
  steps.push_back({"tessel-lower-to-gpu", [o](OpPassManager &pm) {
                     LowerToGPUOptions opts;
                     opts.kvRingStages = effectiveKvRingStages(o);
                     opts.tracePhases = o.tracePhases;
                     // griddepcontrol is sm_90+ (PTX 7.8).
                     opts.gridDependencyControl = o.target != "sm_80";
                     pm.addPass(createLowerToGPU(opts));
                   }});
  steps.push_back({"canonicalize",
                   [](OpPassManager &pm) { pm.addPass(createCanonicalizerPass()); }});
  steps.push_back({"cse", [](OpPassManager &pm) { pm.addPass(createCSEPass()); }});
  steps.push_back({"convert-scf-to-cf", [](OpPassManager &pm) {
                     pm.addNestedPass<gpu::GPUModuleOp>(createSCFToControlFlowPass());
                   }});
  steps.push_back({"convert-gpu-to-nvvm", [](OpPassManager &pm) {
                     pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
                   }});
  steps.push_back({"reconcile-unrealized-casts", [](OpPassManager &pm) {
                     pm.addPass(createReconcileUnrealizedCastsPass());
                   }});
  steps.push_back({"nvvm-attach-target", [o](OpPassManager &pm) {
                     GpuNVVMAttachTargetOptions opts;
                     opts.chip = o.target;
                     opts.optLevel = 3;
                     pm.addPass(createGpuNVVMAttachTarget(opts));
                   }});
  steps.push_back({"gpu-module-to-binary", [](OpPassManager &pm) {
                     GpuModuleToBinaryPassOptions opts;
                     opts.compilationTarget = "isa"; // PTX text, no CUDA toolkit needed
                     pm.addPass(createGpuModuleToBinaryPass(opts));
                   }});
  return steps;
}

LogicalResult buildCompilePipeline(OpPassManager &pm, const CompileOptions &options,
                                   const std::string &stopAfter, std::string &error) {
  error = validateCompileOptions(options);
  if (!error.empty())
    return failure();
  std::vector<PipelineStep> steps = compilePipelineSteps(options);
  if (!stopAfter.empty() &&
      llvm::none_of(steps, [&](const PipelineStep &s) { return s.name == stopAfter; })) {
    error = "unknown pass '" + stopAfter + "' for --stop-after (see --print-pipeline)";
    return failure();
  }
  for (const PipelineStep &step : steps) {
    step.add(pm);
    if (step.name == stopAfter)
      break;
  }
  return success();
}

namespace {

struct CompilePipelineOptions : PassPipelineOptions<CompilePipelineOptions> {
  Option<std::string> target{*this, "target", llvm::cl::desc("sm_80, sm_90 or sm_90a"),
                             llvm::cl::init("sm_90")};
  Option<int64_t> tile{*this, "tile", llvm::cl::desc("KV tokens per tile (-1: cost model)"),
                       llvm::cl::init(-1)};
  Option<int64_t> workers{*this, "workers",
                          llvm::cl::desc("persistent workers (0: decided at load)"),
                          llvm::cl::init(0)};
  Option<std::string> fixup{*this, "fixup",
                            llvm::cl::desc("in-kernel, separate or auto"),
                            llvm::cl::init("auto")};
  Option<int64_t> kvRingStages{
      *this, "kv-ring-stages",
      llvm::cl::desc("K/V shared-memory ring stages of the tensor-core loop (-1: by "
                     "target, 0: registers, 2..4)"),
      llvm::cl::init(-1)};
  Option<bool> tracePhases{
      *this, "trace-phases",
      llvm::cl::desc("diagnostic build: every CTA records its phases' clocks after the "
                     "workspace"),
      llvm::cl::init(false)};
  Option<std::string> tuneFor{
      *this, "tune-for",
      llvm::cl::desc("comma-separated GPUs whose cost models choose the tile (h100, h200)"),
      llvm::cl::init(schedule::kDefaultTuneFor)};
};

/// Stands in for the pipeline when its options are invalid, so the error reaches the
/// user as a diagnostic with exit code 1.
struct InvalidPipelinePass : PassWrapper<InvalidPipelinePass, OperationPass<ModuleOp>> {
  explicit InvalidPipelinePass(std::string message) : message(std::move(message)) {}
  StringRef getArgument() const override { return "tessel-invalid-pipeline"; }
  void runOnOperation() override {
    mlir::emitError(getOperation().getLoc()) << "tessel-compile-pipeline: " << message;
    signalPassFailure();
  }
  std::string message;
};

} // namespace

void registerCompilePipeline() {
  PassPipelineRegistration<CompilePipelineOptions>(
      "tessel-compile-pipeline",
      "tessel dialect -> PTX in a gpu.binary + tessel.launch_plan (what tesselc runs)",
      [](OpPassManager &pm, const CompilePipelineOptions &o) {
        CompileOptions options{o.target,  o.tile,         o.workers,    o.fixup,
                               o.kvRingStages, o.tracePhases, o.tuneFor};
        std::string error;
        if (failed(buildCompilePipeline(pm, options, "", error)))
          pm.addPass(std::make_unique<InvalidPipelinePass>(error));
      });
}

} // namespace tessel
