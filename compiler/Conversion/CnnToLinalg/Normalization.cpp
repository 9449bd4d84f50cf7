//===- Normalization.cpp - batchnorm (inference) to linalg -----------------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"
#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "Cnn/CnnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace cnnc::lowering;

namespace {

/// y = (x - mean) * rsqrt(var + eps) * weight + bias, per channel (dim 1).
struct BatchNormLowering : OpConversionPattern<cnn::BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(cnn::BatchNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto shape = op.getInput().getType().getShape();
    int64_t rank = shape.size();
    auto *ctx = rewriter.getContext();
    AffineMap channel = AffineMap::get(rank, 0, {getAffineDimExpr(1, ctx)}, ctx);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<AffineMap> maps = {identity, channel, channel, channel, channel, identity};
    float eps = (float)op.getEpsilon().convertToDouble();
    Value init = emptyTensor(rewriter, loc, shape);
    Value y = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{init.getType()},
                  ValueRange{adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(),
                             adaptor.getRunningMean(), adaptor.getRunningVar()},
                  ValueRange{init}, maps,
                  SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel), "", "",
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    Value var = arith::AddFOp::create(b, l, a[4], f32Constant(b, l, eps));
                    Value inv = math::RsqrtOp::create(b, l, var);
                    Value centered = arith::SubFOp::create(b, l, a[0], a[3]);
                    Value scaled = arith::MulFOp::create(
                        b, l, centered, arith::MulFOp::create(b, l, inv, a[1]));
                    linalg::YieldOp::create(
                        b, l, arith::AddFOp::create(b, l, scaled, a[2]).getResult());
                  })
                  .getResult(0);
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void cnnc::populateNormalizationLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering>(patterns.getContext());
}
