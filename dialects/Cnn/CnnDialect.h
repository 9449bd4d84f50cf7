//===- CnnDialect.h - cnn dialect ------------------------------*- C++ -*-===//

#ifndef CNNC_DIALECT_CNN_CNNDIALECT_H
#define CNNC_DIALECT_CNN_CNNDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Cnn/Gradients.h"

#include "Cnn/CnnOpsDialect.h.inc"
#include "Cnn/CnnInterfaces.h.inc"

#define GET_OP_CLASSES
#include "Cnn/CnnOps.h.inc"

#endif // CNNC_DIALECT_CNN_CNNDIALECT_H
