//===- Training.cpp - the loss and the optimizer update to linalg ---------===//
//
// The backward ops live beside their forward ops' lowerings (Convolution.cpp,
// Pooling.cpp, ...): gradients are linalg.generics in "gather" form (each
// output element sums its contributions), so they need no atomics on any
// target.
//
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Loss and optimizer
//===----------------------------------------------------------------------===//

struct SoftmaxCrossEntropyLowering : OpConversionPattern<cnn::SoftmaxCrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::SoftmaxCrossEntropyOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto shape = op.getLogits().getType().getShape();
    int64_t n = shape[0], k = shape[1];
    Value x = adaptor.getLogits(), labels = adaptor.getLabels();
    AffineMap id2 = rewriter.getMultiDimIdentityMap(2);
    AffineMap row = AffineMap::get(2, 0, {dim(ctx, 0)}, ctx);
    auto rowReduce = [&](Value in, float init, auto fn, Value extra) {
      Value acc = filledTensor(rewriter, loc, {n}, init);
      SmallVector<Value> ins = {in};
      SmallVector<AffineMap> maps = {id2};
      if (extra) {
        ins.push_back(extra);
        maps.push_back(row);
      }
      maps.push_back(row);
      return yieldGeneric(rewriter, loc, ins, acc, maps, {kPar, kRed}, fn);
    };
    Value mx = rowReduce(x, -std::numeric_limits<float>::infinity(),
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           return arith::MaximumFOp::create(b, l, a[0], a[1]);
                         },
                         Value());
    Value se = rowReduce(x, 0.0f,
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value e = math::ExpOp::create(b, l, arith::SubFOp::create(b, l, a[0], a[1]));
                           return arith::AddFOp::create(b, l, a[2], e);
                         },
                         mx);
    auto labelIndex = [&](OpBuilder &b, Location l, Value nIdx) -> Value {
      Value lab = tensor::ExtractOp::create(b, l, labels, ValueRange{nIdx});
      Value li = arith::IndexCastOp::create(b, l, b.getIndexType(), lab);
      return arith::MaxSIOp::create(b, l, idx(b, l, 0),
                                    arith::MinSIOp::create(b, l, li, idx(b, l, k - 1)));
    };
    // 1.0 for a row of the batch, 0.0 for a padding row (label < 0).
    auto isRow = [&](OpBuilder &b, Location l, Value nIdx) -> Value {
      Value lab = tensor::ExtractOp::create(b, l, labels, ValueRange{nIdx});
      Value real = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, lab,
                                         arith::ConstantIntOp::create(b, l, b.getI64Type(), 0));
      return arith::SelectOp::create(b, l, real, f32Constant(b, l, 1.0f), f32Constant(b, l, 0.0f));
    };
    AffineMap id1 = rewriter.getMultiDimIdentityMap(1);
    AffineMap scalar = AffineMap::get(1, 0, {getAffineConstantExpr(0, ctx)}, ctx);
    // rows = the number of real rows (N without padding), at least 1.
    Value rows = yieldGeneric(
        rewriter, loc, ValueRange{mx}, filledTensor(rewriter, loc, {1}, 0.0f), {id1, scalar},
        {kRed}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::AddFOp::create(b, l, a[1], isRow(b, l, linalg::IndexOp::create(b, l, 0)));
        });
    // Data-parallel: the rows of every replica's batch.
    if (op.getCrossReplica())
      rows = cnn::CrossReplicaSumOp::create(rewriter, loc, ValueRange{rows}).getResult(0);
    rows = elementwise(rewriter, loc, {rows}, {1}, [](OpBuilder &b, Location l, ValueRange a) -> Value {
      return arith::MaximumFOp::create(b, l, a[0], f32Constant(b, l, 1.0f));
    });
    // loss = sum over real rows of (log(se) + mx - x[n, label]) / rows.
    Value lossInit = filledTensor(rewriter, loc, {1}, 0.0f);
    Value loss = yieldGeneric(
        rewriter, loc, ValueRange{mx, se, rows}, lossInit, {id1, id1, scalar, scalar}, {kRed},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value nIdx = linalg::IndexOp::create(b, l, 0);
          Value xl = tensor::ExtractOp::create(b, l, x, ValueRange{nIdx, labelIndex(b, l, nIdx)});
          Value term = arith::SubFOp::create(
              b, l, arith::AddFOp::create(b, l, math::LogOp::create(b, l, a[1]), a[0]), xl);
          Value weight = arith::DivFOp::create(b, l, isRow(b, l, nIdx), a[2]);
          return arith::AddFOp::create(b, l, a[3], arith::MulFOp::create(b, l, term, weight));
        });
    // grad = (softmax - onehot) / rows on real rows, 0 on padding rows.
    AffineMap scalar2 = AffineMap::get(2, 0, {getAffineConstantExpr(0, ctx)}, ctx);
    Value gInit = emptyTensor(rewriter, loc, shape);
    Value grad = yieldGeneric(
        rewriter, loc, ValueRange{x, mx, se, rows}, gInit, {id2, row, row, scalar2, id2},
        {kPar, kPar}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value p = arith::DivFOp::create(
              b, l, math::ExpOp::create(b, l, arith::SubFOp::create(b, l, a[0], a[1])), a[2]);
          Value nIdx = linalg::IndexOp::create(b, l, 0), kIdx = linalg::IndexOp::create(b, l, 1);
          Value hot = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, kIdx,
                                            labelIndex(b, l, nIdx));
          Value t = arith::SubFOp::create(
              b, l, p,
              arith::SelectOp::create(b, l, hot, f32Constant(b, l, 1.0f), f32Constant(b, l, 0.0f)));
          return arith::MulFOp::create(b, l, t, arith::DivFOp::create(b, l, isRow(b, l, nIdx), a[3]));
        });
    rewriter.replaceOp(op, ValueRange{loss, grad});
    return success();
  }
};

