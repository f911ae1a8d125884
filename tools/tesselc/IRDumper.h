// --dump-ir=DIR for tesselc: after every pass, the whole module goes to
// DIR/NN_<pass-argument>.mlir (NN counts passes from 01 in pipeline order).
#ifndef TESSEL_TOOLS_TESSELC_IRDUMPER_H
#define TESSEL_TOOLS_TESSELC_IRDUMPER_H

#include "mlir/Pass/PassInstrumentation.h"

#include <map>
#include <string>

namespace tessel {

/// The numbering and the first write error, shared by the instrumentations of
/// successive pass managers so that files are numbered across all of them.
struct IRDumpState {
  std::string dir;
  std::map<mlir::Pass *, int> numbers; // nested passes run once per op: one file each
  int next = 1;
  std::string error; // empty unless a write failed
};

class IRDumper : public mlir::PassInstrumentation {
public:
  explicit IRDumper(IRDumpState &state) : state(state) {}
  void runAfterPass(mlir::Pass *pass, mlir::Operation *op) override;

private:
  IRDumpState &state;
};

} // namespace tessel

#endif
