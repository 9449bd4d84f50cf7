//===- GpuAtomicReductions.cpp - many threads for a narrow reduction -------===//
//
// The GPU path maps each loop nest to one thread per iteration of its
// parallel dimensions; a reduction runs sequentially inside a thread. That
// is fine for a forward convolution (tens of thousands of outputs), but a
// gradient such as a bias's (6 outputs, each summing 256x28x28 values) or a
// small filter's would run on a handful of threads for milliseconds. Where a
// sum has few outputs and a long reduction, this pass makes every reduction
// dimension but the innermost parallel too: each thread sums the innermost
// dimension in a register and adds its partial sum to the output with one
// atomic add. The order of the additions then varies from run to run (as in
// cuDNN's backward kernels); the result agrees within rounding.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace cnnc {
#define GEN_PASS_DEF_GPUATOMICREDUCTIONSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// The summand `a` of a payload ending in `yield addf(a, out)`, where `out`
/// (the output's block argument) has no other use; null otherwise.
Value summandOf(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1)
    return nullptr;
  Block *body = op.getBlock();
  BlockArgument out = op.getRegionOutputArgs()[0];
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add || !out.hasOneUse())
    return nullptr;
  if (add.getLhs() == out)
    return add.getRhs();
  if (add.getRhs() == out)
    return add.getLhs();
  return nullptr;
}

struct GpuAtomicReductionsPass
    : cnnc::impl::GpuAtomicReductionsPassBase<GpuAtomicReductionsPass> {
  using GpuAtomicReductionsPassBase::GpuAtomicReductionsPassBase;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && op.getNumReductionLoops() > 0 &&
          !op.hasDynamicShape() && op.getNumDpsInits() == 1)
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      int64_t outputs = 1, summed = 1;
      for (auto [range, kind] : llvm::zip(ranges, iterators))
        (kind == utils::IteratorType::parallel ? outputs : summed) *= range;
      // With a single (reduction) dimension there is nothing to spread.
      if (outputs >= minOutputs || summed < minReduction || ranges.size() < 2)
        continue;
      linalg::GenericOp generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        rewriter.setInsertionPoint(op);
        FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
        if (failed(g))
          continue;
        generic = *g;
      }
      auto outType = dyn_cast<MemRefType>(generic.getDpsInits()[0].getType());
      if (!summandOf(generic) || !outType || !outType.getElementType().isF32())
        continue;
      rewrite(rewriter, generic, ranges, iterators);
    }
  }

  void rewrite(IRRewriter &rewriter, linalg::GenericOp op, ArrayRef<int64_t> ranges,
               ArrayRef<utils::IteratorType> iterators) {
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    unsigned inner = 0; // the innermost reduction dimension stays sequential
    for (unsigned d = 0; d < ranges.size(); ++d)
      if (iterators[d] == utils::IteratorType::reduction)
        inner = d;
    auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(rewriter, loc, v); };
    SmallVector<Value> lbs, ubs, steps;
    for (unsigned d = 0; d < ranges.size(); ++d)
      if (d != inner) {
        lbs.push_back(index(0));
        ubs.push_back(index(ranges[d]));
        steps.push_back(index(1));
      }
    Value zeroF = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0f));
    auto par = scf::ParallelOp::create(rewriter, loc, lbs, ubs, steps);
    rewriter.setInsertionPoint(par.getBody()->getTerminator());
    auto loop = scf::ForOp::create(rewriter, loc, index(0), index(ranges[inner]), index(1),
                                   ValueRange{zeroF});
    // Loop dimension d's induction variable.
    SmallVector<Value> ivs;
    for (unsigned d = 0, p = 0; d < ranges.size(); ++d)
      ivs.push_back(d == inner ? loop.getInductionVar() : par.getInductionVars()[p++]);
    auto indicesOf = [&](AffineMap map) {
      SmallVector<Value> idx;
      for (AffineExpr e : map.getResults())
        if (auto dim = dyn_cast<AffineDimExpr>(e))
          idx.push_back(ivs[dim.getPosition()]);
        else
          idx.push_back(affine::makeComposedAffineApply(
            rewriter, loc, AffineMap::get(map.getNumDims(), 0, e), getAsOpFoldResult(ivs)));
      return idx;
    };
    rewriter.setInsertionPointToStart(loop.getBody());
    IRMapping map;
    for (OpOperand *in : op.getDpsInputOperands()) {
      BlockArgument arg = op.getMatchingBlockArgument(in);
      Value v = in->get();
      if (isa<MemRefType>(v.getType()))
        v = memref::LoadOp::create(rewriter, loc, v, indicesOf(op.getMatchingIndexingMap(in)));
      map.map(arg, v);
    }
    Value summand = summandOf(op);
    for (Operation &bodyOp : op.getBlock()->without_terminator()) {
      if (auto idx = dyn_cast<linalg::IndexOp>(bodyOp)) {
        map.map(idx.getResult(), ivs[idx.getDim()]);
        continue;
      }
      Value yielded = op.getBlock()->getTerminator()->getOperand(0);
      if (bodyOp.getNumResults() == 1 && bodyOp.getResult(0) == yielded)
        continue; // the final addf with the output: replaced by the register sum
      rewriter.clone(bodyOp, map);
    }
    Value sum = arith::AddFOp::create(rewriter, loc, loop.getRegionIterArgs()[0],
                                      map.lookupOrDefault(summand));
    scf::YieldOp::create(rewriter, loc, sum);
    rewriter.setInsertionPointAfter(loop);
    OpOperand *out = op.getDpsInitOperand(0);
    memref::AtomicRMWOp::create(rewriter, loc, arith::AtomicRMWKind::addf, loop.getResult(0),
                                out->get(), indicesOf(op.getMatchingIndexingMap(out)));
    rewriter.eraseOp(op);
  }
};

} // namespace