struct SgdUpdateLowering : OpConversionPattern<cnn::SgdUpdateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::SgdUpdateOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getParam().getType());
    int64_t rank = type.getRank();
    float mom = (float)op.getMomentum().convertToDouble();
    float wd = (float)op.getWeightDecay().convertToDouble();
    bool nesterov = op.getNesterov();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap scalar = elementMap(ctx, rank);
    Value pInit = emptyTensor(rewriter, loc, type.getShape());
    Value bInit = emptyTensor(rewriter, loc, type.getShape());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{pInit.getType(), bInit.getType()},
        ValueRange{adaptor.getParam(), adaptor.getGrad(), adaptor.getBuffer(), adaptor.getLr()},
        ValueRange{pInit, bInit}, SmallVector<AffineMap>{id, id, id, scalar, id, id},
        SmallVector<IteratorType>(rank, kPar), "", "",
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value g = arith::AddFOp::create(b, l, a[1],
                                          arith::MulFOp::create(b, l, f32Constant(b, l, wd), a[0]));
          Value buf = mom == 0.0f
                          ? g
                          : arith::AddFOp::create(
                                b, l, arith::MulFOp::create(b, l, f32Constant(b, l, mom), a[2]), g)
                                .getResult();
          Value step = nesterov ? arith::AddFOp::create(
                                      b, l, g,
                                      arith::MulFOp::create(b, l, f32Constant(b, l, mom), buf))
                                      .getResult()
                                : buf;
          Value p = arith::SubFOp::create(b, l, a[0], arith::MulFOp::create(b, l, a[3], step));
          linalg::YieldOp::create(b, l, ValueRange{p, buf});
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// The sum of squares of every gradient accumulated into one element (a
/// reduction per gradient, each starting from the previous sum), the scale
/// min(max_norm / (sqrt(sum) + 1e-6), 1) in that element, then each
/// gradient times it: loops only, so the GPU runs them as kernels.
struct ClipGradNormLowering : OpConversionPattern<cnn::ClipGradNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::ClipGradNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    float maxNorm = (float)op.getMaxNorm().convertToDouble();
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0f));
    Value sum = linalg::FillOp::create(rewriter, loc, zero, emptyTensor(rewriter, loc, {1}))
                    .getResult(0);
    for (Value g : adaptor.getGrads()) {
      int64_t rank = cast<RankedTensorType>(g.getType()).getRank();
      AffineMap toSum = elementMap(ctx, rank);
      sum = yieldGeneric(rewriter, loc, ValueRange{g}, sum,
                         {rewriter.getMultiDimIdentityMap(rank), toSum},
                         SmallVector<IteratorType>(rank, IteratorType::reduction),
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           return arith::AddFOp::create(b, l, a[1],
                                                        arith::MulFOp::create(b, l, a[0], a[0]));
                         });
    }
    AffineMap one = rewriter.getMultiDimIdentityMap(1);
    Value scale = yieldGeneric(
        rewriter, loc, ValueRange{sum}, emptyTensor(rewriter, loc, {1}), {one, one}, {kPar},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value norm = arith::AddFOp::create(b, l, math::SqrtOp::create(b, l, a[0]),
                                             f32Constant(b, l, 1e-6f));
          Value coef = arith::DivFOp::create(b, l, f32Constant(b, l, maxNorm), norm);
          return arith::MinimumFOp::create(b, l, coef, f32Constant(b, l, 1.0f));
        });
    SmallVector<Value> clipped;
    for (Value g : adaptor.getGrads()) {
      auto type = cast<RankedTensorType>(g.getType());
      int64_t rank = type.getRank();
      AffineMap id = rewriter.getMultiDimIdentityMap(rank);
      AffineMap scalar = elementMap(ctx, rank);
      clipped.push_back(yieldGeneric(
          rewriter, loc, ValueRange{g, scale}, emptyTensor(rewriter, loc, type.getShape()),
          {id, scalar, id}, SmallVector<IteratorType>(rank, kPar),
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            return arith::MulFOp::create(b, l, a[0], a[1]);
          }));
    }
    rewriter.replaceOp(op, clipped);
    return success();
  }
};

