#include "compiler/Artifacts.h"

#include "dialects/Tessel/TesselOps.h"
#include "runtime/abi/AttentionABI.h"
#include "runtime/schedule/CostModel.h"
#include "runtime/schedule/StreamKSchedule.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace tessel {

FailureOr<std::string> extractPtx(ModuleOp module, std::string &error) {
  gpu::BinaryOp binary;
  module.walk([&](gpu::BinaryOp op) { binary = op; });
  if (!binary) {
    error = "the module has no gpu.binary (did the pipeline run to the end?)";
    return failure();
  }
  if (binary.getObjects().size() != 1) {
    error = "expected one PTX object in the gpu.binary";
    return failure();
  }
  auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
  return object.getObject().str();
}

static std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

static llvm::json::Array paramsJson(ArrayRef<abi::Param> params, const std::string &elem) {
  llvm::json::Array out;
  for (const abi::Param &p : params) {
    const char *kind = p.kind == abi::ParamKind::Buffer      ? "buffer"
                       : p.kind == abi::ParamKind::Workspace ? "workspace"
                                                             : "scalar";
    std::string type = p.type;
    if (type == "elem*")
      type = elem + "*";
    out.push_back(llvm::json::Object{
        {"name", p.name}, {"kind", kind}, {"type", type}, {"meaning", p.meaning}});
  }
  return out;
}

std::string buildManifest(ModuleOp module, const CompileOptions &options,
                          const std::string &name, const std::string &ptxFile) {
  llvm::json::Array functions;
  module.walk([&](LaunchPlanOp plan) {
    std::string elem = typeName(plan.getElementType());
    int64_t group = plan.getQHeads() / plan.getKvHeads();
    bool inKernel = plan.getFixup() == Fixup::in_kernel;
    std::vector<abi::Param> attentionParams(abi::kAttentionParams.begin(),
                                            abi::kAttentionParams.end());
    attentionParams.push_back(abi::kMaxLenParam);
    // Tile offsets and clamped lengths (abi::dynamicSharedBytes); the attention kernel's
    // K/V ring, when it has one, comes first.
    auto smemJson = [](int64_t ringBytes) {
      std::string formula = "align16((2 * batch + 1) * 4)";
      if (ringBytes)
        formula = std::to_string(ringBytes) + " + " + formula;
      return llvm::json::Object{{"base_bytes", ringBytes + abi::kSharedBaseBytes},
                                {"per_sequence_bytes", abi::kSharedPerSequenceBytes},
                                {"align_bytes", abi::kSharedAlignBytes},
                                {"formula", formula}};
    };
    llvm::json::Array traceWords;
    if (plan.getTraceBytesPerWorker())
      for (const char *word : abi::kTraceWordNames)
        traceWords.push_back(word);
    llvm::json::Array kernels;
    kernels.push_back(llvm::json::Object{
        {"name", plan.getKernel().getLeafReference().str()},
        {"role", "attention"},
        {"block", plan.getBlockSize()},
        {"grid",
         llvm::json::Object{
             {"rule", "workers"},
             {"requested", plan.getRequestedWorkers()},
             // What the cost model chose the tile for: a ptxas register choice that
             // would fit more CTAs must not silently change the worker count (v21).
             {"max_ctas_per_sm", schedule::DeviceModel{}.ctasPerSm},
             {"description", "requested > 0: that many CTAs; 0: SMs x min(resident CTAs "
                             "per SM (cuOccupancyMaxActiveBlocksPerMultiprocessor), "
                             "max_ctas_per_sm), read from the device at load"}}},
        {"dynamic_shared_memory", smemJson(plan.getKvRingBytes())},
        // A --trace-phases build: one record per launched worker after the workspace.
        {"trace",
         llvm::json::Object{
             {"bytes_per_worker", plan.getTraceBytesPerWorker()},
             {"words", std::move(traceWords)}}},
        {"params", paramsJson(attentionParams, elem)},
        // The kernel waits on griddepcontrol before touching memory: the runtime may
        // launch it with programmatic dependent launch (LoadOptions::programmaticLaunch).
        {"programmatic_launch", plan.getProgrammaticLaunch()}});
    if (auto merge = plan.getMergeKernelAttr())
      kernels.push_back(llvm::json::Object{
          {"name", merge.getLeafReference().str()},
          {"role", "merge"},
          {"block", plan.getBlockSize()},
          {"grid", llvm::json::Object{{"rule", "batch_x_kv_heads"},
                                      {"description", "batch * kv_heads CTAs, launched "
                                                      "after the attention kernel"}}},
          {"dynamic_shared_memory", smemJson(0)},
          {"params", paramsJson(abi::kMergeParams, elem)}});

    llvm::json::Object function{
        {"name", plan.getSymName().str()},
        {"kind", "attention"},
        {"element_type", elem},
        {"q_heads", plan.getQHeads()},
        {"kv_heads", plan.getKvHeads()},
        {"qk_dim", plan.getQkDim()},
        {"v_dim", plan.getVDim()},
        {"scale", plan.getScale().convertToDouble()},
        {"tile", plan.getTile()},
        // How the kernels partition the work (docs/ARCHITECTURE.md): since v38 one pad
        // unit per non-empty head when batch x kv_heads >= the grid
        // (schedule::headPadFor). Informational: it tells logs and the cost-model fit
        // which schedule ran.
        {"head_pad", "heads_ge_workers"},
        {"fixup", inKernel ? "in_kernel" : "separate"},
        {"static_batch", plan.getStaticBatch() ? llvm::json::Value(*plan.getStaticBatch())
                                               : llvm::json::Value(nullptr)},
        {"static_max_len", plan.getStaticMaxLen()
                               ? llvm::json::Value(*plan.getStaticMaxLen())
                               : llvm::json::Value(nullptr)},
        {"kernels", std::move(kernels)},
        {"workspace",
         llvm::json::Array{
             llvm::json::Object{
                 {"name", "workspace"},
                 {"flag_bytes_per_worker", inKernel ? 4 : 0},
                 {"slot_bytes", abi::slotFloats(group, plan.getVDim()) * 4},
                 {"slots_per_worker",
                  schedule::partialSlots(inKernel ? schedule::Fixup::InKernel
                                                  : schedule::Fixup::Separate,
                                         1)},
                 {"formula", inKernel ? "align16(4 * workers) + workers * slot_bytes"
                                      : "2 * workers * slot_bytes"},
                 {"zero_before_first_launch", true},
                 {"zero_before_each_launch", false},
                 {"note", "flags are reset by the kernel that consumes them"}},
             llvm::json::Object{
                 {"name", "status"},
                 {"bytes", 4},
                 {"zero_before_first_launch", true},
                 {"bits",
                  llvm::json::Object{{"length_clamped", abi::kStatusLengthClamped}}}}}},
    };
    functions.push_back(std::move(function));
  });

  llvm::json::Object root{
      {"format", "tessel-manifest"},
      {"version", 1},
      {"name", name},
      {"ptx", ptxFile},
      {"target", options.target},
      {"compile_options",
       llvm::json::Object{{"target", options.target},
                          {"tile", options.tile},
                          {"workers", options.workers},
                          {"fixup", options.fixup},
                          // What the target made of -1 (by target), not the raw option.
                          {"kv_ring_stages", effectiveKvRingStages(options)},
                          {"trace_phases", options.tracePhases},
                          {"tune_for", options.tuneFor}}},
      {"functions", std::move(functions)},
  };
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return out;
}

