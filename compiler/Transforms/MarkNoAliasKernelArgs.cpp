//===- MarkNoAliasKernelArgs.cpp - disjoint kernel buffers are noalias -----===//

#include "Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace cnnc {
#define GEN_PASS_DEF_MARKNOALIASKERNELARGSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// Where a buffer lives: a function argument, or bytes [begin, end) of one.
struct ByteRange {
  Value root;
  int64_t begin = 0, end = 0;
};

std::optional<ByteRange> rangeOf(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  Type elem = type.getElementType();
  if (!elem.isIntOrIndexOrFloat())
    return std::nullopt;
  int64_t bytes = type.getNumElements() * (elem.isIndex() ? 8 : elem.getIntOrFloatBitWidth() / 8);
  if (isa<BlockArgument>(v))
    return ByteRange{v, 0, bytes};
  if (auto view = v.getDefiningOp<memref::ViewOp>()) {
    auto offset = getConstantIntValue(view.getByteShift());
    if (!offset || !isa<BlockArgument>(view.getSource()))
      return std::nullopt;
    return ByteRange{view.getSource(), *offset, *offset + bytes};
  }
  return std::nullopt;
}

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
      SmallVector<ByteRange> ranges;
      for (Value operand : launch.getKernelOperands()) {
        if (!isa<MemRefType>(operand.getType()))
          continue;
        auto r = rangeOf(operand);
        if (!r)
          return; // unknown provenance: leave the kernel alone
        ranges.push_back(*r);
      }
      for (size_t i = 0; i < ranges.size(); ++i)
        for (size_t j = i + 1; j < ranges.size(); ++j)
          if (ranges[i].root == ranges[j].root && ranges[i].begin < ranges[j].end &&
              ranges[j].begin < ranges[i].end)
            return; // overlapping (e.g. an in-place elementwise op)
      for (auto [i, arg] : llvm::enumerate(kernel.getArguments()))
        if (isa<MemRefType>(arg.getType()))
          kernel.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                            UnitAttr::get(&getContext()));
    });
  }
};

} // namespace
