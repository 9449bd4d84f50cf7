//===- Convolution.cpp - conv2d and dense to linalg ------------------------===//
//
// Convolutions run in NHWC: MLIR 22 vectorizes the NCHW named convs to wrong
// results, while the NHWC forms tile and vectorize to near peak. Layout
// transposes surround each conv; weight transposes depend on parameters only
// and are hoisted to load time by cnnc-hoist-parameter-transforms.
//
//===----------------------------------------------------------------------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"
#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "Cnn/CnnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace cnnc::lowering;

namespace {

/// Grouped convs become one conv per group when a group has at least this
/// many output channels (a fraction of a vector below: a depthwise conv
/// with a channel multiplier stays one grouped op) and there are at most
/// this many groups (op count: compile time).
constexpr int64_t kMinGroupOutputs = 4;
constexpr int64_t kMaxSplitGroups = 64;

struct Conv2dLowering : OpConversionPattern<cnn::Conv2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(cnn::Conv2dOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto xShape = op.getInput().getType().getShape();
    auto wShape = op.getWeight().getType().getShape();
    auto yShape = op.getOutput().getType().getShape();
    int64_t n = xShape[0], c = xShape[1], o = wShape[0], kh = wShape[2], kw = wShape[3];
    int64_t oh = yShape[2], ow = yShape[3], g = op.getGroups();
    auto pads = op.getPadding(); // top, left, bottom, right
    auto strides = rewriter.getI64TensorAttr(op.getStride());
    auto dilations = rewriter.getI64TensorAttr(op.getDilation());
    SmallVector<NamedAttribute> convAttrs = {rewriter.getNamedAttr("strides", strides),
                                             rewriter.getNamedAttr("dilations", dilations)};
    Value bias = adaptor.getBias();

    Value result;
    if (g == 1) {
      Value x = paddedNhwc(rewriter, loc, adaptor.getInput(), {pads[0], pads[1]},
                           {pads[2], pads[3]}, 0.0f);
      Value w = transpose(rewriter, loc, adaptor.getWeight(), {2, 3, 1, 0}); // HWCF
      SmallVector<int64_t> accShape = {n, oh, ow, o};
      Value acc = bias ? broadcastChannel(rewriter, loc, bias, accShape, 3)
                       : filledTensor(rewriter, loc, accShape, 0.0f);
      Value y = linalg::Conv2DNhwcHwcfOp::create(rewriter, loc, TypeRange{acc.getType()},
                                                 ValueRange{x, w}, ValueRange{acc}, convAttrs)
                    .getResult(0);
      result = transpose(rewriter, loc, y, {0, 3, 1, 2});
    } else if (g == c && o == c) {
      // Depthwise: filter [C, 1, kh, kw] -> [kh, kw, C].
      Value x = paddedNhwc(rewriter, loc, adaptor.getInput(), {pads[0], pads[1]},
                           {pads[2], pads[3]}, 0.0f);
      Value w = transpose(rewriter, loc, adaptor.getWeight(), {2, 3, 0, 1}); // kh,kw,C,1
      w = tensor::CollapseShapeOp::create(rewriter, loc, f32Tensor(rewriter, {kh, kw, c}), w,
                                          groupDims(4, 2, 4));
      SmallVector<int64_t> accShape = {n, oh, ow, c};
      Value acc = bias ? broadcastChannel(rewriter, loc, bias, accShape, 3)
                       : filledTensor(rewriter, loc, accShape, 0.0f);
      Value y = linalg::DepthwiseConv2DNhwcHwcOp::create(rewriter, loc,
                                                         TypeRange{acc.getType()},
                                                         ValueRange{x, w}, ValueRange{acc},
                                                         convAttrs)
                    .getResult(0);
      result = transpose(rewriter, loc, y, {0, 3, 1, 2});
    } else if (o / g >= kMinGroupOutputs && g <= kMaxSplitGroups) {
      // Grouped (ResNeXt, RegNet): one NHWC conv per group, on the group's
      // channels of the input and the output, so that each is tiled and
      // vectorized like any conv (as one grouped op, linalg's
      // conv_2d_nhwgc_gfhwc, nothing scheduled it: a scalar loop nest on
      // one thread). Filter [G * O/G, C/G, kh, kw] -> [G, kh, kw, C/G, O/G],
      // hoisted to load time like every weight layout; each group's HWCF
      // filter is one slice of it.
      int64_t cg = c / g, og = o / g;
      Value x = paddedNhwc(rewriter, loc, adaptor.getInput(), {pads[0], pads[1]},
                           {pads[2], pads[3]}, 0.0f);
      auto xType = cast<RankedTensorType>(x.getType());
      Value w = tensor::ExpandShapeOp::create(rewriter, loc,
                                              f32Tensor(rewriter, {g, og, cg, kh, kw}),
                                              adaptor.getWeight(), groupDims(5, 0, 2));
      w = transpose(rewriter, loc, w, {0, 3, 4, 2, 1}); // G, kh, kw, C/G, O/G
      SmallVector<int64_t> accShape = {n, oh, ow, o};
      Value acc = bias ? broadcastChannel(rewriter, loc, bias, accShape, 3)
                       : filledTensor(rewriter, loc, accShape, 0.0f);
      auto slice = [&](Value from, ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                       RankedTensorType type) -> Value {
        SmallVector<int64_t> strides(sizes.size(), 1);
        return tensor::ExtractSliceOp::create(rewriter, loc, type, from, ValueRange{},
                                              ValueRange{}, ValueRange{}, offsets, sizes,
                                              strides);
      };
      for (int64_t grp = 0; grp < g; ++grp) {
        Value xg = slice(x, {0, 0, 0, grp * cg},
                         {n, xType.getDimSize(1), xType.getDimSize(2), cg},
                         f32Tensor(rewriter, {n, xType.getDimSize(1), xType.getDimSize(2), cg}));
        Value wg = tensor::ExtractSliceOp::create(
            rewriter, loc, f32Tensor(rewriter, {kh, kw, cg, og}), w, ValueRange{}, ValueRange{},
            ValueRange{}, ArrayRef<int64_t>{grp, 0, 0, 0, 0},
            ArrayRef<int64_t>{1, kh, kw, cg, og}, ArrayRef<int64_t>{1, 1, 1, 1, 1});
        Value accg = slice(acc, {0, 0, 0, grp * og}, {n, oh, ow, og},
                           f32Tensor(rewriter, {n, oh, ow, og}));
        Value yg = linalg::Conv2DNhwcHwcfOp::create(rewriter, loc, TypeRange{accg.getType()},
                                                    ValueRange{xg, wg}, ValueRange{accg},
                                                    convAttrs)
                       .getResult(0);
        acc = tensor::InsertSliceOp::create(rewriter, loc, yg, acc, ValueRange{}, ValueRange{},
                                            ValueRange{}, ArrayRef<int64_t>{0, 0, 0, grp * og},
                                            ArrayRef<int64_t>{n, oh, ow, og},
                                            ArrayRef<int64_t>{1, 1, 1, 1});
      }
      result = transpose(rewriter, loc, acc, {0, 3, 1, 2});
    } else {
      // Grouped with few outputs per group (a depthwise conv with a channel
      // multiplier): [N, G, C/G, H, W] -> NHWGC; filter [G, O/G, C/G, kh, kw] -> GFHWC.
      int64_t cg = c / g, og = o / g, h = xShape[2], wd = xShape[3];
      Value x = tensor::ExpandShapeOp::create(rewriter, loc,
                                              f32Tensor(rewriter, {n, g, cg, h, wd}),
                                              adaptor.getInput(), groupDims(5, 1, 3));
      x = transpose(rewriter, loc, x, {0, 3, 4, 1, 2});
      x = pad(rewriter, loc, x, {0, pads[0], pads[1], 0, 0}, {0, pads[2], pads[3], 0, 0},
              0.0f);
      Value w = tensor::ExpandShapeOp::create(rewriter, loc,
                                              f32Tensor(rewriter, {g, og, cg, kh, kw}),
                                              adaptor.getWeight(), groupDims(5, 0, 2));
      w = transpose(rewriter, loc, w, {0, 1, 3, 4, 2});
      SmallVector<int64_t> accShape = {n, oh, ow, g, og};
      Value acc;
      if (bias) {
        Value b2 = tensor::ExpandShapeOp::create(rewriter, loc, f32Tensor(rewriter, {g, og}),
                                                 bias, {{0, 1}});
        auto *ctx = rewriter.getContext();
        SmallVector<AffineMap> maps = {
            AffineMap::get(5, 0, {getAffineDimExpr(3, ctx), getAffineDimExpr(4, ctx)}, ctx),
            rewriter.getMultiDimIdentityMap(5)};
        Value init = emptyTensor(rewriter, loc, accShape);
        acc = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{init.getType()}, ValueRange{b2}, ValueRange{init},
                  maps, SmallVector<utils::IteratorType>(5, utils::IteratorType::parallel), "",
                  "",
                  [](OpBuilder &nb, Location nloc, ValueRange args) {
                    linalg::YieldOp::create(nb, nloc, args[0]);
                  })
                  .getResult(0);
      } else {
        acc = filledTensor(rewriter, loc, accShape, 0.0f);
      }
      Value y = linalg::Conv2DNhwgcGfhwcOp::create(rewriter, loc, TypeRange{acc.getType()},
                                                   ValueRange{x, w}, ValueRange{acc},
                                                   convAttrs)
                    .getResult(0);
      y = transpose(rewriter, loc, y, {0, 3, 4, 1, 2}); // N, G, O/G, OH, OW
      result = tensor::CollapseShapeOp::create(rewriter, loc,
                                               f32Tensor(rewriter, {n, o, oh, ow}), y,
                                               groupDims(5, 1, 3));
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct DenseLowering : OpConversionPattern<cnn::DenseOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(cnn::DenseOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto yShape = op.getOutput().getType().getShape();
    Value wT = transpose(rewriter, loc, adaptor.getWeight(), {1, 0}); // [F, out]
    Value acc = adaptor.getBias()
                    ? broadcastChannel(rewriter, loc, adaptor.getBias(), yShape, 1)
                    : filledTensor(rewriter, loc, yShape, 0.0f);
    Value y = linalg::MatmulOp::create(rewriter, loc, TypeRange{acc.getType()},
                                       ValueRange{adaptor.getInput(), wT}, ValueRange{acc})
                  .getResult(0);
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void cnnc::populateConvolutionLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2dLowering, DenseLowering>(patterns.getContext());
}
