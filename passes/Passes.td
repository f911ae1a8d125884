#ifndef TESSEL_PASSES_TD
#define TESSEL_PASSES_TD

include "mlir/Pass/PassBase.td"

def SoftmaxAsReduction : Pass<"tessel-softmax-as-reduction", "::mlir::func::FuncOp"> {
  let summary = "Rewrite tessel.attention as a fold of softmax states over KV tiles";
  let description = [{
    Replaces every `tessel.attention` with an `scf.for` over KV tiles of `tile`
    tokens (up to the cache's Nmax) that folds `tessel.attention_partial` states
    into a running state with `tessel.softmax_merge`, starting from
    `tessel.softmax_identity`, followed by `tessel.softmax_finalize`. The default
    softmax scale `1/sqrt(Dqk)` is made explicit. Tiles past a sequence's length
    are empty ranges and contribute the identity.
  }];
  let options = [
    Option<"tile", "tile", "int64_t", /*default=*/"-1",
           "KV tokens per tile; -1 lets the stream-K cost model choose">,
    // The default is schedule::kDefaultTuneFor (CostModel.h), spelled out for tablegen.
    Option<"tuneFor", "tune-for", "std::string", /*default=*/"\"h100,h200\"",
           "comma-separated GPUs whose cost models the tile choice must serve "
           "(runtime/schedule/CostModel.h knownDevices)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def StreamK : Pass<"tessel-stream-k", "::mlir::func::FuncOp"> {
  let summary = "Schedule softmax-state folds stream-K style over persistent workers";
  let description = [{
    Matches the fold produced by `tessel-softmax-as-reduction` (identity init,
    partial + merge per tile, finalize) and replaces it by an explicit stream-K
    schedule: `tessel.tile_space` (prefix sum of the heads' spans: real tiles,
    and a pad unit each when the launch has at most B x Hkv workers),
    `tessel.launch_workers` and `tessel.stream_k_attention`. Because the merge is
    associative the tiles may be regrouped and re-tiled freely.
  }];
  let options = [
    Option<"tile", "tile", "int64_t", /*default=*/"-1",
           "KV tokens per tile; -1 keeps the fold's tile">,
    Option<"workers", "workers", "int64_t", /*default=*/"0",
           "persistent workers; 0 = SMs x resident CTAs per SM, decided at load">,
    Option<"fixup", "fixup", "std::string", /*default=*/"\"auto\"",
           "fix-up strategy: in-kernel, separate, or auto (the cost model's preference, "
           "in-kernel for every shape and GPU)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LowerToGPU : Pass<"tessel-lower-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower scheduled attention to gpu.module kernels and a launch plan";
  let description = [{
    Every function that is one `tessel.stream_k_attention` over its arguments
    becomes kernels in `gpu.module @tessel_kernels` (`<name>_attention`, plus
    `<name>_merge` for the `separate` fix-up), written in
    scf/arith/vector/math/gpu/nvvm with raw-pointer parameters (the ABI of
    runtime/abi/AttentionABI.h), and a `tessel.launch_plan` that replaces the
    function. Shapes these kernels do not support are diagnosed.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::NVVM::NVVMDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect"];
  let options = [
    Option<"kvRingStages", "kv-ring-stages", "int64_t", /*default=*/"0",
           "stages of 64 tokens in the tensor-core loop's CTA-wide K/V ring in "
           "shared memory (cp.async, sm_80+): 0 (K/V straight to registers) or 2..4">,
    Option<"tracePhases", "trace-phases", "bool", /*default=*/"false",
           "diagnostic build: thread 0 of every CTA records clock64/globaltimer at the "
           "kernel's phases after the workspace (runtime/abi/AttentionABI.h, TraceWord)">,
    Option<"gridDependencyControl", "grid-dependency-control", "bool", /*default=*/"false",
           "sm_90+: the attention kernel starts with griddepcontrol.wait and "
           "launch_dependents, so that it may be launched with programmatic dependent "
           "launch (its launch overlaps the previous kernel's tail)">
  ];
}

#endif // TESSEL_PASSES_TD
