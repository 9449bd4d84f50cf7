//===- Elementwise.cpp - activations, add/mul, dropout, softmax ------------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"
#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "Cnn/CnnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace cnnc::lowering;

namespace {

using ScalarFn = Value (*)(OpBuilder &, Location, ValueRange);

template <typename OpTy, ScalarFn fn>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpConversionPattern<OpTy>::OpAdaptor;

  LogicalResult matchAndRewrite(OpTy op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto shape = cast<RankedTensorType>(op.getOutput().getType()).getShape();
    Value y = elementwise(rewriter, op.getLoc(), adaptor.getOperands(), shape, fn);
    rewriter.replaceOp(op, y);
    return success();
  }
};

Value relu(OpBuilder &b, Location l, ValueRange a) {
  return arith::MaximumFOp::create(b, l, a[0], f32Constant(b, l, 0.0f));
}
Value relu6(OpBuilder &b, Location l, ValueRange a) {
  Value r = arith::MaximumFOp::create(b, l, a[0], f32Constant(b, l, 0.0f));
  return arith::MinimumFOp::create(b, l, r, f32Constant(b, l, 6.0f));
}
Value sigmoid(OpBuilder &b, Location l, ValueRange a) {
  Value negX = arith::NegFOp::create(b, l, a[0]);
  Value e = math::ExpOp::create(b, l, negX);
  Value one = f32Constant(b, l, 1.0f);
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, e));
}
Value tanhFn(OpBuilder &b, Location l, ValueRange a) { return math::TanhOp::create(b, l, a[0]); }
Value addFn(OpBuilder &b, Location l, ValueRange a) {
  return arith::AddFOp::create(b, l, a[0], a[1]);
}
Value mulFn(OpBuilder &b, Location l, ValueRange a) {
  return arith::MulFOp::create(b, l, a[0], a[1]);
}

struct DropoutLowering : OpConversionPattern<cnn::DropoutOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::DropoutOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput()); // identity at inference
    return success();
  }
};

/// Stable softmax: y = exp(x - max) / sum(exp(x - max)) along `axis`.
struct SoftmaxLowering : OpConversionPattern<cnn::SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(cnn::SoftmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto shape = op.getInput().getType().getShape();
    int64_t rank = shape.size(), axis = op.getAxis();
    auto *ctx = rewriter.getContext();
    SmallVector<int64_t> reducedShape;
    SmallVector<AffineExpr> reducedExprs;
    for (int64_t i = 0; i < rank; ++i)
      if (i != axis) {
        reducedShape.push_back(shape[i]);
        reducedExprs.push_back(getAffineDimExpr(i, ctx));
      }
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap reduced = AffineMap::get(rank, 0, reducedExprs, ctx);
    SmallVector<utils::IteratorType> reduceIters(rank, utils::IteratorType::parallel);
    reduceIters[axis] = utils::IteratorType::reduction;
    SmallVector<utils::IteratorType> parIters(rank, utils::IteratorType::parallel);

    auto reduce = [&](Value in, float init, auto combine) {
      Value acc = filledTensor(rewriter, loc, reducedShape, init);
      return linalg::GenericOp::create(rewriter, loc, TypeRange{acc.getType()}, ValueRange{in},
                                       ValueRange{acc}, SmallVector<AffineMap>{identity, reduced},
                                       reduceIters, "", "",
                                       [&](OpBuilder &b, Location l, ValueRange a) {
                                         linalg::YieldOp::create(b, l, combine(b, l, a[0], a[1]));
                                       })
          .getResult(0);
    };
    auto map2 = [&](Value full, Value red, auto fn) {
      Value init = emptyTensor(rewriter, loc, shape);
      return linalg::GenericOp::create(rewriter, loc, TypeRange{init.getType()},
                                       ValueRange{full, red}, ValueRange{init},
                                       SmallVector<AffineMap>{identity, reduced, identity},
                                       parIters, "", "",
                                       [&](OpBuilder &b, Location l, ValueRange a) {
                                         linalg::YieldOp::create(b, l, fn(b, l, a[0], a[1]));
                                       })
          .getResult(0);
    };
    Value x = adaptor.getInput();
    Value mx = reduce(x, -std::numeric_limits<float>::infinity(),
                      [](OpBuilder &b, Location l, Value v, Value acc) -> Value {
                        return arith::MaximumFOp::create(b, l, v, acc);
                      });
    Value e = map2(x, mx, [](OpBuilder &b, Location l, Value v, Value m) -> Value {
      return math::ExpOp::create(b, l, arith::SubFOp::create(b, l, v, m));
    });
    Value s = reduce(e, 0.0f, [](OpBuilder &b, Location l, Value v, Value acc) -> Value {
      return arith::AddFOp::create(b, l, v, acc);
    });
    Value y = map2(e, s, [](OpBuilder &b, Location l, Value v, Value sum) -> Value {
      return arith::DivFOp::create(b, l, v, sum);
    });
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void cnnc::populateElementwiseLoweringPatterns(RewritePatternSet &patterns) {
  auto *ctx = patterns.getContext();
  patterns.add<ElementwiseLowering<cnn::ReluOp, relu>, ElementwiseLowering<cnn::Relu6Op, relu6>,
               ElementwiseLowering<cnn::SigmoidOp, sigmoid>,
               ElementwiseLowering<cnn::TanhOp, tanhFn>, ElementwiseLowering<cnn::AddOp, addFn>,
               ElementwiseLowering<cnn::MulOp, mulFn>, DropoutLowering, SoftmaxLowering>(ctx);
}
