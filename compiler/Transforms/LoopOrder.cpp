//===- LoopOrder.cpp - iterate a generic in an operand's memory order -----===//

#include "Transforms/LoopOrder.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

using namespace mlir;

void cnnc::interchangeToMapOrder(RewriterBase &rewriter, linalg::GenericOp op, AffineMap map) {
  if (!map.isPermutation() || map.isIdentity())
    return;
  SmallVector<unsigned> order;
  for (unsigned i = 0; i < map.getNumResults(); ++i)
    order.push_back(map.getDimPosition(i));
  rewriter.setInsertionPoint(op);
  (void)linalg::interchangeGenericOp(rewriter, op, order);
}