/// Two generics: one element computing this step's scalars from the
/// learning rate and the step count ({lr / (1 - beta1^t), sqrt(1 - beta2^t)},
/// in f64 as PyTorch's Python floats), then the elementwise update reading
/// them. Both are loops, so on the GPU both run on the device.
struct AdamUpdateLowering : OpConversionPattern<cnn::AdamUpdateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::AdamUpdateOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getParam().getType());
    int64_t rank = type.getRank();
    double beta1 = op.getBeta1().convertToDouble(), beta2 = op.getBeta2().convertToDouble();
    float eps = (float)op.getEpsilon().convertToDouble();
    float wd = (float)op.getWeightDecay().convertToDouble();
    bool decoupled = op.getDecoupled();

    AffineMap one = rewriter.getMultiDimIdentityMap(1);
    Value scalarsInit = emptyTensor(rewriter, loc, {3});
    Value scalars = yieldGeneric(
        rewriter, loc, ValueRange{adaptor.getLr(), adaptor.getStep()}, scalarsInit,
        {elementMap(ctx, 1), elementMap(ctx, 1), one},
        {kPar}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Type f64 = b.getF64Type();
          auto c = [&](double v) { return arith::ConstantOp::create(b, l, b.getF64FloatAttr(v)); };
          Value t = arith::SIToFPOp::create(
              b, l, f64, arith::AddIOp::create(b, l, a[1],
                                               arith::ConstantIntOp::create(b, l, 1, 64)));
          Value bias1 = arith::SubFOp::create(b, l, c(1.0), math::PowFOp::create(b, l, c(beta1), t));
          Value bias2 = arith::SubFOp::create(b, l, c(1.0), math::PowFOp::create(b, l, c(beta2), t));
          Value lr = arith::ExtFOp::create(b, l, f64, a[0]);
          Value stepSize = arith::DivFOp::create(b, l, lr, bias1);
          Value bias2Sqrt = math::SqrtOp::create(b, l, bias2);
          // Element i of {step size, sqrt(bias correction 2), lr}.
          Value i = linalg::IndexOp::create(b, l, 0);
          Value isFirst = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i,
                                                arith::ConstantIndexOp::create(b, l, 0));
          Value isSecond = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i,
                                                 arith::ConstantIndexOp::create(b, l, 1));
          Value v = arith::SelectOp::create(b, l, isFirst, stepSize,
                                            arith::SelectOp::create(b, l, isSecond, bias2Sqrt, lr));
          return arith::TruncFOp::create(b, l, b.getF32Type(), v);
        });

    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<Value> inits;
    for (int k = 0; k < 3; ++k)
      inits.push_back(emptyTensor(rewriter, loc, type.getShape()));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type, type, type},
        ValueRange{adaptor.getParam(), adaptor.getGrad(), adaptor.getExpAvg(),
                   adaptor.getExpAvgSq(), scalars, scalars, scalars},
        inits,
        SmallVector<AffineMap>{id, id, id, id, elementMap(ctx, rank, 0), elementMap(ctx, rank, 1),
                               elementMap(ctx, rank, 2), id, id, id},
        SmallVector<IteratorType>(rank, kPar), "", "",
        [&](OpBuilder &b, Location l, ValueRange a) {
          auto c = [&](float v) { return f32Constant(b, l, v); };
          Value p = a[0], g = a[1];
          Value stepSize = a[4], bias2Sqrt = a[5], lr = a[6];
          if (wd != 0.0f) {
            if (decoupled) // p *= 1 - lr * weight_decay
              p = arith::MulFOp::create(
                  b, l, p,
                  arith::SubFOp::create(b, l, c(1.0f), arith::MulFOp::create(b, l, lr, c(wd))));
            else // g += weight_decay * p
              g = arith::AddFOp::create(b, l, g, arith::MulFOp::create(b, l, c(wd), p));
          }
          // m' = beta1 * m + (1 - beta1) * g, v' = beta2 * v + (1 - beta2) * g * g: torch
          // 1.13's mul_().add_() and mul_().addcmul_().
          Value m = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, c(float(beta1)), a[2]),
              arith::MulFOp::create(b, l, c(float(1.0 - beta1)), g));
          Value v = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, c(float(beta2)), a[3]),
              arith::MulFOp::create(b, l, c(float(1.0 - beta2)),
                                    arith::MulFOp::create(b, l, g, g)));
          Value denom = arith::AddFOp::create(
              b, l, arith::DivFOp::create(b, l, math::SqrtOp::create(b, l, v), bias2Sqrt), c(eps));
          Value newP = arith::SubFOp::create(
              b, l, p, arith::MulFOp::create(b, l, stepSize, arith::DivFOp::create(b, l, m, denom)));
          linalg::YieldOp::create(b, l, ValueRange{newP, m, v});
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void cnnc::populateTrainingLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<SoftmaxCrossEntropyLowering, SgdUpdateLowering, AdamUpdateLowering,
               ClipGradNormLowering>(patterns.getContext());
}
