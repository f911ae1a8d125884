#include "dialects/Tessel/TesselOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tessel;

#include "dialects/Tessel/TesselDialect.cpp.inc"
#include "dialects/Tessel/TesselEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tessel/TesselAttrs.cpp.inc"

void TesselDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Tessel/TesselAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/Tessel/TesselOps.cpp.inc"
      >();
}
