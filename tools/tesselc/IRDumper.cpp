#include "IRDumper.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace tessel {

void IRDumper::runAfterPass(mlir::Pass *pass, mlir::Operation *op) {
  // Pass-manager adaptors (the nesting into func.func / gpu.module) are not passes of
  // the pipeline: their nested passes are dumped themselves.
  if (pass->getArgument().empty())
    return;
  auto [it, inserted] = state.numbers.try_emplace(pass, state.next);
  if (inserted)
    ++state.next;
  mlir::Operation *top = op;
  while (top->getParentOp())
    top = top->getParentOp();
  std::string file;
  llvm::raw_string_ostream name(file);
  name << llvm::format("%02d_", it->second) << pass->getArgument() << ".mlir";
  llvm::SmallString<256> path(state.dir);
  llvm::sys::path::append(path, file);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    if (state.error.empty())
      state.error = "cannot write " + std::string(path) + ": " + ec.message();
    return;
  }
  top->print(os);
}

} // namespace tessel
