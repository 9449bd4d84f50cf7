//===- Pooling.cpp - max/avg/global pooling to linalg ----------------------===//
//
// Windowed pooling runs in NHWC, like the convolutions (so that
// cnnc-propagate-channels-last can keep activations in NHWC across it): the
// input is transposed, padded explicitly ([top, left, bottom, right], -inf
// for max, 0 for average) plus, in ceil mode, enough extra bottom/right
// padding for the last window; then `linalg.pooling_nhwc_{max,sum}` runs
// unpadded and its result is transposed back to NCHW. The
// average's divisor follows PyTorch: the window clipped to input + padding
// (count_include_pad) or to the input alone.
//
//===----------------------------------------------------------------------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"
#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "Cnn/CnnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <limits>

using namespace mlir;
using namespace cnnc::lowering;

namespace {

/// Transposes the NCHW input to NHWC and pads it so that every window of
/// the output lies inside it.
Value nhwcPaddedForPooling(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> xShape,
                           ArrayRef<int64_t> yShape, ArrayRef<int64_t> kernel,
                           ArrayRef<int64_t> stride, ArrayRef<int64_t> pads, float value) {
  int64_t high[2];
  for (int i = 0; i < 2; ++i) {
    int64_t needed = (yShape[2 + i] - 1) * stride[i] + kernel[i];
    int64_t have = xShape[2 + i] + pads[i] + pads[i + 2];
    high[i] = pads[i + 2] + std::max<int64_t>(0, needed - have);
  }
  return paddedNhwc(b, loc, x, {pads[0], pads[1]}, {high[0], high[1]}, value);
}

SmallVector<int64_t> nhwcShape(ArrayRef<int64_t> nchw) {
  return {nchw[0], nchw[2], nchw[3], nchw[1]};
}

SmallVector<NamedAttribute> poolAttrs(OpBuilder &b, ArrayRef<int64_t> stride) {
  return {b.getNamedAttr("strides", b.getI64TensorAttr(stride)),
          b.getNamedAttr("dilations", b.getI64TensorAttr({1, 1}))};
}

struct MaxPool2dLowering : OpConversionPattern<cnn::MaxPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(cnn::MaxPool2dOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto xShape = op.getInput().getType().getShape();
    auto yShape = op.getOutput().getType().getShape();
    float ninf = -std::numeric_limits<float>::infinity();
    Value x = nhwcPaddedForPooling(rewriter, loc, adaptor.getInput(), xShape, yShape,
                                   op.getKernel(), op.getStride(), op.getPadding(), ninf);
    Value window = emptyTensor(rewriter, loc, op.getKernel());
    Value acc = filledTensor(rewriter, loc, nhwcShape(yShape), ninf);
    Value y = linalg::PoolingNhwcMaxOp::create(rewriter, loc, TypeRange{acc.getType()},
                                               ValueRange{x, window}, ValueRange{acc},
                                               poolAttrs(rewriter, op.getStride()))
                  .getResult(0);
    rewriter.replaceOp(op, transpose(rewriter, loc, y, {0, 3, 1, 2}));
    return success();
  }
};

struct AvgPool2dLowering : OpConversionPattern<cnn::AvgPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(cnn::AvgPool2dOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto xShape = op.getInput().getType().getShape();
    auto yShape = op.getOutput().getType().getShape();
    auto kernel = op.getKernel();
    auto stride = op.getStride();
    auto pads = op.getPadding();
    Value x = nhwcPaddedForPooling(rewriter, loc, adaptor.getInput(), xShape, yShape, kernel,
                                   stride, pads, 0.0f);
    Value window = emptyTensor(rewriter, loc, kernel);
    Value acc = filledTensor(rewriter, loc, nhwcShape(yShape), 0.0f);
    Value sum = linalg::PoolingNhwcSumOp::create(rewriter, loc, TypeRange{acc.getType()},
                                                 ValueRange{x, window}, ValueRange{acc},
                                                 poolAttrs(rewriter, stride))
                    .getResult(0);
    sum = transpose(rewriter, loc, sum, {0, 3, 1, 2});
    bool includePad = op.getCountIncludePad();
    // Divide by the per-position window size, computed from the indices.
    Value y = elementwise(
        rewriter, loc, ValueRange{sum}, yShape,
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v); };
          Value extent[2];
          for (int i = 0; i < 2; ++i) {
            Value o = linalg::IndexOp::create(b, l, 2 + i);
            Value start = arith::SubIOp::create(
                b, l, arith::MulIOp::create(b, l, o, idx(stride[i])), idx(pads[i]));
            Value end = arith::MinSIOp::create(
                b, l, arith::AddIOp::create(b, l, start, idx(kernel[i])),
                idx(xShape[2 + i] + pads[i + 2]));
            if (!includePad) {
              start = arith::MaxSIOp::create(b, l, start, idx(0));
              end = arith::MinSIOp::create(b, l, end, idx(xShape[2 + i]));
            }
            extent[i] = arith::SubIOp::create(b, l, end, start);
          }
          Value count = arith::MulIOp::create(b, l, extent[0], extent[1]);
          Value countI = arith::IndexCastOp::create(b, l, b.getI64Type(), count);
          Value countF = arith::SIToFPOp::create(b, l, b.getF32Type(), countI);
          return arith::DivFOp::create(b, l, args[0], countF).getResult();
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct GlobalAvgPool2dLowering : OpConversionPattern<cnn::GlobalAvgPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(cnn::GlobalAvgPool2dOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto xShape = op.getInput().getType().getShape();
    int64_t n = xShape[0], c = xShape[1];
    auto *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps = {
        rewriter.getMultiDimIdentityMap(4),
        AffineMap::get(4, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx)};
    SmallVector<utils::IteratorType> iters = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction, utils::IteratorType::reduction};
    Value acc = filledTensor(rewriter, loc, {n, c}, 0.0f);
    Value sum = linalg::GenericOp::create(
                    rewriter, loc, TypeRange{acc.getType()}, ValueRange{adaptor.getInput()},
                    ValueRange{acc}, maps, iters, "", "",
                    [](OpBuilder &b, Location l, ValueRange args) {
                      linalg::YieldOp::create(
                          b, l, arith::AddFOp::create(b, l, args[0], args[1]).getResult());
                    })
                    .getResult(0);
    float scale = 1.0f / float(xShape[2] * xShape[3]);
    Value mean = elementwise(rewriter, loc, ValueRange{sum}, {n, c},
                             [&](OpBuilder &b, Location l, ValueRange args) {
                               return arith::MulFOp::create(b, l, args[0],
                                                            f32Constant(b, l, scale))
                                   .getResult();
                             });
    Value y = tensor::ExpandShapeOp::create(rewriter, loc, f32Tensor(rewriter, {n, c, 1, 1}),
                                            mean, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void cnnc::populatePoolingLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPool2dLowering, AvgPool2dLowering, GlobalAvgPool2dLowering>(
      patterns.getContext());
}
