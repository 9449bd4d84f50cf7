//===- CollapseContractionReductions.cpp - one reduction loop per matmul ---===//
//
// A matmul-like generic with several reduction loops that every operand
// lays out contiguously (a flatten folded into a dense layer: [1, C, H, W] x
// [C, H, W, N]) gets them collapsed into one, so that its schedule's
// vectorized step is long and the loop nest shallow.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/ScheduledOps.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/BuiltinOps.h"

namespace cnnc {
#define GEN_PASS_DEF_COLLAPSECONTRACTIONREDUCTIONSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct CollapseContractionReductionsPass
    : cnnc::impl::CollapseContractionReductionsPassBase<CollapseContractionReductionsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> collapsible;
    getOperation().walk([&](linalg::GenericOp op) {
      if (cnnc::isMatmulLike(op) && op.getNumReductionLoops() > 1) {
        ReassociationIndices reduction = llvm::to_vector(llvm::seq<int64_t>(2, op.getNumLoops()));
        if (linalg::areDimSequencesPreserved(op.getIndexingMapsArray(), {reduction}))
          collapsible.push_back(op);
      }
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : collapsible) {
      rewriter.setInsertionPoint(op);
      ReassociationIndices reduction = llvm::to_vector(llvm::seq<int64_t>(2, op.getNumLoops()));
      auto collapsed = linalg::collapseOpIterationDims(op, {{0}, {1}, reduction}, rewriter);
      if (succeeded(collapsed))
        rewriter.replaceOp(op, collapsed->results);
    }
  }
};

} // namespace
