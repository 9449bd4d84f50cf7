//===- Elementwise.cpp - activations, add/mul, dropout, softmax ------------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"
#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "Cnn/CnnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
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

/// Scalar f32 arithmetic in a linalg body, briefly written.
struct ScalarMath {
  OpBuilder &b;
  Location l;
  Value c(double v) { return f32Constant(b, l, (float)v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, l, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, l, x, y); }
  Value max(Value x, Value y) { return arith::MaximumFOp::create(b, l, x, y); }
  Value min(Value x, Value y) { return arith::MinimumFOp::create(b, l, x, y); }
  Value gt(Value x, Value y) { return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, y); }
  Value lt(Value x, Value y) { return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, y); }
  Value le(Value x, Value y) { return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLE, x, y); }
  Value select(Value p, Value x, Value y) { return arith::SelectOp::create(b, l, p, x, y); }
};

Value silu(OpBuilder &b, Location l, ValueRange a) {
  return arith::MulFOp::create(b, l, a[0], sigmoid(b, l, a));
}
/// relu6(x + 3) / 6
Value hardsigmoid(OpBuilder &b, Location l, ValueRange a) {
  ScalarMath m{b, l};
  return m.mul(m.min(m.max(m.add(a[0], m.c(3)), m.c(0)), m.c(6)), m.c(1.0 / 6.0));
}
Value hardswish(OpBuilder &b, Location l, ValueRange a) {
  return arith::MulFOp::create(b, l, a[0], hardsigmoid(b, l, a));
}

struct LeakyReluLowering : OpConversionPattern<cnn::LeakyReluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::LeakyReluOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    double slope = op.getNegativeSlope().convertToDouble();
    Value y = elementwise(rewriter, op.getLoc(), adaptor.getOperands(),
                          op.getOutput().getType().getShape(),
                          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                            ScalarMath m{b, l};
                            return m.select(m.gt(a[0], m.c(0)), a[0], m.mul(a[0], m.c(slope)));
                          });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// x Phi(x) exactly (erf; approximated by a polynomial on the CPU,
/// cnnc-approximate-math), or PyTorch's tanh form.
struct GeluLowering : OpConversionPattern<cnn::GeluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::GeluOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    bool tanhForm = op.getApproximate() == "tanh";
    Value y = elementwise(
        rewriter, op.getLoc(), adaptor.getOperands(), op.getOutput().getType().getShape(),
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          ScalarMath m{b, l};
          Value x = a[0], t;
          if (tanhForm) {
            Value inner = m.mul(m.c(M_SQRT2 * M_2_SQRTPI * 0.5),
                                m.add(x, m.mul(m.c(0.044715), m.mul(x, m.mul(x, x)))));
            t = math::TanhOp::create(b, l, inner);
          } else {
            t = math::ErfOp::create(b, l, m.mul(x, m.c(M_SQRT1_2)));
          }
          return m.mul(m.mul(m.c(0.5), x), m.add(m.c(1), t));
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};
Value addFn(OpBuilder &b, Location l, ValueRange a) {
  return arith::AddFOp::create(b, l, a[0], a[1]);
}
Value mulFn(OpBuilder &b, Location l, ValueRange a) {
  return arith::MulFOp::create(b, l, a[0], a[1]);
}

/// Dropout and stochastic depth: the identity at inference.
template <typename OpT>
struct IdentityAtInference : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
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

//===----------------------------------------------------------------------===//
// Elementwise gradients, reductions, reshapes
//===----------------------------------------------------------------------===//