std::string identifierFor(const std::string &name) {
  std::string id;
  for (char c : name)
    id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0])))
    id = "_" + id;
  return id;
}

/// A C string literal spread over lines, escaping what C needs escaped.
static void writeCString(llvm::raw_ostream &os, const std::string &text) {
  os << "\"";
  for (char c : text) {
    switch (c) {
    case '\n': os << "\\n\"\n\""; break;
    case '\t': os << "\\t"; break;
    case '"': os << "\\\""; break;
    case '\\': os << "\\\\"; break;
    default: os << c;
    }
  }
  os << "\"";
}

std::string buildHeader(const std::string &name, const std::string &ptx,
                        const std::string &manifest) {
  std::string id = identifierFor(name);
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "// Generated by tesselc: PTX and launch manifest of '" << name << "'.\n"
     << "// Load with tessel::Runtime::loadEmbedded(" << id << "_ptx, " << id
     << "_manifest) or tesselLoadEmbedded().\n"
     << "#pragma once\n\n"
     << "static const char " << id << "_ptx[] =\n";
  writeCString(os, ptx);
  os << ";\n\nstatic const char " << id << "_manifest[] =\n";
  writeCString(os, manifest);
  os << ";\n";
  return out;
}

FailureOr<std::string> translateKernelsToLLVMIR(ModuleOp module, std::string &error) {
  gpu::GPUModuleOp kernels;
  module.walk([&](gpu::GPUModuleOp m) { kernels = m; });
  if (!kernels) {
    error = "the module has no gpu.module to translate";
    return failure();
  }
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(kernels, llvmContext, kernels.getSymName());
  if (!llvmModule) {
    error = "translation of the kernels to LLVM IR failed";
    return failure();
  }
  std::string out;
  llvm::raw_string_ostream os(out);
  llvmModule->print(os, nullptr);
  return out;
}

} // namespace tessel
