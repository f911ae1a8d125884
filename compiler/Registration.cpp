#include "compiler/Registration.h"

#include "dialects/Tessel/TesselDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace tessel {

void registerCompilerDialects(mlir::DialectRegistry &registry) {
  registry.insert<TesselDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect>();
}

void registerCompilerPasses() {
  registerTesselPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
}

} // namespace tessel