/// The derivative of activation `kind` times the incoming gradient, in
/// PyTorch's formulas (its choices at the kinks included).
Value activationDerivative(ScalarMath &m, StringRef kind, double alpha, Value g, Value v) {
  Value zero = m.c(0), one = m.c(1);
  if (kind == "relu" || kind == "relu6") {
    Value pass = m.gt(v, zero);
    if (kind == "relu6")
      pass = arith::AndIOp::create(m.b, m.l, pass, m.lt(v, m.c(6)));
    return m.select(pass, g, zero);
  }
  if (kind == "sigmoid") // v = y: y (1 - y)
    return m.mul(g, m.mul(v, m.sub(one, v)));
  if (kind == "tanh") // v = y: 1 - y^2
    return m.mul(g, m.sub(one, m.mul(v, v)));
  if (kind == "silu") { // s (1 + x (1 - s)), s = sigmoid(x)
    Value s = sigmoid(m.b, m.l, v);
    return m.mul(g, m.mul(s, m.add(one, m.mul(v, m.sub(one, s)))));
  }
  if (kind == "hardswish") // 0 below -3, x/3 + 1/2 up to 3, 1 above
    return m.select(m.lt(v, m.c(-3)), zero,
                    m.select(m.le(v, m.c(3)), m.mul(g, m.add(m.div(v, m.c(3)), m.c(0.5))), g));
  if (kind == "hardsigmoid") // 1/6 strictly inside (-3, 3)
    return m.select(arith::AndIOp::create(m.b, m.l, m.gt(v, m.c(-3)), m.lt(v, m.c(3))),
                    m.mul(g, m.c(1.0 / 6.0)), zero);
  if (kind == "leaky_relu")
    return m.select(m.gt(v, zero), g, m.mul(g, m.c(alpha)));
  if (kind == "gelu") { // Phi(x) + x phi(x)
    Value cdf = m.mul(m.c(0.5), m.add(one, math::ErfOp::create(m.b, m.l, m.mul(v, m.c(M_SQRT1_2)))));
    Value pdf = m.mul(m.c(0.5 * M_2_SQRTPI * M_SQRT1_2),
                      math::ExpOp::create(m.b, m.l, m.mul(m.c(-0.5), m.mul(v, v))));
    return m.mul(g, m.add(cdf, m.mul(v, pdf)));
  }
  // gelu_tanh: PyTorch's GeluBackward with approximate="tanh".
  double beta = M_SQRT2 * M_2_SQRTPI * 0.5, kappa = 0.044715;
  Value x2 = m.mul(v, v);
  Value inner = m.mul(m.c(beta), m.add(v, m.mul(m.c(kappa), m.mul(x2, v))));
  Value t = math::TanhOp::create(m.b, m.l, inner);
  Value left = m.mul(m.c(0.5), v), right = m.add(one, t);
  Value dRight = m.mul(m.mul(left, m.sub(one, m.mul(t, t))),
                       m.mul(m.c(beta), m.add(one, m.mul(m.c(3 * kappa), x2))));
  return m.mul(g, m.add(m.mul(m.c(0.5), right), dRight));
}

struct ActivationGradLowering : OpConversionPattern<cnn::ActivationGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::ActivationGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    std::string kind = op.getKind().str();
    double alpha = op.getAlpha() ? op.getAlpha()->convertToDouble() : 0.0;
    auto shape = op.getOutput().getType().getShape();
    Value r = elementwise(rewriter, op.getLoc(),
                          ValueRange{adaptor.getGrad(), adaptor.getValue()}, shape,
                          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                            ScalarMath m{b, l};
                            return activationDerivative(m, kind, alpha, a[0], a[1]);
                          });
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// Sums the broadcast dimensions away, then reshapes to the result type.
struct ReduceToLowering : OpConversionPattern<cnn::ReduceToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::ReduceToOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto in = op.getInput().getType().getShape();
    auto out = op.getOutput().getType().getShape();
    int64_t rank = in.size(), offset = rank - (int64_t)out.size();
    SmallVector<IteratorType> iters;
    SmallVector<AffineExpr> kept;
    SmallVector<int64_t> keptShape;
    for (int64_t i = 0; i < rank; ++i) {
      bool reduced = i < offset || (out[i - offset] == 1 && in[i] != 1);
      iters.push_back(reduced ? kRed : kPar);
      if (!reduced) {
        kept.push_back(dim(ctx, i));
        keptShape.push_back(in[i]);
      }
    }
    Value acc = filledTensor(rewriter, loc, keptShape, 0.0f);
    Value sum = yieldGeneric(rewriter, loc, ValueRange{adaptor.getInput()}, acc,
                             {rewriter.getMultiDimIdentityMap(rank),
                              AffineMap::get(rank, 0, kept, ctx)},
                             iters, [](OpBuilder &b, Location l, ValueRange a) -> Value {
                               return arith::AddFOp::create(b, l, a[0], a[1]);
                             });
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, sum, op.getOutput().getType()));
    return success();
  }
};

struct BroadcastToLowering : OpConversionPattern<cnn::BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::BroadcastToOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    float scale = (float)op.getScale().convertToDouble();
    Value r = elementwise(rewriter, op.getLoc(), ValueRange{adaptor.getInput()},
                          op.getOutput().getType().getShape(),
                          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                            return arith::MulFOp::create(b, l, a[0], f32Constant(b, l, scale));
                          });
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// dL/dx = y * (dL/dy - s), s = sum_axis(dL/dy * y): one reduction generic
/// and one elementwise generic.
struct SoftmaxGradLowering : OpConversionPattern<cnn::SoftmaxGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::SoftmaxGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto shape = op.getGrad().getType().getShape();
    int64_t rank = shape.size(), axis = op.getAxis();
    SmallVector<int64_t> reducedShape;
    SmallVector<AffineExpr> reducedExprs;
    for (int64_t i = 0; i < rank; ++i)
      if (i != axis) {
        reducedShape.push_back(shape[i]);
        reducedExprs.push_back(dim(ctx, i));
      }
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap reduced = AffineMap::get(rank, 0, reducedExprs, ctx);
    SmallVector<IteratorType> iters(rank, kPar);
    iters[axis] = kRed;
    Value gy = adaptor.getGrad(), y = adaptor.getValue();
    Value dot = yieldGeneric(rewriter, loc, ValueRange{gy, y},
                             filledTensor(rewriter, loc, reducedShape, 0.0f),
                             {id, id, reduced}, iters, multiplyAccumulate);
    Value gx = yieldGeneric(rewriter, loc, ValueRange{gy, y, dot},
                            emptyTensor(rewriter, loc, shape), {id, id, reduced, id},
                            SmallVector<IteratorType>(rank, kPar),
                            [](OpBuilder &b, Location l, ValueRange a) -> Value {
                              return arith::MulFOp::create(
                                  b, l, a[1], arith::SubFOp::create(b, l, a[0], a[2]));
                            });
    rewriter.replaceOp(op, gx);
    return success();
  }
};

