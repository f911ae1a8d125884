// What tesselc writes: the PTX text, the launch manifest (JSON), a C/C++ header that
// embeds both, and the kernels' LLVM IR. Everything is read off the compiled module
// (gpu.binary + tessel.launch_plan ops), never re-derived.
#ifndef TESSEL_COMPILER_ARTIFACTS_H
#define TESSEL_COMPILER_ARTIFACTS_H

#include "compiler/Pipeline.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace tessel {

/// The PTX of the module's gpu.binary (after the whole pipeline).
mlir::FailureOr<std::string> extractPtx(mlir::ModuleOp module, std::string &error);

/// The manifest: kernels, parameters in ABI order, grid rules, shared memory and
/// workspace formulas, compile options. `ptxFile` is the PTX's file name.
std::string buildManifest(mlir::ModuleOp module, const CompileOptions &options,
                          const std::string &name, const std::string &ptxFile);

/// One header defining `<name>_ptx` and `<name>_manifest` as NUL-terminated strings.
std::string buildHeader(const std::string &name, const std::string &ptx,
                        const std::string &manifest);

/// LLVM IR of the kernels (the module must be lowered to the LLVM/NVVM dialects).
mlir::FailureOr<std::string> translateKernelsToLLVMIR(mlir::ModuleOp module,
                                                      std::string &error);

/// A C identifier made from `name` (non-alphanumerics become '_').
std::string identifierFor(const std::string &name);

} // namespace tessel

#endif
