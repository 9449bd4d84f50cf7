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

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/PairedFilter.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"

#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <numeric>

namespace cnnc {
#define GEN_PASS_DEF_LOWERBF16CONTRACTIONSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// `v` as bf16: itself, or the source of its extension to f32.
Value bf16Source(Value v) {
  if (auto ext = v.getDefiningOp<arith::ExtFOp>())
    v = ext.getIn();
  auto type = dyn_cast<VectorType>(v.getType());
  return type && type.getElementType().isBF16() ? v : Value();
}

/// The largest number `v` is known to be a multiple of (0 when it is 0):
/// constants, loop induction variables (their start and step), sums,
/// products and affine maps of those.
int64_t knownDivisor(Value v);

int64_t knownDivisor(OpFoldResult v) {
  if (auto attr = dyn_cast<Attribute>(v))
    return std::abs(cast<IntegerAttr>(attr).getInt());
  return knownDivisor(cast<Value>(v));
}

int64_t knownDivisor(Value v) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return std::abs(*c);
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    Operation *owner = arg.getOwner()->getParentOp();
    if (auto loop = dyn_cast<scf::ForOp>(owner); loop && loop.getInductionVar() == arg)
      return std::gcd(knownDivisor(loop.getLowerBound()), knownDivisor(loop.getStep()));
    if (auto forall = dyn_cast<scf::ForallOp>(owner))
      for (auto [i, iv] : llvm::enumerate(forall.getInductionVars()))
        if (iv == arg)
          return std::gcd(knownDivisor(forall.getMixedLowerBound()[i]),
                          knownDivisor(forall.getMixedStep()[i]));
    return 1;
  }
  if (auto add = v.getDefiningOp<arith::AddIOp>())
    return std::gcd(knownDivisor(add.getLhs()), knownDivisor(add.getRhs()));
  if (auto mul = v.getDefiningOp<arith::MulIOp>())
    return knownDivisor(mul.getLhs()) * knownDivisor(mul.getRhs());
  if (auto apply = v.getDefiningOp<affine::AffineApplyOp>()) {
    AffineMap map = apply.getAffineMap();
    MLIRContext *ctx = v.getContext();
    SmallVector<AffineExpr> dims, symbols;
    for (auto [i, operand] : llvm::enumerate(apply.getMapOperands())) {
      int64_t m = knownDivisor(operand);
      bool isDim = i < map.getNumDims();
      AffineExpr e = isDim ? getAffineDimExpr(i, ctx)
                           : getAffineSymbolExpr(i - map.getNumDims(), ctx);
      (isDim ? dims : symbols).push_back(m == 0 ? getAffineConstantExpr(0, ctx) : e * m);
    }
    AffineExpr e = map.getResult(0).replaceDimsAndSymbols(dims, symbols);
    if (auto c = dyn_cast<AffineConstantExpr>(e))
      return std::abs(c.getValue());
    return e.getLargestKnownDivisor();
  }
  return 1;
}

/// The filter prepared as bf16 pairs that `rhs` (a [K, N] block of an
/// HWCF filter: rows c.., channels f..) is a transfer_read of, through
/// slices and the layout view of cnnc-demote-convs-to-bf16, with the
/// block's (kh, kw, c, f) in the view's coordinates; nullopt if it is not,
/// or if c is not known even or f not known to be a multiple of N inside
/// one block of pairs.
struct PairedRows {
  Value paired; // [F/B, KH, KW, C/2, B, 2]
  SmallVector<OpFoldResult> indices;
};

