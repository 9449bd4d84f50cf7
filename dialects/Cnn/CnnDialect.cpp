//===- CnnDialect.cpp - cnn dialect registration ---------------------------===//

#include "Cnn/CnnDialect.h"

using namespace mlir;
using namespace mlir::cnn;

#include "Cnn/CnnOpsDialect.cpp.inc"

void CnnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Cnn/CnnOps.cpp.inc"
      >();
}
