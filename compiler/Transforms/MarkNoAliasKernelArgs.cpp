//===- MarkNoAliasKernelArgs.cpp - disjoint kernel buffers are noalias -----===//

#include "BufferRanges.h"
#include "Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace cnnc {
#define GEN_PASS_DEF_MARKNOALIASKERNELARGSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct MarkNoAliasKernelArgsPass
    : cnnc::impl::MarkNoAliasKernelArgsPassBase<MarkNoAliasKernelArgsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTableCollection symbols;
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto kernel = symbols.lookupNearestSymbolFrom<gpu::GPUFuncOp>(launch,
                                                                    launch.getKernel());
      if (!kernel)
        return;
      SmallVector<cnnc::ByteRange> ranges;
      for (Value operand : launch.getKernelOperands()) {
        if (!isa<MemRefType>(operand.getType()))
          continue;
        auto r = cnnc::byteRangeOf(operand);
        if (!r)
          return; // unknown provenance: leave the kernel alone
        ranges.push_back(*r);
      }
      for (size_t i = 0; i < ranges.size(); ++i)
        for (size_t j = i + 1; j < ranges.size(); ++j)
          if (ranges[i].overlaps(ranges[j]))
            return; // overlapping (e.g. an in-place elementwise op)
      for (auto [i, arg] : llvm::enumerate(kernel.getArguments()))
        if (isa<MemRefType>(arg.getType()))
          kernel.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                            UnitAttr::get(&getContext()));
    });
  }
};

} // namespace
