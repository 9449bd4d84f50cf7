//===- EnqueueGpuLaunches.cpp - kernels chained on one stream, no host wait ===//

#include "Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace cnnc {
#define GEN_PASS_DEF_ENQUEUEGPULAUNCHESPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct EnqueueGpuLaunchesPass
    : cnnc::impl::EnqueueGpuLaunchesPassBase<EnqueueGpuLaunchesPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<gpu::LaunchFuncOp> launches;
      bool nested = false;
      func.walk([&](gpu::LaunchFuncOp launch) {
        launches.push_back(launch);
        nested |= launch->getParentOp() != func.getOperation();
      });
      // One token chain needs the launches in one block, in program order;
      // a launch inside a loop or branch keeps its function synchronous.
      if (launches.empty() || nested || launches.front().getAsyncToken())
        continue;
      OpBuilder builder(&func.getBody().front(), func.getBody().front().begin());
      auto tokenType = gpu::AsyncTokenType::get(&getContext());
      Value token =
          gpu::WaitOp::create(builder, func.getLoc(), tokenType, ValueRange{}).getAsyncToken();
      for (gpu::LaunchFuncOp launch : launches) {
        builder.setInsertionPoint(launch);
        std::optional<gpu::KernelDim3> cluster;
        if (launch.hasClusterSize())
          cluster = launch.getClusterSizeOperandValues();
        auto enqueued = gpu::LaunchFuncOp::create(
            builder, launch.getLoc(), launch.getKernelAttr(), launch.getGridSizeOperandValues(),
            launch.getBlockSizeOperandValues(), launch.getDynamicSharedMemorySize(),
            launch.getKernelOperands(), tokenType, ValueRange{token}, cluster);
        enqueued->setDiscardableAttrs(launch->getDiscardableAttrDictionary());
        token = enqueued.getAsyncToken();
        launch.erase();
      }
    }
  }
};

} // namespace
