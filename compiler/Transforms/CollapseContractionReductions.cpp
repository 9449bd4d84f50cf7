//===- CollapseContractionReductions.cpp - contractions back into matmuls --===//
//
// A contraction generic whose loops are [M dims][N dims][reduction dims],
// each group laid out contiguously by every operand, gets each group
// collapsed into one loop: a matmul again, which cnnc-select-cpu-schedules
// gives a register-tiled schedule. Two sources: a flatten folded into a
// dense layer ([1, C, H, W] x [C, H, W, N]: several reduction loops), and a
// flatten's gradient folded into dense's input gradient ([N, K] x [K, C, H,
// W] -> [N, C, H, W]: several N loops), which would otherwise run as
// strided scalar loops. A contraction whose output orders its N loops
// otherwise than its second input (a dense layer's weight gradient through
// a flatten of NHWC activations) first computes in the input's order and
// transposes its result.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/ScheduledOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include <optional>

namespace cnnc {
#define GEN_PASS_DEF_COLLAPSECONTRACTIONREDUCTIONSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// A two-input contraction on static tensors with its parallel loops first,
/// the output indexed by them in order, and its first `m` loops (M) read
/// by the first input and not the second.
struct ContractionLoops {
  unsigned loops, parallel, m;
  AffineMap a, b;
};
std::optional<ContractionLoops> contractionLoops(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() || op.getNumDpsInits() != 1 ||
      op.getNumDpsInputs() != 2 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  unsigned loops = op.getNumLoops(), parallel = op.getNumParallelLoops();
  for (unsigned i = 0; i < loops; ++i)
    if ((i < parallel) != (iterators[i] == utils::IteratorType::parallel))
      return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out != AffineMap::getMultiDimIdentityMap(loops, op.getContext()).getMajorSubMap(parallel))
    return std::nullopt;
  AffineMap a = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap b = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  unsigned m = 0;
  while (m < parallel && a.isFunctionOfDim(m) && !b.isFunctionOfDim(m))
    ++m;
  if (m == 0 || m == parallel)
    return std::nullopt;
  return ContractionLoops{loops, parallel, m, a, b};
}

/// The loop groups {M, N, reductions} of `op` when it is such a contraction
/// whose second input uses exactly the N loops (of the parallel ones),
/// every group contiguous in every operand, and some group longer than one
/// loop.
std::optional<SmallVector<ReassociationIndices>> matmulGroups(linalg::GenericOp op) {
  std::optional<ContractionLoops> c = contractionLoops(op);
  if (!c)
    return std::nullopt;
  auto [loops, parallel, m, a, b] = *c;
  for (unsigned i = m; i < parallel; ++i)
    if (a.isFunctionOfDim(i) || !b.isFunctionOfDim(i))
      return std::nullopt;
  SmallVector<ReassociationIndices> groups = {
      llvm::to_vector(llvm::seq<int64_t>(0, m)), llvm::to_vector(llvm::seq<int64_t>(m, parallel)),
      llvm::to_vector(llvm::seq<int64_t>(parallel, loops))};
  if (loops == 3 || !linalg::areDimSequencesPreserved(op.getIndexingMapsArray(), groups))
    return std::nullopt;
  return groups;
}

/// A contraction that matmulGroups would take but for its N loops, which the
/// second input indexes in another order than the output (a dense layer's
/// weight gradient through a flatten of NHWC activations: dW[o, c, h, w] =
/// sum_n g[n, o] x[n, h, w, c]) and whose output starts as a fill: computed
/// into a filled temporary with the N loops in the input's order, then
/// transposed into the output. Returns the new contraction.
std::optional<linalg::GenericOp> permuteToInputOrder(RewriterBase &rewriter,
                                                      linalg::GenericOp op) {
  std::optional<ContractionLoops> c = contractionLoops(op);
  auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  if (!c || !fill || op.hasIndexSemantics() || !c->b.isProjectedPermutation())
    return std::nullopt;
  auto [loops, parallel, m, a, b] = *c;
  MLIRContext *ctx = op.getContext();
  auto iterators = op.getIteratorTypesArray();
  // The N loops in the order the second input's dimensions name them.
  SmallVector<unsigned> order = llvm::to_vector(llvm::seq<unsigned>(0, m));
  for (AffineExpr e : b.getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (d >= m && d < parallel)
      order.push_back(d);
  }
  if (order.size() != parallel || llvm::equal(order, llvm::seq<unsigned>(0, parallel)))
    return std::nullopt;
  for (unsigned d = parallel; d < loops; ++d)
    order.push_back(d);
  // Old loop d is new loop position[d].
  SmallVector<unsigned> position(loops);
  for (auto [newPos, d] : llvm::enumerate(order))
    position[d] = newPos;
  SmallVector<AffineExpr> rename;
  for (unsigned d = 0; d < loops; ++d)
    rename.push_back(getAffineDimExpr(position[d], ctx));
  auto renamed = [&](AffineMap map) { return map.replaceDimsAndSymbols(rename, {}, loops, 0); };
  auto outType = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  SmallVector<int64_t> tempShape;
  for (unsigned i = 0; i < parallel; ++i)
    tempShape.push_back(outType.getShape()[order[i]]);
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value empty = tensor::EmptyOp::create(rewriter, loc, tempShape, outType.getElementType());
  Value temp = linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], empty).getResult(0);
  SmallVector<utils::IteratorType> newIterators;
  for (unsigned d : order)
    newIterators.push_back(iterators[d]);
  auto contraction = linalg::GenericOp::create(
      rewriter, loc, TypeRange{temp.getType()}, op.getDpsInputs(), ValueRange{temp},
      {renamed(a), renamed(b), AffineMap::getMultiDimIdentityMap(loops, ctx).getMajorSubMap(parallel)},
      newIterators);
  rewriter.cloneRegionBefore(op.getRegion(), contraction.getRegion(),
                             contraction.getRegion().end());
  // out[i...] = temp[i in the temporary's order]: a copy through a permutation.
  SmallVector<AffineExpr> read;
  for (unsigned i = 0; i < parallel; ++i)
    read.push_back(getAffineDimExpr(order[i], ctx));
  auto copy = linalg::GenericOp::create(
      rewriter, loc, TypeRange{outType}, ValueRange{contraction.getResult(0)},
      ValueRange{op.getDpsInits()[0]},
      {AffineMap::get(parallel, 0, read, ctx), AffineMap::getMultiDimIdentityMap(parallel, ctx)},
      SmallVector<utils::IteratorType>(parallel, utils::IteratorType::parallel),
      [](OpBuilder &b, Location l, ValueRange args) { linalg::YieldOp::create(b, l, args[0]); });
  rewriter.replaceOp(op, copy.getResults());
  return contraction;
}

struct CollapseContractionReductionsPass
    : cnnc::impl::CollapseContractionReductionsPassBase<CollapseContractionReductionsPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!matmulGroups(op))
        candidates.push_back(op);
    });
    for (linalg::GenericOp op : candidates)
      (void)permuteToInputOrder(rewriter, op);
    SmallVector<std::pair<linalg::GenericOp, SmallVector<ReassociationIndices>>> collapsible;
    getOperation().walk([&](linalg::GenericOp op) {
      if (auto groups = matmulGroups(op))
        collapsible.push_back({op, *groups});
    });
    for (auto &[op, groups] : collapsible) {
      rewriter.setInsertionPoint(op);
      auto collapsed = linalg::collapseOpIterationDims(op, groups, rewriter);
      if (succeeded(collapsed))
        rewriter.replaceOp(op, collapsed->results);
    }
  }
};

} // namespace
