//===- LoopOrder.cpp - iterate a generic in an operand's memory order -----===//

#include "Transforms/LoopOrder.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

using namespace mlir;

void cnnc::interchangeToMapOrder(RewriterBase &rewriter, linalg::GenericOp op, AffineMap map) {
  if (!map.isProjectedPermutation())
    return;
  // Loops the map does not index go outermost, only where they are single
  // iterations (the unit dims a reshape folded into a pool's reduction).
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < map.getNumDims(); ++d)
    if (!map.isFunctionOfDim(d)) {
      if (ranges[d] != 1)
        return;
      order.push_back(d);
    }
  for (unsigned i = 0; i < map.getNumResults(); ++i)
    order.push_back(map.getDimPosition(i));
  if (llvm::equal(order, llvm::seq<unsigned>(0, order.size())))
    return;
  rewriter.setInsertionPoint(op);
  (void)linalg::interchangeGenericOp(rewriter, op, order);
}
