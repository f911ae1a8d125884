// Generated op definitions. The hand-written verifiers and folders live in
// TesselAttentionOps.cpp (attention, reduction and scheduled forms) and
// TesselDenseOps.cpp (linear, MLP, MoE and low-rank ops).
#include "dialects/Tessel/TesselOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace tessel;

#define GET_OP_CLASSES
#include "dialects/Tessel/TesselOps.cpp.inc"
