//===- LoweringUtils.cpp - helpers for the cnn -> linalg patterns ----------===//

#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;

namespace cnnc::lowering {

RankedTensorType f32Tensor(OpBuilder &b, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, b.getF32Type());
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape) {
  return tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
}

Value f32Constant(OpBuilder &b, Location loc, float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, float value) {
  Value init = emptyTensor(b, loc, shape);
  return linalg::FillOp::create(b, loc, ValueRange{f32Constant(b, loc, value)},
                                ValueRange{init})
      .getResult(0);
}

Value transpose(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  // A generic rather than linalg.transpose: elementwise fusion can then fold
  // layout changes into their neighbours (NHWC <-> NCHW round trips between
  // convolutions collapse into the epilogue ops).
  Value init = emptyTensor(b, loc, shape);
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t p : perm)
    exprs.push_back(getAffineDimExpr(p, b.getContext()));
  // Output dim i reads input dim perm[i]: iterate over the input's space.
  SmallVector<AffineExpr> outExprs(rank);
  for (int64_t i = 0; i < rank; ++i)
    outExprs[i] = getAffineDimExpr(perm[i], b.getContext());
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, outExprs, b.getContext())};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, ValueRange{input},
                                   ValueRange{init}, maps, iters, "", "",
                                   [](OpBuilder &nb, Location nloc, ValueRange args) {
                                     linalg::YieldOp::create(nb, nloc, args[0]);
                                   })
      .getResult(0);
}

std::optional<SmallVector<int64_t>> transposePermutation(linalg::GenericOp op) {
  if (!op || op.getNumDpsInputs() != 1 || op.getNumResults() != 1 || !op.isAllParallelLoops() ||
      !op.getMatchingIndexingMap(op.getDpsInputOperand(0)).isIdentity())
    return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  if (!out.isPermutation() || yield.getValues()[0] != op.getBody()->getArgument(0))
    return std::nullopt;
  SmallVector<int64_t> perm;
  for (unsigned i = 0; i < out.getNumResults(); ++i)
    perm.push_back(out.getDimPosition(i));
  return perm;
}

Value paddedNhwc(OpBuilder &b, Location loc, Value nchw, ArrayRef<int64_t> low,
                 ArrayRef<int64_t> high, float value) {
  Value nhwc = transpose(b, loc, nchw, {0, 2, 3, 1});
  return pad(b, loc, nhwc, {0, low[0], low[1], 0}, {0, high[0], high[1], 0}, value);
}

Value pad(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
          ArrayRef<int64_t> high, float value) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < type.getRank(); ++i)
    shape.push_back(type.getDimSize(i) + low[i] + high[i]);
  SmallVector<OpFoldResult> lo, hi;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    lo.push_back(b.getIndexAttr(low[i]));
    hi.push_back(b.getIndexAttr(high[i]));
  }
  return tensor::PadOp::create(b, loc, f32Tensor(b, shape), input, lo, hi,
                               f32Constant(b, loc, value));
}

Value elementwise(OpBuilder &b, Location loc, ValueRange inputs, ArrayRef<int64_t> outShape,
                  llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  int64_t rank = outShape.size();
  SmallVector<AffineMap> maps;
  for (Value in : inputs) {
    auto shape = cast<RankedTensorType>(in.getType()).getShape();
    int64_t offset = rank - (int64_t)shape.size();
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < (int64_t)shape.size(); ++i)
      exprs.push_back(shape[i] == 1 && outShape[offset + i] != 1
                          ? getAffineConstantExpr(0, b.getContext())
                          : getAffineDimExpr(offset + i, b.getContext()));
    maps.push_back(AffineMap::get(rank, 0, exprs, b.getContext()));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = emptyTensor(b, loc, outShape);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters, "", "",
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, r);
      });
  return generic.getResult(0);
}

Value broadcastChannel(OpBuilder &b, Location loc, Value vec, ArrayRef<int64_t> shape,
                       int64_t dim) {
  int64_t rank = shape.size();
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank, 0, {getAffineDimExpr(dim, b.getContext())}, b.getContext()),
      b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = emptyTensor(b, loc, shape);
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, ValueRange{vec},
                                   ValueRange{init}, maps, iters, "", "",
                                   [](OpBuilder &nb, Location nloc, ValueRange args) {
                                     linalg::YieldOp::create(nb, nloc, args[0]);
                                   })
      .getResult(0);
}

Value reshapeTo(OpBuilder &b, Location loc, Value input, RankedTensorType type) {
  auto inType = cast<RankedTensorType>(input.getType());
  if (inType == type)
    return input;
  auto all = [](int64_t rank) {
    ReassociationIndices g;
    for (int64_t i = 0; i < rank; ++i)
      g.push_back(i);
    return SmallVector<ReassociationIndices>{g};
  };
  if (inType.getRank() == 0) // a scalar: the target has only unit dimensions
    return tensor::ExpandShapeOp::create(b, loc, type, input,
                                         ArrayRef<ReassociationIndices>{});
  Value flat = input;
  if (inType.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(b, loc, f32Tensor(b, {inType.getNumElements()}),
                                           input, all(inType.getRank()));
  if (type.getRank() == 1)
    return flat;
  return tensor::ExpandShapeOp::create(b, loc, type, flat, all(type.getRank()));
}

SmallVector<ReassociationIndices> groupDims(int64_t rank, int64_t from, int64_t to) {
  SmallVector<ReassociationIndices> r;
  for (int64_t i = 0; i < rank;) {
    if (i == from) {
      ReassociationIndices g;
      for (int64_t j = from; j < to; ++j)
        g.push_back(j);
      r.push_back(g);
      i = to;
    } else {
      r.push_back({i});
      ++i;
    }
  }
  return r;
}

Value yieldGeneric(OpBuilder &b, Location loc, ValueRange ins, Value init,
                   ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iters,
                   function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, ins, ValueRange{init},
                                   maps, iters, "", "",
                                   [&](OpBuilder &nb, Location nl, ValueRange args) {
                                     linalg::YieldOp::create(nb, nl, body(nb, nl, args));
                                   })
      .getResult(0);
}

Value multiplyAccumulate(OpBuilder &b, Location l, ValueRange a) {
  return arith::AddFOp::create(b, l, a.back(), arith::MulFOp::create(b, l, a[0], a[1]));
}

Value idx(OpBuilder &b, Location l, int64_t v) { return arith::ConstantIndexOp::create(b, l, v); }

} // namespace cnnc::lowering
