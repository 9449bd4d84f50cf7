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
// lanes. L is the widest of 16, 8, 4 lanes dividing N that the target's
// vectors hold.
//
// The instruction comes from the target description: `vpdpbusd` with
// AVX512_VNNI (or AVX-VNNI, up to 8 lanes); without VNNI (Zen 3, AVX2
// x86-64) `vpmaddubsw` (u8 x s8 pairs summed into i16: no saturation, for
// 2 * 127 * 127 < 32767), `vpmaddwd` by ones (i16 pairs into i32) and an
// add, as fbgemm's AVX2 kernels do.
//
// `vpdpbusd` reads the lhs as unsigned: rewritten only where the caller
// says every lhs value is non-negative (an i8 in [0, 127] is the same byte
// as that u8), as cnnc's int8 pipeline does.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/PairedFilter.h"

#include "Codegen/CodegenDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cnnc {
#define GEN_PASS_DEF_LOWERINT8CONTRACTIONSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;
using namespace cnnc::paired_filter;

namespace {

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

/// The target's u8 x s8 quad dot product into i32 lanes (see above).
struct QuadDot {
  bool vnni;         // vpdpbusd, else vpmaddubsw + vpmaddwd + add
  int64_t maxLanes;  // the widest slice it takes

  static std::optional<QuadDot> forTarget(codegen::CpuTargetAttr target) {
    int64_t lanes = std::min<int64_t>(target.getLanes(), 16);
    if (target.hasIsa("avx512vnni"))
      return QuadDot{true, lanes};
    if (target.hasIsa("avxvnni"))
      return QuadDot{true, std::min<int64_t>(lanes, 8)};
    if (target.hasIsa("avx512bw") || target.hasIsa("avx2"))
      return QuadDot{false, target.hasIsa("avx512bw") ? lanes : std::min<int64_t>(lanes, 8)};
    return std::nullopt;
  }

  /// acc + the dot products of `a`'s and `b`'s quads (vectors of 4 * L i8).
  Value build(OpBuilder &builder, Location loc, Value acc, Value a, Value b) const {
    auto accType = cast<VectorType>(acc.getType());
    int64_t lanes = accType.getNumElements();
    auto call = [&](Type type, const std::string &name, ValueRange args) {
      return LLVM::CallIntrinsicOp::create(builder, loc, type, builder.getStringAttr(name), args)
          .getResult(0);
    };
    if (vnni)
      return call(accType, "llvm.x86.avx512.vpdpbusd." + std::to_string(32 * lanes), {acc, a, b});
    auto pairsType = VectorType::get({2 * lanes}, builder.getI16Type());
    const char *maddubs = lanes == 16 ? "llvm.x86.avx512.pmaddubs.w.512"
                          : lanes == 8 ? "llvm.x86.avx2.pmadd.ub.sw"
                                       : "llvm.x86.ssse3.pmadd.ub.sw.128";
    const char *maddwd = lanes == 16 ? "llvm.x86.avx512.pmaddw.d.512"
                         : lanes == 8 ? "llvm.x86.avx2.pmadd.wd"
                                      : "llvm.x86.sse2.pmadd.wd";
    Value pairs = call(pairsType, maddubs, {a, b});
    Value ones = arith::ConstantOp::create(
        builder, loc, DenseElementsAttr::get(pairsType, builder.getI16IntegerAttr(1).getValue()));
    Value quads = call(accType, maddwd, {pairs, ones});
    return arith::AddIOp::create(builder, loc, acc, quads);
  }
};

struct ContractionToQuadDots : OpRewritePattern<vector::ContractionOp> {
  ContractionToQuadDots(MLIRContext *ctx, QuadDot dot)
      : OpRewritePattern(ctx), dot(dot) {}
  QuadDot dot;

  LogicalResult matchAndRewrite(vector::ContractionOp contract,
                                PatternRewriter &rewriter) const override {
    Type i8 = rewriter.getI8Type();
    std::optional<NarrowBlockContraction> match = matchNarrowBlockContraction(
        contract, i8, rewriter.getI32Type(), /*group=*/4, dot.maxLanes);
    if (!match)
      return rewriter.notifyMatchFailure(
          contract, "not an i32-accumulated i8 block with K in quads and lanes dividing N");
    Value lhs = match->lhs, rhs = match->rhs;
    const BlockContraction *block = &match->block;
    int64_t n = block->n, kSize = block->k, lanes = match->lanes;

    Location loc = contract.getLoc();
    Type i32 = rewriter.getI32Type();
    auto sliceType = VectorType::get({lanes}, i32);
    auto quadsType = VectorType::get({4 * lanes}, i8);
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
          a = dot.build(rewriter, loc, a, splat, slices[j]);
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
    codegen::CpuTargetAttr target = codegen::getCpuTarget(getOperation());
    if (!target) {
      getOperation().emitError() << "cnnc-lower-int8-contractions needs the module attribute "
                                 << codegen::CodegenDialect::kTargetAttrName
                                 << " (cnnc sets it; with cnnc-opt run --cnnc-attach-target first)";
      return signalPassFailure();
    }
    std::optional<QuadDot> dot = QuadDot::forTarget(target);
    if (!dot)
      return; // no u8 x s8 dot product: the contractions stay as they are
    RewritePatternSet patterns(&getContext());
    patterns.add<ContractionToQuadDots>(&getContext(), *dot);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
