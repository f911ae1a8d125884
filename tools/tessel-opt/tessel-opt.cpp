// tessel-opt: mlir-opt with the tessel dialect, Tessel's passes and pipelines, and the
// few upstream dialects and passes those pipelines use.
#include "compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  tessel::registerCompilerDialects(registry);
  tessel::registerCompilerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tessel optimizer driver\n", registry));
}
