//===- CodegenBase.td - the codegen dialect ----------------*- tablegen -*-===//
//
// The `codegen` dialect: what cnnc's code generation decided, as typed
// attributes. The compiled target is a module attribute (`codegen.target`),
// each scheduled op carries its schedule (`codegen.schedule`). A selection
// pass writes the schedules from the target; application passes read them.
// (IREE's hal.executable.target and lowering_config play these parts.)
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECT_CODEGEN_BASE
#define CNNC_DIALECT_CODEGEN_BASE

include "mlir/IR/OpBase.td"

def Codegen_Dialect : Dialect {
  let name = "codegen";
  let summary = "cnnc's code-generation decisions: the target and each op's schedule";
  let cppNamespace = "::mlir::codegen";
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// The module attribute holding the `#codegen.cpu_target`.
    static constexpr ::llvm::StringLiteral kTargetAttrName = "codegen.target";
    /// The op attribute holding a schedule (conv, window or matmul).
    static constexpr ::llvm::StringLiteral kScheduleAttrName = "codegen.schedule";
    /// On a vector.contract: the conv schedule whose matrix tiles (its
    /// `tile_rows`) the contraction is to run on.
    static constexpr ::llvm::StringLiteral kMatrixTilesAttrName = "codegen.matrix_tiles";
  }];
}

#endif // CNNC_DIALECT_CODEGEN_BASE
