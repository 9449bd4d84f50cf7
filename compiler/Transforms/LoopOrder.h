//===- LoopOrder.h - iterate a generic in an operand's memory order -*- C++ -*-===//
//
// Passes that reorder a linalg.generic's loops so that its innermost loop
// walks one operand contiguously (an NHWC result, a pool's permuted input)
// share the interchange here.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_TRANSFORMS_LOOPORDER_H
#define CNNC_TRANSFORMS_LOOPORDER_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace cnnc {

/// Interchanges `op`'s loops into the order of `map`'s results, so that the
/// operand indexed by `map` is walked in its memory order; loops the map
/// does not index go outermost if they are single iterations. Does nothing
/// unless `map` is a projected permutation, the loops it leaves out single
/// iterations, and the order not already the loops' own.
void interchangeToMapOrder(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp op,
                           mlir::AffineMap map);

} // namespace cnnc

#endif