std::optional<PairedRows> tracePairedRows(RewriterBase &rewriter, Location loc, Value rhs,
                                          int64_t n) {
  while (auto extract = rhs.getDefiningOp<vector::ExtractOp>()) {
    if (extract.hasDynamicPosition() ||
        !llvm::all_of(extract.getStaticPosition(), [](int64_t p) { return p == 0; }))
      return std::nullopt;
    rhs = extract.getSource();
  }
  auto read = rhs.getDefiningOp<vector::TransferReadOp>();
  if (!read || read.getMask() || read.hasOutOfBoundsDim() ||
      !read.getPermutationMap().isMinorIdentity() || read.getShapedType().getRank() != 4 ||
      read.getVectorType().getRank() < 2)
    return std::nullopt;
  SmallVector<OpFoldResult> indices = getAsOpFoldResult(read.getIndices());
  // Of c and f: what each is known to be a multiple of.
  int64_t cDivisor = knownDivisor(indices[2]), fDivisor = knownDivisor(indices[3]);
  Value source = read.getBase();
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr s0 = getAffineSymbolExpr(0, ctx), s1 = getAffineSymbolExpr(1, ctx),
             s2 = getAffineSymbolExpr(2, ctx);
  while (auto slice = source.getDefiningOp<tensor::ExtractSliceOp>()) {
    if (slice.getSourceType().getRank() != 4 || slice.getType().getRank() != 4)
      return std::nullopt;
    SmallVector<OpFoldResult> offsets = slice.getMixedOffsets(), strides = slice.getMixedStrides();
    if (!isOneInteger(strides[2]) || !isOneInteger(strides[3]))
      return std::nullopt;
    for (int64_t d = 0; d < 4; ++d)
      indices[d] = affine::makeComposedFoldedAffineApply(rewriter, loc, s0 + s1 * s2,
                                                         {offsets[d], indices[d], strides[d]});
    cDivisor = std::gcd(cDivisor, knownDivisor(offsets[2]));
    fDivisor = std::gcd(fDivisor, knownDivisor(offsets[3]));
    source = slice.getSource();
  }
  auto collapse = source.getDefiningOp<tensor::CollapseShapeOp>();
  auto view = collapse ? collapse.getSrc().getDefiningOp<linalg::TransposeOp>()
                       : linalg::TransposeOp();
  if (!view || !view->hasAttr(mlir::cnn::attr_names::kLayoutView) ||
      view.getPermutation() != ArrayRef<int64_t>(cnnc::paired_filter::kViewPermutation) ||
      collapse.getReassociationIndices() != cnnc::paired_filter::viewReassociation())
    return std::nullopt;
  Value paired = view.getInput();
  int64_t block = cast<RankedTensorType>(paired.getType()).getDimSize(4);
  if (cDivisor % 2 != 0 || fDivisor % n != 0 || block % n != 0)
    return std::nullopt;
  return PairedRows{paired, indices};
}

/// Rows 2q and 2q+1 of the rhs block, interleaved, per L-lane slice of N:
/// read from the pairs at [f / B, kh, kw, c / 2 + q, f % B, 0].
SmallVector<Value> readPairedRows(RewriterBase &rewriter, Location loc, const PairedRows &rows,
                                  int64_t q, int64_t n, int64_t lanes) {
  auto pairedType = cast<RankedTensorType>(rows.paired.getType());
  int64_t block = pairedType.getDimSize(4);
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx);
  auto apply = [&](AffineExpr e, OpFoldResult x) {
    return getValueOrCreateConstantIndexOp(
        rewriter, loc, affine::makeComposedFoldedAffineApply(rewriter, loc, e, {x}));
  };
  const SmallVector<OpFoldResult> &at = rows.indices;
  // One 1-D read of the N pairs, from the pairs' last two dims as one (a
  // 2-D read is unrolled into N reads of two elements).
  Value pairsRows;
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfterValue(rows.paired);
    pairsRows = tensor::CollapseShapeOp::create(
        rewriter, loc, rows.paired, SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3}, {4, 5}});
  }
  SmallVector<Value> indices = {
      apply(d0.floorDiv(block), at[3]), getValueOrCreateConstantIndexOp(rewriter, loc, at[0]),
      getValueOrCreateConstantIndexOp(rewriter, loc, at[1]), apply(d0.floorDiv(2) + q, at[2]),
      apply((d0 % block) * 2, at[3])};
  Type bf16 = rewriter.getBF16Type();
  Value padding = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(bf16));
  Value flat = vector::TransferReadOp::create(
      rewriter, loc, VectorType::get({2 * n}, bf16), pairsRows, indices, padding,
      AffineMap::getMinorIdentityMap(5, 1, ctx), ArrayRef<bool>{true});
  SmallVector<Value> slices;
  for (int64_t j = 0; j < n / lanes; ++j)
    slices.push_back(vector::ExtractStridedSliceOp::create(
        rewriter, loc, flat, ArrayRef<int64_t>{2 * lanes * j}, ArrayRef<int64_t>{2 * lanes},
        ArrayRef<int64_t>{1}));
  return slices;
}

