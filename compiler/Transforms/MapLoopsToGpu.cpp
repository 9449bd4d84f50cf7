//===- MapLoopsToGpu.cpp - one kernel per top-level loop nest --------------===//

#include "Passes.h"

#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

namespace cnnc {
#define GEN_PASS_DEF_MAPLOOPSTOGPUPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct MapLoopsToGpuPass : cnnc::impl::MapLoopsToGpuPassBase<MapLoopsToGpuPass> {
  using MapLoopsToGpuPassBase::MapLoopsToGpuPassBase;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      wrapLoopFreeAccesses(func);
      SmallVector<Operation *> nests;
      for (Operation &op : func.getBody().front())
        if (isa<scf::ParallelOp, scf::ForOp>(op))
          nests.push_back(&op);
      for (Operation *op : nests) {
        scf::ParallelOp loop = dyn_cast<scf::ParallelOp>(op);
        if (!loop) // a sequential nest runs in one thread
          loop = wrapInParallel({op});
        if (failed(map(loop)))
          return signalPassFailure();
      }
    }
  }

  /// Loads and stores outside any loop (what a rank-0 linalg op lowers to)
  /// would run on the host, on device memory. Each run of them, with the
  /// arithmetic between, becomes a one-iteration loop (a one-thread kernel).
  void wrapLoopFreeAccesses(func::FuncOp func) {
    auto isAccess = [](Operation &op) { return isa<memref::LoadOp, memref::StoreOp>(op); };
    auto isArithmetic = [](Operation &op) {
      return isMemoryEffectFree(&op) && op.getNumRegions() == 0 &&
             !op.hasTrait<OpTrait::ConstantLike>() && !isa<ViewLikeOpInterface>(op) &&
             !op.hasTrait<OpTrait::IsTerminator>();
    };
    SmallVector<SmallVector<Operation *>> runs;
    SmallVector<Operation *> run;
    auto finish = [&] {
      while (!run.empty() && !isAccess(*run.back()))
        run.pop_back();
      // Values defined in the run and used after it cannot move into a loop.
      llvm::SmallPtrSet<Operation *, 16> inRun(run.begin(), run.end());
      bool escapes = llvm::any_of(run, [&](Operation *op) {
        return llvm::any_of(op->getUsers(), [&](Operation *u) { return !inRun.contains(u); });
      });
      if (!run.empty() && !escapes)
        runs.push_back(run);
      run.clear();
    };
    for (Operation &op : func.getBody().front()) {
      if (isAccess(op) || (!run.empty() && isArithmetic(op)))
        run.push_back(&op);
      else
        finish();
    }
    finish();
    for (auto &ops : runs)
      wrapInParallel(ops);
  }

  /// Moves `ops` (consecutive, in one block) into a one-iteration parallel
  /// loop in their place: one thread once mapped.
  scf::ParallelOp wrapInParallel(ArrayRef<Operation *> ops) {
    OpBuilder b(ops.front());
    Location loc = ops.front()->getLoc();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto par = scf::ParallelOp::create(b, loc, ValueRange{zero}, ValueRange{one},
                                       ValueRange{one});
    for (Operation *op : ops)
      op->moveBefore(par.getBody()->getTerminator());
    return par;
  }

  LogicalResult map(scf::ParallelOp loop) {
    MLIRContext *ctx = &getContext();
    if (loop.getNumLoops() > 1) {
      IRRewriter rewriter(ctx);
      rewriter.setInsertionPoint(loop);
      std::vector<unsigned> all;
      for (unsigned i = 0; i < loop.getNumLoops(); ++i)
        all.push_back(i);
      // collapseParallelLoops replaces the loop; find the new one after it.
      Operation *prev = loop->getPrevNode();
      Block *block = loop->getBlock();
      collapseParallelLoops(rewriter, loop, {all});
      Operation *next = prev ? prev->getNextNode() : &block->front();
      while (next && !isa<scf::ParallelOp>(next))
        next = next->getNextNode();
      if (!next)
        return emitError(block->getParentOp()->getLoc(), "loop collapsing failed");
      loop = cast<scf::ParallelOp>(next);
    }
    auto [outer, inner] = scf::tileParallelLoop(loop, {blockSize}, /*noMinMaxBounds=*/true);
    auto identity = AffineMap::getMultiDimIdentityMap(1, ctx);
    auto dim = [&](gpu::Processor p) {
      return gpu::ParallelLoopDimMappingAttr::get(ctx, p, identity, identity);
    };
    if (failed(gpu::setMappingAttr(outer, {dim(gpu::Processor::BlockX)})) ||
        failed(gpu::setMappingAttr(inner, {dim(gpu::Processor::ThreadX)})))
      return failure();
    return success();
  }
};

} // namespace
