//===- cnnc-opt.cpp - cnnc's mlir-opt ---------------------------------------===//
//
// MlirOptMain with the cnn dialect and cnnc's passes plus all of upstream's:
// the tool the lit tests drive.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnDialect.h"
#include "Codegen/CodegenDialect.h"
#include "Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  cnnc::registerCnncPasses();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::cnn::CnnDialect, mlir::codegen::CodegenDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "cnnc optimizer driver\n", registry));
}
