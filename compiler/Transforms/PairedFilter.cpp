//===- PairedFilter.cpp - filter layouts of channel pairs and quads -------===//

#include "Transforms/PairedFilter.h"

#include "Cnn/CnnAttrNames.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <numeric>

using namespace mlir;

Value cnnc::paired_filter::groupedFilter(
    OpBuilder &b, Location loc, Value w, int64_t group, Type elementType, Value perChannel,
    function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(w.getType());
  int64_t kh = type.getDimSize(0), kw = type.getDimSize(1), c = type.getDimSize(2),
          f = type.getDimSize(3);
  int64_t block = f % 64 == 0 ? 64 : f;
  // [KH, KW, C, F] as [KH, KW, C/G, G, F/B, B].
  auto splitType = RankedTensorType::get({kh, kw, c / group, group, f / block, block},
                                         type.getElementType());
  Value split = tensor::ExpandShapeOp::create(b, loc, splitType, w, viewReassociation());
  // P[o, kh, kw, cg, j, v] = body(split[kh, kw, cg, v, o, j], perChannel[o * B + j]).
  SmallVector<int64_t> groupedShape = {f / block, kh, kw, c / group, block, group};
  Value init = tensor::EmptyOp::create(b, loc, groupedShape, elementType);
  MLIRContext *ctx = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<Value> inputs = {split};
  SmallVector<AffineMap> maps = {AffineMap::get(6, 0, {d(1), d(2), d(3), d(5), d(0), d(4)}, ctx)};
  if (perChannel) {
    Type channelType = cast<RankedTensorType>(perChannel.getType()).getElementType();
    auto blocked = RankedTensorType::get({f / block, block}, channelType);
    inputs.push_back(tensor::ExpandShapeOp::create(b, loc, blocked, perChannel,
                                                   SmallVector<ReassociationIndices>{{0, 1}}));
    maps.push_back(AffineMap::get(6, 0, {d(0), d(4)}, ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(6));
  SmallVector<utils::IteratorType> iters(6, utils::IteratorType::parallel);
  Value grouped = linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, inputs,
                                            ValueRange{init}, maps, iters, body)
                      .getResult(0);
  // The view: P transposed to [KH, KW, C/G, G, F/B, B], collapsed to HWCF.
  Value viewInit = tensor::EmptyOp::create(b, loc, splitType.getShape(), elementType);
  auto view = linalg::TransposeOp::create(b, loc, grouped, viewInit, kViewPermutation);
  view->setAttr(mlir::cnn::attr_names::kLayoutView, b.getUnitAttr());
  return tensor::CollapseShapeOp::create(b, loc, view.getResult()[0], viewReassociation());
}

namespace cnnc::paired_filter {

static int64_t knownDivisor(OpFoldResult v) {
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

std::optional<GroupedRows> traceGroupedRows(RewriterBase &rewriter, Location loc, Value rhs,
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
      view.getPermutation() != ArrayRef<int64_t>(kViewPermutation) ||
      collapse.getReassociationIndices() != viewReassociation())
    return std::nullopt;
  Value grouped = view.getInput();
  auto groupedType = cast<RankedTensorType>(grouped.getType());
  int64_t block = groupedType.getDimSize(4), group = groupedType.getDimSize(5);
  if (cDivisor % group != 0 || fDivisor % n != 0 || block % n != 0)
    return std::nullopt;
  return GroupedRows{grouped, indices};
}

SmallVector<Value> readGroupedRows(RewriterBase &rewriter, Location loc, const GroupedRows &rows,
                                   int64_t q, int64_t n, int64_t lanes) {
  auto groupedType = cast<RankedTensorType>(rows.grouped.getType());
  int64_t block = groupedType.getDimSize(4), group = groupedType.getDimSize(5);
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx);
  auto apply = [&](AffineExpr e, OpFoldResult x) {
    return getValueOrCreateConstantIndexOp(
        rewriter, loc, affine::makeComposedFoldedAffineApply(rewriter, loc, e, {x}));
  };
  const SmallVector<OpFoldResult> &at = rows.indices;
  // One 1-D read of the N groups, from P's last two dims as one (a 2-D
  // read is unrolled into N reads of G elements).
  Value groupRows;
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfterValue(rows.grouped);
    groupRows = tensor::CollapseShapeOp::create(
        rewriter, loc, rows.grouped, SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3}, {4, 5}});
  }
  SmallVector<Value> indices = {
      apply(d0.floorDiv(block), at[3]), getValueOrCreateConstantIndexOp(rewriter, loc, at[0]),
      getValueOrCreateConstantIndexOp(rewriter, loc, at[1]), apply(d0.floorDiv(group) + q, at[2]),
      apply((d0 % block) * group, at[3])};
  Type element = groupedType.getElementType();
  Value padding = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(element));
  Value flat = vector::TransferReadOp::create(
      rewriter, loc, VectorType::get({group * n}, element), groupRows, indices, padding,
      AffineMap::getMinorIdentityMap(5, 1, ctx), ArrayRef<bool>{true});
  SmallVector<Value> slices;
  for (int64_t j = 0; j < n / lanes; ++j)
    slices.push_back(vector::ExtractStridedSliceOp::create(
        rewriter, loc, flat, ArrayRef<int64_t>{group * lanes * j}, ArrayRef<int64_t>{group * lanes},
        ArrayRef<int64_t>{1}));
  return slices;
}

