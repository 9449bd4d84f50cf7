//===- ScheduledOps.cpp - the ops CPU schedules are written for -----------===//

#include "Transforms/ScheduledOps.h"

using namespace mlir;

namespace cnnc {

int64_t largestDivisor(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

int64_t tilesAlong(int64_t size, int64_t m) { return (size + m - 1) / m; }

int64_t winogradChannelTile(int64_t channels, int64_t lanes) {
  return channels % (2 * lanes) == 0 ? 2 * lanes : channels % lanes == 0 ? lanes : channels;
}

bool accumulatesThroughConvs(linalg::Conv2DNhwcHwcfOp conv) {
  return conv.getDpsInits()[0].getDefiningOp<linalg::Conv2DNhwcHwcfOp>() ||
         (conv->hasOneUse() && isa<linalg::Conv2DNhwcHwcfOp>(*conv->user_begin()));
}

Value groupedConvInput(linalg::Conv2DNhwcHwcfOp conv) {
  for (auto slice = conv.getDpsInputs()[0].getDefiningOp<tensor::ExtractSliceOp>(); slice;
       slice = slice.getSource().getDefiningOp<tensor::ExtractSliceOp>())
    if (slice.getSourceType().getRank() == 4 && slice.getType().getRank() == 4 &&
        slice.getType().getDimSize(3) < slice.getSourceType().getDimSize(3))
      return slice.getSource();
  return Value();
}

bool isDepthwiseLike(Operation *op) {
  return isa<linalg::DepthwiseConv2DNhwcHwcOp, linalg::PoolingNhwcMaxOp, linalg::PoolingNhwcSumOp>(
      op);
}

bool isMatmulLike(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() || op.getNumDpsInits() != 1 ||
      op.getNumDpsInputs() != 2 || op.getNumParallelLoops() != 2 ||
      op.getNumReductionLoops() < 1)
    return false;
  if (auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation()))
    return !matmul.hasUserDefinedMaps();
  if (!isa<linalg::GenericOp>(op.getOperation()) || !linalg::isaContractionOpInterface(op))
    return false;
  // Loops 0 and 1 are M and N, the rest reductions.
  auto iterators = op.getIteratorTypesArray();
  if (iterators[0] != utils::IteratorType::parallel ||
      iterators[1] != utils::IteratorType::parallel)
    return false;
  MLIRContext *ctx = op->getContext();
  AffineMap mn = AffineMap::get(op.getNumLoops(), 0,
                                {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx);
  return op.getMatchingIndexingMap(op.getDpsInitOperand(0)) == mn;
}

} // namespace cnnc

