//===- TileMatmuls.cpp - register tiling and vectorization of matmuls ------===//
//
// Dense layers lower to linalg.matmul with the weight pre-transposed to
// [K, N] at load time, so each reduction step reads contiguous weight rows.
// Tile sizes come from the shape (recorded as `cnn.tile`), and a generated
// transform-dialect schedule applies them, one block per distinct tiling.
// Only divisors of the shape are used: uneven tiles would leave unvectorized
// remainders.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/GeneratedSchedule.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"

namespace cnnc {
#define GEN_PASS_DEF_TILEMATMULSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// Largest divisor of `n` that is at most `limit`, preferring whole zmm
/// registers (multiples of 16 floats), then half ones (8).
int64_t vectorDivisor(int64_t n, int64_t limit) {
  for (int64_t unit : {16, 8})
    for (int64_t d = std::min(n, limit) / unit * unit; d >= unit; d -= unit)
      if (n % d == 0)
        return d;
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// A matmul-like contraction: a linalg.matmul, or a generic that
/// multiplies and accumulates over one or more reduction loops into an
/// [M, N] result (e.g. a dense layer whose flatten was folded into it by
/// elementwise fusion, or a training gradient with a transposed operand).
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

/// Per-loop tile sizes: M x N register block (at most 8 x 32, i.e. 16 zmm of
/// accumulators), then 1 for every reduction loop but the innermost, which
/// steps by up to 16. At batch 1 the block is one row of 128 floats (8 zmm):
/// enough independent FMA chains to hide their latency, and 512 contiguous
/// bytes of each weight row per step.
SmallVector<int64_t> chooseMatmulTiles(linalg::LinalgOp op) {
  SmallVector<int64_t> loops = op.getStaticLoopRanges();
  int64_t mTile = vectorDivisor(loops[0], 8);
  int64_t nTile = vectorDivisor(loops[1], mTile <= 2 ? 128 : mTile <= 4 ? 64 : 32);
  SmallVector<int64_t> tiles = {mTile, nTile};
  for (size_t i = 2; i + 1 < loops.size(); ++i)
    tiles.push_back(1);
  tiles.push_back(vectorDivisor(loops.back(), 16));
  return tiles;
}

std::string joined(ArrayRef<int64_t> values) {
  std::string s;
  for (int64_t v : values)
    s += (s.empty() ? "" : ", ") + std::to_string(v);
  return s;
}

std::string buildSchedule(ArrayRef<SmallVector<int64_t>> configs) {
  std::string s = "module attributes {transform.with_named_sequence} {\n"
                  "transform.named_sequence @__transform_main(%root: !transform.any_op "
                  "{transform.readonly}) {\n";
  int i = 0;
  for (const auto &t : configs) {
    SmallVector<int64_t> reductionTiles = {0, 0};
    reductionTiles.append(t.begin() + 2, t.end());
    std::string loopTypes;
    for (size_t r = 2; r < t.size(); ++r)
      loopTypes += ", !transform.any_op";
    s += llvm::formatv(
        "  %m{0} = transform.structured.match ops{{[\"linalg.matmul\", \"linalg.generic\"]} "
        "attributes{{cnn.tile = array<i64: {1}>} in %root "
        ": (!transform.any_op) -> !transform.any_op\n"
        "  %t{0}, %fa{0} = transform.structured.tile_using_forall %m{0} tile_sizes "
        "[{2}, {3}] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)\n"
        "  %r{0}:{4} = transform.structured.tile_using_for %t{0} "
        "tile_sizes [{5}] : (!transform.any_op) -> (!transform.any_op{6})\n"
        "  transform.structured.vectorize %r{0}#0 : !transform.any_op\n",
        i, joined(t), t[0], t[1], t.size() - 1, joined(reductionTiles), loopTypes);
    ++i;
  }
  // The vectorizer emits broadcasting reads + mulf + multi_reduction. As a
  // vector.contract over plain [M, K] and [K, N] reads it lowers to
  // broadcast FMAs; the broadcasts fold into the contraction only once the
  // permuted reads are split (hence three pattern sets, one after another).
  s += "  %funcs = transform.structured.match ops{[\"func.func\"]} in %root : "
       "(!transform.any_op) -> !transform.any_op\n"
       "  transform.apply_patterns to %funcs {\n"
       "    transform.apply_patterns.vector.reduction_to_contract\n"
       "  } : !transform.any_op\n"
       "  transform.apply_patterns to %funcs {\n"
       "    transform.apply_patterns.vector.transfer_permutation_patterns\n"
       "  } : !transform.any_op\n"
       "  transform.apply_patterns to %funcs {\n"
       "    transform.apply_patterns.vector.reduction_to_contract\n"
       "    transform.apply_patterns.canonicalization\n"
       "    transform.apply_patterns.tensor.fold_tensor_subset_ops_into_vector_transfers\n"
       "  } : !transform.any_op\n";
  s += cnnc::kScheduleCleanupAndEnd;
  return s;
}

struct TileMatmulsPass : cnnc::impl::TileMatmulsPassBase<TileMatmulsPass> {
  using TileMatmulsPassBase::TileMatmulsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Several reduction loops that every operand lays out contiguously (a
    // flatten folded into a dense layer: [1, C, H, W] x [C, H, W, N]) become
    // one, so that the vectorized step is long and the loop nest shallow.
    SmallVector<linalg::GenericOp> collapsible;
    module.walk([&](linalg::GenericOp op) {
      if (isMatmulLike(op) && op.getNumReductionLoops() > 1) {
        ReassociationIndices reduction =
            llvm::to_vector(llvm::seq<int64_t>(2, op.getNumLoops()));
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

    llvm::SetVector<SmallVector<int64_t>> configs;
    module.walk([&](linalg::LinalgOp op) {
      if (!isMatmulLike(op))
        return;
      auto tiles = chooseMatmulTiles(op);
      op->setAttr("cnn.tile", DenseI64ArrayAttr::get(&getContext(), tiles));
      configs.insert(tiles);
    });
    if (!enable || configs.empty())
      return;
    SmallVector<SmallVector<int64_t>> list(configs.begin(), configs.end());
    std::string text = buildSchedule(list);
    if (failed(cnnc::applyGeneratedSchedule(module, text, "cnnc-tile-matmuls")))
      return signalPassFailure();
  }
};

} // namespace