Value narrowOperand(Value v, Type element) {
  if (Operation *def = v.getDefiningOp(); def && isa<arith::ExtFOp, arith::ExtSIOp>(def))
    v = def->getOperand(0);
  auto type = dyn_cast<VectorType>(v.getType());
  return type && type.getElementType() == element ? v : Value();
}

SmallVector<int64_t> BlockContraction::position(int64_t p) const {
  SmallVector<int64_t> pos(leading.size());
  for (int64_t d = leading.size() - 1; d >= 0; --d) {
    pos[d] = p % leading[d];
    p /= leading[d];
  }
  return pos;
}

std::optional<BlockContraction> matchBlockContraction(vector::ContractionOp contract) {
  auto accType = dyn_cast<VectorType>(contract.getAccType());
  auto rhsType = dyn_cast<VectorType>(contract.getRhsType());
  if (!accType || !rhsType || contract.getKind() != vector::CombiningKind::ADD ||
      isa<vector::MaskOp>(contract->getParentOp()))
    return std::nullopt;
  // Maps: acc (p..., n) in loop order, lhs (p..., k), rhs (k, n).
  SmallVector<AffineMap> maps = contract.getIndexingMapsArray();
  AffineMap lhsMap = maps[0], rhsMap = maps[1], accMap = maps[2];
  unsigned rank = accMap.getNumResults();
  if (rank < 1 || lhsMap.getNumResults() != rank || rhsMap.getNumResults() != 2 ||
      accMap.getNumDims() != rank + 1)
    return std::nullopt;
  MLIRContext *ctx = contract.getContext();
  AffineExpr k = getAffineDimExpr(rank, ctx);
  for (unsigned i = 0; i < rank; ++i)
    if (accMap.getResult(i) != getAffineDimExpr(i, ctx))
      return std::nullopt;
  for (unsigned i = 0; i + 1 < rank; ++i)
    if (lhsMap.getResult(i) != accMap.getResult(i))
      return std::nullopt;
  if (lhsMap.getResult(rank - 1) != k || rhsMap.getResult(0) != k ||
      rhsMap.getResult(1) != accMap.getResult(rank - 1))
    return std::nullopt;
  ArrayRef<int64_t> accShape = accType.getShape();
  BlockContraction block;
  block.n = accShape.back();
  block.pixels = accType.getNumElements() / block.n;
  block.k = rhsType.getDimSize(0);
  block.leading.assign(accShape.begin(), accShape.end() - 1);
  return block;
}

std::optional<NarrowBlockContraction>
matchNarrowBlockContraction(vector::ContractionOp contract, Type narrow, Type accElement,
                            int64_t group, int64_t maxLanes) {
  Value lhs = narrowOperand(contract.getLhs(), narrow);
  Value rhs = narrowOperand(contract.getRhs(), narrow);
  auto accType = dyn_cast<VectorType>(contract.getAccType());
  if (!lhs || !rhs || !accType || accType.getElementType() != accElement)
    return std::nullopt;
  std::optional<BlockContraction> block = matchBlockContraction(contract);
  if (!block || block->k % group != 0)
    return std::nullopt;
  for (int64_t lanes : {16, 8, 4})
    if (lanes <= maxLanes && block->n % lanes == 0)
      return NarrowBlockContraction{lhs, rhs, *block, lanes};
  return std::nullopt;
}

SmallVector<Value> accumulatorSlices(OpBuilder &b, Location loc, Value acc,
                                     const BlockContraction &block, int64_t lanes) {
  SmallVector<Value> slices;
  for (int64_t p = 0; p < block.pixels; ++p) {
    Value row = vector::ExtractOp::create(b, loc, acc, block.position(p));
    for (int64_t j = 0; j < block.n / lanes; ++j)
      slices.push_back(vector::ExtractStridedSliceOp::create(
          b, loc, row, ArrayRef<int64_t>{j * lanes}, ArrayRef<int64_t>{lanes},
          ArrayRef<int64_t>{1}));
  }
  return slices;
}

Value joinAccumulatorSlices(OpBuilder &b, Location loc, Value acc, ValueRange slices,
                            const BlockContraction &block, int64_t lanes) {
  for (int64_t p = 0; p < block.pixels; ++p) {
    Value row = vector::ExtractOp::create(b, loc, acc, block.position(p));
    for (int64_t j = 0; j < block.n / lanes; ++j)
      row = vector::InsertStridedSliceOp::create(b, loc, slices[p * (block.n / lanes) + j], row,
                                                 ArrayRef<int64_t>{j * lanes},
                                                 ArrayRef<int64_t>{1});
    acc = vector::InsertOp::create(b, loc, row, acc, block.position(p));
  }
  return acc;
}

} // namespace cnnc::paired_filter
