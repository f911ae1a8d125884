#ifndef TESSEL_DIALECTS_TESSEL_TESSELDIALECT_H
#define TESSEL_DIALECTS_TESSEL_TESSELDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Dialect.h"

#include "dialects/Tessel/TesselDialect.h.inc"

#endif
