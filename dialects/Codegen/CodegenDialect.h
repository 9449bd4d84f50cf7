//===- CodegenDialect.h - codegen dialect: target and schedules --*- C++ -*-===//

#ifndef CNNC_DIALECT_CODEGEN_CODEGENDIALECT_H
#define CNNC_DIALECT_CODEGEN_CODEGENDIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Dialect.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Codegen/CodegenDialect.h.inc"
#include "Codegen/CodegenEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "Codegen/CodegenAttrs.h.inc"

#define GET_OP_CLASSES
#include "Codegen/CodegenOps.h.inc"

namespace mlir::codegen {

/// The module's `codegen.target`, or null.
CpuTargetAttr getCpuTarget(ModuleOp module);

/// Whether a conv schedule's order cuts the reduction into chunks
/// (`reduction_chunk`), the accumulators kept in the output between them.
inline bool isChunked(ConvLoopOrder order) {
  return order == ConvLoopOrder::ChunkedFilterBlocks || order == ConvLoopOrder::ChunkedFilterRows;
}

} // namespace mlir::codegen

#endif
