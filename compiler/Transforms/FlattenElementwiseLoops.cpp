//===- FlattenElementwiseLoops.cpp - elementwise loops over contiguous memory ===//
//
// An elementwise linalg.generic whose operands are all read and written in
// the same (identity) order over contiguous buffers is one loop over the
// buffers' elements. Left as a nest, its innermost loop runs the tensor's
// last dimension: a 3x3 filter's optimizer update ran 3-trip scalar loops
// (a 1x1 filter's, 1-trip), which LLVM's vectorizer does not take. After
// bufferization the collapse is a view of the same memory, so no copy.
// (linalg::collapseOpIterationDims does not take the constant-index reads
// of a learning rate, hence the rewrite here.)
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace cnnc {
#define GEN_PASS_DEF_FLATTENELEMENTWISELOOPSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// Dimensions 0 .. rank-1 as one group.
ReassociationIndices allDims(int64_t rank) {
  ReassociationIndices all;
  for (int64_t d = 0; d < rank; ++d)
    all.push_back(d);
  return all;
}

/// All dimensions as one group, when every operand is a buffer read and
/// written in identity order whose dimensions collapse into one (or an
/// element at constant indices).
std::optional<ReassociationIndices> flattenable(linalg::GenericOp op) {
  unsigned rank = op.getNumLoops();
  if (rank < 2 || !op.hasPureBufferSemantics() || op.getNumReductionLoops() != 0 ||
      op.hasIndexSemantics())
    return std::nullopt;
  ReassociationIndices all = allDims(rank);
  for (OpOperand &operand : op->getOpOperands()) {
    // A scalar read at fixed indices (the learning rate) stays as it is.
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (map.getNumResults() > 0 && !op.isDpsInit(&operand) &&
        llvm::all_of(map.getResults(), [](AffineExpr e) { return isa<AffineConstantExpr>(e); }))
      continue;
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !map.isIdentity() ||
        !memref::CollapseShapeOp::isGuaranteedCollapsible(type, {all}))
      return std::nullopt;
  }
  return all;
}

/// The same generic over one loop: identity-mapped buffers through
/// collapse_shape views, constant-index reads with the same constants.
void flatten(IRRewriter &rewriter, linalg::GenericOp op, const ReassociationIndices &all) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> inputs, inits;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    Value v = operand.get();
    if (map.isIdentity()) {
      v = memref::CollapseShapeOp::create(rewriter, loc, v, {all});
      maps.push_back(AffineMap::getMultiDimIdentityMap(1, ctx));
    } else {
      maps.push_back(AffineMap::get(1, 0, map.getResults(), ctx));
    }
    (op.isDpsInit(&operand) ? inits : inputs).push_back(v);
  }
  auto flat = linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, inputs, inits, maps,
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel});
  rewriter.inlineRegionBefore(op.getRegion(), flat.getRegion(), flat.getRegion().end());
  rewriter.eraseOp(op);
}

/// A fill of a contiguous buffer of rank >= 2, through its collapse_shape
/// view: one loop, which LLVM turns into a memset or vector stores (as a
/// nest, a 3x3 filter's fill stored 3 floats per inner loop).
bool flattenFill(IRRewriter &rewriter, linalg::FillOp fill) {
  auto type = dyn_cast<MemRefType>(fill.getOutputs()[0].getType());
  if (!fill.hasPureBufferSemantics() || !type || type.getRank() < 2)
    return false;
  ReassociationIndices all = allDims(type.getRank());
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(type, {all}))
    return false;
  rewriter.setInsertionPoint(fill);
  Value flat = memref::CollapseShapeOp::create(rewriter, fill.getLoc(), fill.getOutputs()[0],
                                               {all});
  rewriter.replaceOpWithNewOp<linalg::FillOp>(fill, fill.getInputs(), ValueRange{flat});
  return true;
}

struct FlattenElementwiseLoopsPass
    : cnnc::impl::FlattenElementwiseLoopsPassBase<FlattenElementwiseLoopsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, ReassociationIndices>> work;
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](Operation *op) {
      if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
        if (auto group = flattenable(generic))
          work.push_back({generic, *group});
      } else if (auto fill = dyn_cast<linalg::FillOp>(op)) {
        fills.push_back(fill);
      }
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, group] : work)
      flatten(rewriter, op, group);
    for (linalg::FillOp fill : fills)
      flattenFill(rewriter, fill);
  }
};

} // namespace
