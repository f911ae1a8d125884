#ifndef TESSEL_DIALECTS_TESSEL_TESSELOPS_H
#define TESSEL_DIALECTS_TESSEL_TESSELOPS_H

#include "dialects/Tessel/TesselDialect.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/IR/SymbolTable.h"

#include "dialects/Tessel/TesselEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tessel/TesselAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/Tessel/TesselOps.h.inc"

#endif
