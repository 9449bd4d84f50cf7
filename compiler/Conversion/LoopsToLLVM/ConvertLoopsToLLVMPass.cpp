//===- ConvertLoopsToLLVMPass.cpp - one conversion from loops to LLVM -----===//
//
// Upstream's eight `convert-*-to-llvm` passes each walk the whole module,
// and a model's `@forward` is one large function: their patterns are
// applied together here, in one dialect conversion, with the type converter
// of `convert-func-to-llvm{use-bare-ptr-memref-call-conv=true}` (memref
// arguments as bare pointers; memrefs inside functions as descriptors).
// AMX tiles (cnnc-lower-contractions-to-amx) are converted in the same
// conversion: its type converter must see them wherever they flow (the
// reduction loops' block arguments after convert-scf-to-cf).
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Analysis/DataLayoutAnalysis.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Dialect/AMX/Transforms.h"
#include "mlir/Transforms/DialectConversion.h"

namespace cnnc {
#define GEN_PASS_DEF_CONVERTLOOPSTOLLVMPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct ConvertLoopsToLLVMPass
    : cnnc::impl::ConvertLoopsToLLVMPassBase<ConvertLoopsToLLVMPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    const auto &dataLayout = getAnalysis<DataLayoutAnalysis>();
    LowerToLLVMOptions options(ctx, dataLayout.getAtOrAbove(module));
    options.useBarePtrCallConv = true;
    LLVMTypeConverter converter(ctx, options, &dataLayout);

    RewritePatternSet patterns(ctx);
    SymbolTableCollection symbolTables;
    populateFinalizeMemRefToLLVMConversionPatterns(converter, patterns, &symbolTables);
    populateMathToLLVMConversionPatterns(converter, patterns);
    arith::populateArithToLLVMConversionPatterns(converter, patterns);
    cf::populateControlFlowToLLVMConversionPatterns(converter, patterns);
    cf::populateAssertToLLVMConversionPattern(converter, patterns, /*abortOnFailure=*/true,
                                              &symbolTables);
    populateFuncToLLVMConversionPatterns(converter, patterns, &symbolTables);
    index::populateIndexToLLVMConversionPatterns(converter, patterns);
    ub::populateUBToLLVMConversionPatterns(converter, patterns);
    populateOpenMPToLLVMConversionPatterns(converter, patterns);
    populateAMXLegalizeForLLVMExportPatterns(converter, patterns);

    LLVMConversionTarget target(*ctx);
    configureOpenMPToLLVMConversionLegality(target, converter);
    configureAMXLegalizeForExportTarget(target);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
