//===- CollapseContractionReductions.cpp - contractions back into matmuls --===//
//
// A contraction generic whose loops are [M dims][N dims][reduction dims],
// each group laid out contiguously by every operand, gets each group
// collapsed into one loop: a matmul again, which cnnc-select-cpu-schedules
// gives a register-tiled schedule. Two sources: a flatten folded into a
// dense layer ([1, C, H, W] x [C, H, W, N]: several reduction loops), and a
// flatten's gradient folded into dense's input gradient ([N, K] x [K, C, H,
// W] -> [N, C, H, W]: several N loops), which would otherwise run as
// strided scalar loops.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/ScheduledOps.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/BuiltinOps.h"

#include <optional>

namespace cnnc {
#define GEN_PASS_DEF_COLLAPSECONTRACTIONREDUCTIONSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// The loop groups {M, N, reductions} of `op` when it is a contraction with
/// its parallel loops first, the output indexed by them in order, the first
/// input using exactly the M loops and the second exactly the N loops (of
/// the parallel ones), every group contiguous in every operand, and some
/// group longer than one loop.
std::optional<SmallVector<ReassociationIndices>> matmulGroups(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() || op.getNumDpsInits() != 1 ||
      op.getNumDpsInputs() != 2 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  unsigned loops = op.getNumLoops(), parallel = op.getNumParallelLoops();
  for (unsigned i = 0; i < loops; ++i)
    if ((i < parallel) != (iterators[i] == utils::IteratorType::parallel))
      return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() != parallel)
    return std::nullopt;
  for (unsigned i = 0; i < parallel; ++i)
    if (out.getResult(i) != getAffineDimExpr(i, op.getContext()))
      return std::nullopt;
  AffineMap a = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap b = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  unsigned m = 0;
  while (m < parallel && a.isFunctionOfDim(m) && !b.isFunctionOfDim(m))
    ++m;
  if (m == 0 || m == parallel)
    return std::nullopt;
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

struct CollapseContractionReductionsPass
    : cnnc::impl::CollapseContractionReductionsPassBase<CollapseContractionReductionsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, SmallVector<ReassociationIndices>>> collapsible;
    getOperation().walk([&](linalg::GenericOp op) {
      if (auto groups = matmulGroups(op))
        collapsible.push_back({op, *groups});
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, groups] : collapsible) {
      rewriter.setInsertionPoint(op);
      auto collapsed = linalg::collapseOpIterationDims(op, groups, rewriter);
      if (succeeded(collapsed))
        rewriter.replaceOp(op, collapsed->results);
    }
  }
};

} // namespace
