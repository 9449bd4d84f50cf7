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
      SmallVector<Operation *> nests;
      for (Operation &op : func.getBody().front())
        if (isa<scf::ParallelOp, scf::ForOp>(op))
          nests.push_back(&op);
      for (Operation *op : nests) {
        scf::ParallelOp loop = dyn_cast<scf::ParallelOp>(op);
        if (!loop)
          loop = wrapInParallel(cast<scf::ForOp>(op));
        if (failed(map(loop)))
          return signalPassFailure();
      }
    }
  }

  /// A sequential nest becomes a one-iteration parallel loop (one thread).
  scf::ParallelOp wrapInParallel(scf::ForOp forOp) {
    OpBuilder b(forOp);
    Location loc = forOp.getLoc();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto par = scf::ParallelOp::create(b, loc, ValueRange{zero}, ValueRange{one},
                                       ValueRange{one});
    forOp->moveBefore(par.getBody()->getTerminator());
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