struct ContractionToBf16Dots : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp contract,
                                PatternRewriter &rewriter) const override {
    Value lhs = bf16Source(contract.getLhs()), rhs = bf16Source(contract.getRhs());
    auto accType = dyn_cast<VectorType>(contract.getAccType());
    if (!lhs || !rhs || !accType || !accType.getElementType().isF32() ||
        contract.getKind() != vector::CombiningKind::ADD ||
        isa<vector::MaskOp>(contract->getParentOp()))
      return rewriter.notifyMatchFailure(contract, "not an f32-accumulated bf16 contraction");
    // Maps: acc (p..., n) in loop order, lhs (p..., k), rhs (k, n).
    SmallVector<AffineMap> maps = contract.getIndexingMapsArray();
    AffineMap lhsMap = maps[0], rhsMap = maps[1], accMap = maps[2];
    unsigned rank = accMap.getNumResults();
    if (rank < 1 || lhsMap.getNumResults() != rank || rhsMap.getNumResults() != 2 ||
        accMap.getNumDims() != rank + 1)
      return rewriter.notifyMatchFailure(contract, "not a [pixels, K] x [K, N] contraction");
    AffineExpr k = getAffineDimExpr(rank, getContext());
    for (unsigned i = 0; i < rank; ++i)
      if (accMap.getResult(i) != getAffineDimExpr(i, getContext()))
        return rewriter.notifyMatchFailure(contract, "accumulator not in loop order");
    for (unsigned i = 0; i + 1 < rank; ++i)
      if (lhsMap.getResult(i) != accMap.getResult(i))
        return rewriter.notifyMatchFailure(contract, "lhs is not [pixels, K]");
    if (lhsMap.getResult(rank - 1) != k || rhsMap.getResult(0) != k ||
        rhsMap.getResult(1) != accMap.getResult(rank - 1))
      return rewriter.notifyMatchFailure(contract, "rhs is not [K, N]");

    ArrayRef<int64_t> accShape = accType.getShape();
    int64_t n = accShape.back(), pixels = accType.getNumElements() / n;
    int64_t kSize = cast<VectorType>(rhs.getType()).getDimSize(0);
    int64_t lanes = n % 16 == 0 ? 16 : n % 8 == 0 ? 8 : n % 4 == 0 ? 4 : 0;
    if (lanes == 0 || kSize % 2 != 0)
      return rewriter.notifyMatchFailure(contract, "no even K or lane count dividing N");

    // Rows (the innermost dim) are taken and put back whole: n-D vectors
    // lower to arrays of rows, so this moves no data (a flattened
    // accumulator made LLVM shuffle and spill the whole block).
    Location loc = contract.getLoc();
    Type bf16 = rewriter.getBF16Type(), f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();
    ArrayRef<int64_t> leading = accShape.drop_back();
    auto position = [&](int64_t p) {
      SmallVector<int64_t> pos(leading.size());
      for (int64_t d = leading.size() - 1; d >= 0; --d) {
        pos[d] = p % leading[d];
        p /= leading[d];
      }
      return pos;
    };
    auto pairType = VectorType::get({2 * lanes}, bf16);
    auto sliceType = VectorType::get({lanes}, f32);
    // Rows 2q and 2q+1 of each rhs slice, interleaved lane by lane: read so
    // from a filter prepared as pairs, else shuffled.
    std::optional<PairedRows> paired = tracePairedRows(rewriter, loc, rhs, n);
    auto rhsPairs = [&](int64_t q) {
      if (paired)
        return readPairedRows(rewriter, loc, *paired, q, n, lanes);
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
    SmallVector<Value> acc;
    for (int64_t p = 0; p < pixels; ++p) {
      Value row = vector::ExtractOp::create(rewriter, loc, contract.getAcc(), position(p));
      for (int64_t j = 0; j < n / lanes; ++j)
        acc.push_back(vector::ExtractStridedSliceOp::create(
            rewriter, loc, row, ArrayRef<int64_t>{j * lanes}, ArrayRef<int64_t>{lanes},
            ArrayRef<int64_t>{1}));
    }
    // Each pixel's lhs row as K/2 words, one per pair.
    SmallVector<Value> lhsWords;
    for (int64_t p = 0; p < pixels; ++p)
      lhsWords.push_back(vector::BitCastOp::create(
          rewriter, loc, VectorType::get({kSize / 2}, i32),
          vector::ExtractOp::create(rewriter, loc, lhs, position(p))));
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
    Value result = contract.getAcc();
    for (int64_t p = 0; p < pixels; ++p) {
      Value row = vector::ExtractOp::create(rewriter, loc, result, position(p));
      for (int64_t j = 0; j < n / lanes; ++j)
        row = vector::InsertStridedSliceOp::create(rewriter, loc, acc[p * (n / lanes) + j], row,
                                                   ArrayRef<int64_t>{j * lanes},
                                                   ArrayRef<int64_t>{1});
      result = vector::InsertOp::create(rewriter, loc, row, result, position(p));
    }
    rewriter.replaceOp(contract, result);
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
