// Emits the stream-K decode-attention kernels (and the merge kernel of the `separate`
// fix-up) as gpu.func ops with the ABI of runtime/abi/AttentionABI.h.
#ifndef TESSEL_PASSES_ATTENTIONKERNEL_H
#define TESSEL_PASSES_ATTENTIONKERNEL_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace tessel {

struct AttentionKernelSpec {
  std::string name; // kernels are `<name>_attention` and `<name>_merge`
  mlir::Type elementType;
  int64_t qHeads = 0, kvHeads = 0, qkDim = 0, vDim = 0, tile = 0;
  float scale = 0; // natural-base softmax scale
  bool inKernelFixup = true;
  /// Stages of the tensor-core loop's CTA-wide K/V ring in shared memory (cp.async; 0 or
  /// 2..abi::kMaxKvRingStages); 0: K/V go straight to registers. Layouts without tensor
  /// cores, and tensor-core layouts too large to pipeline, ignore it.
  int64_t kvRingStages = 0;
  /// Diagnostic build: thread 0 of every CTA writes an abi::TraceWord record of its
  /// phases' clocks after the workspace's slots.
  bool tracePhases = false;
  /// sm_90+: begin with griddepcontrol.wait (nothing is read before the previous grid in
  /// the stream has completed and its writes are visible) and launch_dependents, so the
  /// runtime may launch the kernel with programmatic dependent launch.
  bool gridDependencyControl = false;
  int64_t group() const { return qHeads / kvHeads; }
};

/// How a warp covers KV rows: `lanesPerToken` lanes share one token, each loading
/// `kPerLane`/`vPerLane` contiguous elements with 16-byte loads; a warp thus takes
/// `32 / lanesPerToken` tokens per step and `unroll` steps per iteration.
struct KernelLayout {
  int64_t vecElems;      // elements per 16-byte load
  int64_t lanesPerToken; // power of two, <= 32
  int64_t kPerLane, vPerLane;
  int64_t unroll;
  /// Issue the next iteration's loads before computing this one (twice the raw
  /// registers live).
  bool pipelined = false;
  /// GQA groups of 3..8 in f16/bf16: a warp computes Q·Kᵀ and P·V of the whole group on
  /// tensor cores (mma.sync m16n8k16), 16 tokens per block and `unroll` blocks per
  /// iteration; the lane fields above then only describe the fallback layout.
  bool tensorCores = false;
  /// Tensor cores with qk dims a multiple of 64: every K load instruction reads whole
  /// 128-byte rows' lines (two quads of lanes per token; AttentionTensorCoreStream.cpp).
  bool pairedKRows = false;
  /// Tensor-core layouts only: K/V reach the warps through a CTA-wide ring of this many
  /// shared-memory stages of 64 tokens (abi::kvRingBytes in all) instead of registers;
  /// 0: registers.
  int64_t ringStages = 0;
  int64_t tokensPerStep() const { return 32 / lanesPerToken; }
};

/// Picks the layout, or explains why the shape is not supported by these kernels.
mlir::FailureOr<KernelLayout> chooseKernelLayout(const AttentionKernelSpec &spec,
                                                 std::string &why);

/// Adds the kernels to `module` (whose body must be the insertion target).
void emitAttentionKernels(mlir::gpu::GPUModuleOp module, mlir::Location loc,
                          const AttentionKernelSpec &spec, const KernelLayout &layout);

} // namespace tessel

#endif
