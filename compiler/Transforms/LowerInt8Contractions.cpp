//===- LowerInt8Contractions.cpp - int8 contractions as dot products ------===//
//
// A register block's contraction over i8 operands (a conv of
// cnnc-quantize-convs-to-int8, vectorized: lhs [pixels, K], rhs [K, N], i32
// accumulators [pixels, N]) becomes AVX512_VNNI dot products (`vpdpbusd`:
// each i32 lane adds the products of four u8 x s8 pairs), four reduction
// steps per instruction where the outer-product lowering spends four
// multiplies and adds on widened values. Per quad of reduction rows, each
// L-lane slice of the rhs holds each column's four rows adjacent (read so
// from the filter's quads, else interleaved by shuffles) and serves every
// pixel; each pixel's four lhs values are one 32-bit word broadcast to all
// lanes. L is the widest of 16, 8, 4 lanes dividing N.
//
// `vpdpbusd` reads the lhs as unsigned: rewritten only where the caller
// says every lhs value is non-negative (an i8 in [0, 127] is the same byte
// as that u8), as cnnc's int8 pipeline does.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/PairedFilter.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cnnc {
#define GEN_PASS_DEF_LOWERINT8CONTRACTIONSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;
using namespace cnnc::paired_filter;

namespace {

/// `v` as i8: itself, or the source of its sign extension.
Value i8Source(Value v) {
  if (auto ext = v.getDefiningOp<arith::ExtSIOp>())
    v = ext.getIn();
  auto type = dyn_cast<VectorType>(v.getType());
  return type && type.getElementType().isInteger(8) ? v : Value();
}

/// Columns j*L .. j*L+L-1 of rows 4q .. 4q+3 of `rhs` ([K, N] i8), each
/// column's four rows adjacent: two rounds of interleaving shuffles.
Value shuffledQuads(OpBuilder &b, Location loc, Value rhs, int64_t q, int64_t j, int64_t n,
                    int64_t lanes) {
  Value rows[4];
  for (int64_t r = 0; r < 4; ++r)
    rows[r] = vector::ExtractOp::create(b, loc, rhs, ArrayRef<int64_t>{4 * q + r});
  SmallVector<int64_t> pairMask;
  for (int64_t i = 0; i < lanes; ++i) {
    pairMask.push_back(j * lanes + i);
    pairMask.push_back(n + j * lanes + i);
  }
  Value low = vector::ShuffleOp::create(b, loc, rows[0], rows[1], pairMask);
  Value high = vector::ShuffleOp::create(b, loc, rows[2], rows[3], pairMask);
  SmallVector<int64_t> quadMask;
  for (int64_t i = 0; i < lanes; ++i)
    for (int64_t e : {2 * i, 2 * i + 1, 2 * lanes + 2 * i, 2 * lanes + 2 * i + 1})
      quadMask.push_back(e);
  return vector::ShuffleOp::create(b, loc, low, high, quadMask);
}

struct ContractionToVnniDots : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp contract,
                                PatternRewriter &rewriter) const override {
    Value lhs = i8Source(contract.getLhs()), rhs = i8Source(contract.getRhs());
    auto accType = dyn_cast<VectorType>(contract.getAccType());
    if (!lhs || !rhs || !accType || !accType.getElementType().isInteger(32))
      return rewriter.notifyMatchFailure(contract, "not an i32-accumulated i8 contraction");
    std::optional<BlockContraction> block = matchBlockContraction(contract);
    if (!block)
      return rewriter.notifyMatchFailure(contract, "not a [pixels, K] x [K, N] sum");
    int64_t n = block->n, kSize = block->k;
    int64_t lanes = n % 16 == 0 ? 16 : n % 8 == 0 ? 8 : n % 4 == 0 ? 4 : 0;
    if (lanes == 0 || kSize % 4 != 0)
      return rewriter.notifyMatchFailure(contract, "no K multiple of 4 or lane count dividing N");

    Location loc = contract.getLoc();
    Type i32 = rewriter.getI32Type();
    auto sliceType = VectorType::get({lanes}, i32);
    auto quadsType = VectorType::get({4 * lanes}, rewriter.getI8Type());
    StringAttr intrinsic = rewriter.getStringAttr(
        "llvm.x86.avx512.vpdpbusd." + std::to_string(32 * lanes));
    std::optional<GroupedRows> quads = traceGroupedRows(rewriter, loc, rhs, n);
    auto rhsQuads = [&](int64_t q) {
      SmallVector<Value> slices;
      if (quads)
        slices = readGroupedRows(rewriter, loc, *quads, q, n, lanes);
      else
        for (int64_t j = 0; j < n / lanes; ++j)
          slices.push_back(shuffledQuads(rewriter, loc, rhs, q, j, n, lanes));
      return slices;
    };
    SmallVector<Value> acc = accumulatorSlices(rewriter, loc, contract.getAcc(), *block, lanes);
    // Each pixel's lhs row as K/4 words, one per quad.
    SmallVector<Value> lhsWords;
    for (int64_t p = 0; p < block->pixels; ++p)
      lhsWords.push_back(vector::BitCastOp::create(
          rewriter, loc, VectorType::get({kSize / 4}, i32),
          vector::ExtractOp::create(rewriter, loc, lhs, block->position(p))));
    for (int64_t q = 0; q < kSize / 4; ++q) {
      SmallVector<Value> slices = rhsQuads(q);
      for (int64_t p = 0; p < block->pixels; ++p) {
        Value word = vector::ExtractOp::create(rewriter, loc, lhsWords[p], ArrayRef<int64_t>{q});
        Value splat = vector::BitCastOp::create(
            rewriter, loc, quadsType,
            vector::BroadcastOp::create(rewriter, loc, sliceType, word));
        for (int64_t j = 0; j < n / lanes; ++j) {
          Value &a = acc[p * (n / lanes) + j];
          a = LLVM::CallIntrinsicOp::create(rewriter, loc, sliceType, intrinsic,
                                            ValueRange{a, splat, slices[j]})
                  .getResult(0);
        }
      }
    }
    rewriter.replaceOp(contract, joinAccumulatorSlices(rewriter, loc, contract.getAcc(), acc,
                                                       *block, lanes));
    return success();
  }
};

struct LowerInt8ContractionsPass
    : cnnc::impl::LowerInt8ContractionsPassBase<LowerInt8ContractionsPass> {
  using LowerInt8ContractionsPassBase::LowerInt8ContractionsPassBase;

  void runOnOperation() override {
    if (!nonnegativeLhs)
      return;
    RewritePatternSet patterns(&getContext());
    patterns.add<ContractionToVnniDots>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
