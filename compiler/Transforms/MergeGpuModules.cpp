//===- MergeGpuModules.cpp - every kernel in one gpu.module -----------------===//

#include "Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace cnnc {
#define GEN_PASS_DEF_MERGEGPUMODULESPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kMergedModuleName = "cnnc_kernels";

struct MergeGpuModulesPass : cnnc::impl::MergeGpuModulesPassBase<MergeGpuModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto gpuModules = llvm::to_vector(module.getOps<gpu::GPUModuleOp>());
    if (gpuModules.empty())
      return;
    for (gpu::GPUModuleOp other : gpuModules)
      if (other.getTargetsAttr() != gpuModules.front().getTargetsAttr() ||
          other.getOffloadingHandlerAttr() != gpuModules.front().getOffloadingHandlerAttr()) {
        other.emitError("kernel modules with different targets cannot be merged");
        return signalPassFailure();
      }

    OpBuilder builder(gpuModules.front());
    auto merged = gpu::GPUModuleOp::create(builder, gpuModules.front().getLoc(),
                                           kMergedModuleName,
                                           gpuModules.front().getTargetsAttr(),
                                           gpuModules.front().getOffloadingHandlerAttr());
    SymbolTable mergedSymbols(merged);
    MLIRContext *ctx = &getContext();
    // (old module, old kernel) -> the kernel's name in the merged module.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp old : gpuModules) {
      // Outlining gives each module one kernel and nothing else; anything
      // more could not be renamed without rewriting its uses.
      auto kernel = dyn_cast<gpu::GPUFuncOp>(old.getBody()->front());
      if (!llvm::hasSingleElement(old.getBody()->getOperations()) || !kernel ||
          !kernel.isKernel()) {
        old.emitError("cnnc-merge-gpu-modules expects one kernel per outlined module");
        return signalPassFailure();
      }
      renamed[{old.getNameAttr(), kernel.getNameAttr()}] = old.getNameAttr();
      kernel->remove();
      kernel.setName(old.getNameAttr());
      mergedSymbols.insert(kernel);
    }
    WalkResult walk = module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = renamed.find({launch.getKernelModuleName(), launch.getKernelName()});
      if (it == renamed.end()) {
        launch.emitError("launch of a kernel outside the outlined modules");
        return WalkResult::interrupt();
      }
      launch.setKernelAttr(
          SymbolRefAttr::get(ctx, kMergedModuleName, {FlatSymbolRefAttr::get(it->second)}));
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (gpu::GPUModuleOp old : gpuModules)
      old.erase();
  }
};

} // namespace
