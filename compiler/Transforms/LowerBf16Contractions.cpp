//===- LowerBf16Contractions.cpp - bf16 contractions as dot products ------===//
//
// A register block's contraction over bf16 operands (a conv of
// cnnc-demote-convs-to-bf16, vectorized: lhs [pixels, K], rhs [K, N], f32
// accumulators [pixels, N]) becomes AVX512_BF16 dot products
// (`vdpbf16ps`: each f32 lane adds the products of one pair of bf16s),
// two reduction steps per instruction where the outer-product lowering
// spends two FMAs. Per pair of reduction rows, each L-lane slice of the rhs
// is interleaved once (row k's lane i beside row k+1's) and serves every
// pixel; each pixel's pair of lhs values is one 32-bit word broadcast to
// all lanes. L is the widest of 16, 8, 4 lanes dividing N.
//
// Where the rhs rows are read from a filter prepared as pairs (the layout
// view of cnnc-demote-convs-to-bf16), each pair of rows is read from the
// pairs instead, already interleaved: no shuffle (its index vectors took
// two of the 32 registers from a 28-accumulator block, which spilled:
// ResNet-18 at batch 8 1.31x slower).
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/PairedFilter.h"

#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cnnc {
#define GEN_PASS_DEF_LOWERBF16CONTRACTIONSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;
using namespace cnnc::paired_filter;

namespace {

struct ContractionToBf16Dots : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp contract,
                                PatternRewriter &rewriter) const override {
    Type bf16 = rewriter.getBF16Type();
    std::optional<NarrowBlockContraction> match = matchNarrowBlockContraction(
        contract, bf16, rewriter.getF32Type(), /*group=*/2, /*maxLanes=*/16);
    if (!match)
      return rewriter.notifyMatchFailure(
          contract, "not an f32-accumulated bf16 block with even K and lanes dividing N");
    Value lhs = match->lhs, rhs = match->rhs;
    const BlockContraction *block = &match->block;
    int64_t n = block->n, pixels = block->pixels, kSize = block->k, lanes = match->lanes;

    Location loc = contract.getLoc();
    Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();
    auto pairType = VectorType::get({2 * lanes}, bf16);
    auto sliceType = VectorType::get({lanes}, f32);
    // Rows 2q and 2q+1 of each rhs slice, interleaved lane by lane: read so
    // from a filter prepared as pairs, else shuffled.
    std::optional<GroupedRows> paired = traceGroupedRows(rewriter, loc, rhs, n);
    auto rhsPairs = [&](int64_t q) {
      if (paired)
        return readGroupedRows(rewriter, loc, *paired, q, n, lanes);
      Value rows[2];
      for (int64_t r = 0; r < 2; ++r)
        rows[r] = vector::ExtractOp::create(rewriter, loc, rhs, ArrayRef<int64_t>{2 * q + r});
      SmallVector<Value> pairs;
      for (int64_t j = 0; j < n / lanes; ++j) {
        SmallVector<int64_t> mask;
        for (int64_t i = 0; i < lanes; ++i) {
          mask.push_back(j * lanes + i);
          mask.push_back(n + j * lanes + i);
        }
        pairs.push_back(vector::ShuffleOp::create(rewriter, loc, rows[0], rows[1], mask));
      }
      return pairs;
    };
    SmallVector<Value> acc = accumulatorSlices(rewriter, loc, contract.getAcc(), *block, lanes);
    // Each pixel's lhs row as K/2 words, one per pair.
    SmallVector<Value> lhsWords;
    for (int64_t p = 0; p < pixels; ++p)
      lhsWords.push_back(vector::BitCastOp::create(
          rewriter, loc, VectorType::get({kSize / 2}, i32),
          vector::ExtractOp::create(rewriter, loc, lhs, block->position(p))));
    for (int64_t q = 0; q < kSize / 2; ++q) {
      SmallVector<Value> pairs = rhsPairs(q);
      for (int64_t p = 0; p < pixels; ++p) {
        Value scalar =
            vector::ExtractOp::create(rewriter, loc, lhsWords[p], ArrayRef<int64_t>{q});
        Value splat =
            vector::BroadcastOp::create(rewriter, loc, VectorType::get({lanes}, i32), scalar);
        Value lhsPair = vector::BitCastOp::create(rewriter, loc, pairType, splat);
        for (int64_t j = 0; j < n / lanes; ++j) {
          Value &a = acc[p * (n / lanes) + j];
          a = x86vector::DotBF16Op::create(rewriter, loc, sliceType, a, lhsPair, pairs[j]);
        }
      }
    }
    rewriter.replaceOp(contract, joinAccumulatorSlices(rewriter, loc, contract.getAcc(), acc,
                                                       *block, lanes));
    return success();
  }
};

struct LowerBf16ContractionsPass
    : cnnc::impl::LowerBf16ContractionsPassBase<LowerBf16ContractionsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ContractionToBf16Dots>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
