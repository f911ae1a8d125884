// tessel-lower-to-gpu: scheduled attention -> gpu.module kernels + tessel.launch_plan.
#include "dialects/Tessel/TesselOps.h"
#include "passes/AttentionKernel.h"
#include "passes/Passes.h"
#include "runtime/abi/AttentionABI.h"

namespace tessel {
#define GEN_PASS_DEF_LOWERTOGPU
#include "passes/Passes.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel;

namespace {

constexpr llvm::StringLiteral kKernelModule = "tessel_kernels";

/// The one shape of function this pass lowers: arguments (q, k, v, lens) feeding
/// tile_space -> launch_workers -> stream_k_attention, whose result is returned.
LogicalResult checkLowerable(func::FuncOp func, StreamKAttentionOp attn) {
  auto fail = [&](Operation *at, const Twine &why) {
    return at->emitError() << "tessel-lower-to-gpu: cannot lower @" << func.getSymName()
                           << ": " << why;
  };
  Block &body = func.getBody().front();
  for (Value v : {attn.getQuery(), attn.getKeyCache(), attn.getValueCache(),
                  attn.getContextLens()}) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &body)
      return fail(attn, "the attention operands must be function arguments");
  }
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret || ret.getNumOperands() != 1 || ret.getOperand(0) != attn.getResult())
    return fail(attn, "the function must return the attention result and nothing else");
  for (Operation &op : body.without_terminator())
    if (!isa<StreamKAttentionOp, TileSpaceOp, LaunchWorkersOp, arith::ConstantOp>(op))
      return fail(&op, "the kernel lowering handles a function that is one scheduled "
                       "attention; found '" +
                           op.getName().getStringRef() + "'");
  return success();
}

struct LowerToGPUPass : tessel::impl::LowerToGPUBase<LowerToGPUPass> {
  using LowerToGPUBase::LowerToGPUBase;
  void runOnOperation() override {
    if (!abi::isValidKvRingStages(kvRingStages)) {
      emitError(getOperation().getLoc())
          << "tessel-lower-to-gpu: kv-ring-stages must be 0 (registers) or 2.."
          << abi::kMaxKvRingStages << ", got " << kvRingStages.getValue();
      return signalPassFailure();
    }
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<std::pair<func::FuncOp, StreamKAttentionOp>> work;
    bool failedAny = false;
    module.walk([&](Operation *op) {
      if (isa<AttentionOp, AttentionPartialOp, SoftmaxFinalizeOp>(op)) {
        op->emitError() << "tessel-lower-to-gpu: '" << op->getName()
                        << "' is not scheduled; run tessel-softmax-as-reduction and "
                           "tessel-stream-k first";
        failedAny = true;
      } else if (isa<LinearOp, MlpOp, RouterOp, MoeOp, LoraOp, BlockLoraOp, LowRankOp>(op)) {
        op->emitError() << "tessel-lower-to-gpu: '" << op->getName()
                        << "' has no GPU lowering yet";
        failedAny = true;
      } else if (auto attn = dyn_cast<StreamKAttentionOp>(op)) {
        auto func = attn->getParentOfType<func::FuncOp>();
        if (!func || failed(checkLowerable(func, attn)))
          failedAny = true;
        else
          work.push_back({func, attn});
      }
    });
    if (failedAny)
      return signalPassFailure();
    if (work.empty())
      return;

    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), UnitAttr::get(ctx));
    auto gpuModule = module.lookupSymbol<gpu::GPUModuleOp>(kKernelModule);
    if (!gpuModule) {
      OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
      gpuModule = gpu::GPUModuleOp::create(mb, module.getLoc(), kKernelModule);
    }

    for (auto [func, attn] : work) {
      auto q = attn.getQuery().getType();
      auto k = attn.getKeyCache().getType();
      auto v = attn.getValueCache().getType();
      AttentionKernelSpec spec;
      spec.name = func.getSymName().str();
      spec.elementType = q.getElementType();
      spec.qHeads = q.getDimSize(1);
      spec.kvHeads = k.getDimSize(1);
      spec.qkDim = q.getDimSize(2);
      spec.vDim = v.getDimSize(3);
      spec.tile = attn.getTile();
      spec.scale = attn.getScale().convertToFloat();
      spec.inKernelFixup = attn.getFixup() == Fixup::in_kernel;
      spec.kvRingStages = kvRingStages;
      spec.tracePhases = tracePhases;
      spec.gridDependencyControl = gridDependencyControl;
      std::string why;
      FailureOr<KernelLayout> layout = chooseKernelLayout(spec, why);
      if (failed(layout)) {
        attn.emitError() << "tessel-lower-to-gpu: unsupported attention shape: " << why;
        return signalPassFailure();
      }
      int64_t stateBytes = abi::kWarps * spec.group() * (spec.vDim + 4) * 4;
      if (stateBytes > 32 * 1024) {
        attn.emitError() << "tessel-lower-to-gpu: unsupported attention shape: the warp "
                            "states of a GQA group of "
                         << spec.group() << " with Dv " << spec.vDim << " need "
                         << stateBytes << " bytes of shared memory (limit 32768)";
        return signalPassFailure();
      }
      emitAttentionKernels(gpuModule, func.getLoc(), spec, *layout);

      int64_t requested = 0;
      if (auto launch = attn.getWorkers().getDefiningOp<LaunchWorkersOp>())
        requested = launch.getRequested();
      OpBuilder pb(func);
      auto kernelRef = [&](StringRef suffix) {
        return SymbolRefAttr::get(ctx, kKernelModule,
                                  {FlatSymbolRefAttr::get(ctx, spec.name + suffix.str())});
      };
      auto i64 = [&](int64_t x) { return pb.getI64IntegerAttr(x); };
      LaunchPlanOp::create(
          pb, func.getLoc(), pb.getStringAttr(func.getSymName()), kernelRef("_attention"),
          spec.inKernelFixup ? SymbolRefAttr() : kernelRef("_merge"),
          TypeAttr::get(spec.elementType), i64(spec.qHeads), i64(spec.kvHeads),
          i64(spec.qkDim), i64(spec.vDim), i64(spec.tile), attn.getFixupAttr(),
          attn.getScaleAttr(), i64(requested), i64(abi::kBlockThreads),
          i64(abi::kvRingBytes(layout->ringStages, spec.qkDim, spec.vDim,
                               spec.elementType.getIntOrFloatBitWidth() / 8)),
          i64(spec.tracePhases ? abi::kTraceRecordBytes : 0),
          spec.gridDependencyControl ? pb.getUnitAttr() : UnitAttr(),
          q.isDynamicDim(0) ? IntegerAttr() : i64(q.getDimSize(0)),
          k.isDynamicDim(2) ? IntegerAttr() : i64(k.getDimSize(2)));
      func.erase();
    }
  }
};

} // namespace