/// The counter-based mask of cnn.dropout_train (hash in its description),
/// computed per element from linalg.index values and the two rng words, read
/// through constant maps: no state, no host-side reads, the same on the GPU.
struct DropoutTrainLowering : OpConversionPattern<cnn::DropoutTrainOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::DropoutTrainOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto shape = op.getInput().getType().getShape();
    int64_t rank = shape.size();
    double p = op.getP().convertToDouble();
    uint32_t threshold =
        uint32_t(std::min<double>(4294967295.0, std::nearbyint(p * 4294967296.0)));
    float scale = float(1.0 / (1.0 - p));
    uint32_t salt = uint32_t(op.getSalt());
    int64_t maskDims = op.getMaskDims() ? int64_t(*op.getMaskDims()) : rank;
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    auto word = [&](int64_t i) {
      return AffineMap::get(rank, 0, {getAffineConstantExpr(i, ctx)}, ctx);
    };
    Value y = yieldGeneric(
        rewriter, loc, ValueRange{adaptor.getInput(), adaptor.getRng(), adaptor.getRng()},
        emptyTensor(rewriter, loc, shape), {id, word(0), word(1), id},
        SmallVector<IteratorType>(rank, kPar),
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Type i32 = b.getI32Type();
          auto c32 = [&](uint32_t v) -> Value {
            return arith::ConstantIntOp::create(b, l, i32, APInt(32, v));
          };
          auto lo = [&](Value v) -> Value { return arith::TruncIOp::create(b, l, i32, v); };
          auto hi = [&](Value v) -> Value {
            Value s = arith::ShRUIOp::create(
                b, l, v, arith::ConstantIntOp::create(b, l, b.getI64Type(), 32));
            return arith::TruncIOp::create(b, l, i32, s);
          };
          // MurmurHash3's fmix32 of (h ^ v).
          auto mix = [&](Value h, Value v) -> Value {
            h = arith::XOrIOp::create(b, l, h, v);
            auto xorShift = [&](Value x, uint32_t n) -> Value {
              return arith::XOrIOp::create(b, l, x, arith::ShRUIOp::create(b, l, x, c32(n)));
            };
            h = xorShift(h, 16);
            h = arith::MulIOp::create(b, l, h, c32(0x85EBCA6Bu));
            h = xorShift(h, 13);
            h = arith::MulIOp::create(b, l, h, c32(0xC2B2AE35u));
            return xorShift(h, 16);
          };
          // The row-major index over the first maskDims dimensions.
          Value linear = idx(b, l, 0);
          if (maskDims > 0)
            linear = linalg::IndexOp::create(b, l, 0);
          for (int64_t i = 1; i < maskDims; ++i)
            linear = arith::AddIOp::create(
                b, l, arith::MulIOp::create(b, l, linear, idx(b, l, shape[i])),
                linalg::IndexOp::create(b, l, i));
          Value h = mix(lo(a[1]), c32(0x9E3779B9u));
          h = mix(h, hi(a[1]));
          h = mix(h, lo(a[2]));
          h = mix(h, hi(a[2]));
          h = mix(h, c32(salt));
          h = mix(h, arith::IndexCastOp::create(b, l, i32, linear));
          Value keep = arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge, h, c32(threshold));
          return arith::SelectOp::create(
              b, l, keep, arith::MulFOp::create(b, l, a[0], f32Constant(b, l, scale)),
              f32Constant(b, l, 0.0f));
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
               ElementwiseLowering<cnn::MulOp, mulFn>, ElementwiseLowering<cnn::SiluOp, silu>,
               ElementwiseLowering<cnn::HardswishOp, hardswish>,
               ElementwiseLowering<cnn::HardsigmoidOp, hardsigmoid>, LeakyReluLowering,
               GeluLowering, IdentityAtInference<cnn::DropoutOp>,
               IdentityAtInference<cnn::StochasticDepthOp>, SoftmaxLowering,
               ActivationGradLowering, ReduceToLowering, BroadcastToLowering, SoftmaxGradLowering,
               DropoutTrainLowering>(ctx);
}
