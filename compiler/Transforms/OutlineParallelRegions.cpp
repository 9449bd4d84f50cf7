//===- OutlineParallelRegions.cpp - each parallel region in a function ----===//
//
// The OpenMP translation to LLVM IR outlines every `omp.parallel` into an
// LLVM function of its own, and for each one it analyses the whole function
// the region is in: time quadratic in a model's size (docs/benchmarks.md,
// session 28). Here each top-level parallel region is first moved into a
// private function of its own, called where the region was, so that the
// translation analyses one region at a time. Values the region uses from
// around it become the function's arguments; constants and global
// addresses are cloned into it. The calls cost one per parallel loop,
// which forks threads anyway.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/SetVector.h"

namespace cnnc {
#define GEN_PASS_DEF_OUTLINEPARALLELREGIONSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// Ops that are cloned into the outlined function rather than passed in:
/// they compute nothing at run time.
bool isConstantLike(Operation *op) {
  return isa<LLVM::ConstantOp, LLVM::AddressOfOp, LLVM::ZeroOp, LLVM::UndefOp, LLVM::PoisonOp>(
      op);
}

/// Moves `region` into a new internal function placed after `after`, named
/// after `fn`, and calls that function in its place. Returns the function.
LLVM::LLVMFuncOp outline(omp::ParallelOp region, LLVM::LLVMFuncOp fn, Operation *after,
                         SymbolTable &symbols) {
  llvm::SetVector<Value> arguments;
  llvm::SetVector<Operation *> constants;
  region->walk([&](Operation *op) {
    for (Value v : op->getOperands()) {
      if (region->isAncestor(v.getParentRegion()->getParentOp()))
        continue; // defined inside the region
      Operation *def = v.getDefiningOp();
      if (def && isConstantLike(def))
        constants.insert(def);
      else
        arguments.insert(v);
    }
  });
  MLIRContext *ctx = region->getContext();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(after);
  SmallVector<Type> argTypes;
  for (Value v : arguments)
    argTypes.push_back(v.getType());
  auto type = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), argTypes);
  auto outlined = LLVM::LLVMFuncOp::create(b, region.getLoc(), (fn.getName() + "..parallel").str(),
                                           type, LLVM::Linkage::Internal);
  symbols.insert(outlined); // renamed if taken: ..parallel_0, _1, ...
  Block *entry = outlined.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  IRMapping map;
  for (auto [v, arg] : llvm::zip(arguments, entry->getArguments()))
    map.map(v, arg);
  for (Operation *c : constants)
    b.clone(*c, map);
  auto ret = LLVM::ReturnOp::create(b, region.getLoc(), ValueRange{});
  b.setInsertionPoint(region);
  LLVM::CallOp::create(b, region.getLoc(), outlined, arguments.getArrayRef());
  // Moved, not cloned, and its operands renamed op by op: a value used all
  // over @forward (the arena's base) has too many uses to search for each region.
  region->moveBefore(ret);
  region->walk([&](Operation *op) {
    for (OpOperand &operand : op->getOpOperands())
      if (Value to = map.lookupOrNull(operand.get()))
        operand.set(to);
  });
  return outlined;
}

struct OutlineParallelRegionsPass
    : cnnc::impl::OutlineParallelRegionsPassBase<OutlineParallelRegionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<LLVM::LLVMFuncOp> fns(module.getOps<LLVM::LLVMFuncOp>());
    for (LLVM::LLVMFuncOp fn : fns) {
      SmallVector<omp::ParallelOp> regions;
      fn.walk([&](omp::ParallelOp region) {
        if (!region->getParentOfType<omp::ParallelOp>())
          regions.push_back(region);
      });
      // A function with one region is already as small as an outlined one.
      if (regions.size() < 2)
        continue;
      Operation *after = fn; // the outlined functions in program order
      for (omp::ParallelOp region : regions)
        after = outline(region, fn, after, symbols);
    }
  }
};

} // namespace
