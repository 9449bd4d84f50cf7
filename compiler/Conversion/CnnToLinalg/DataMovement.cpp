//===- DataMovement.cpp - concat, flatten, slice, channel_shuffle ----------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"
#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "Cnn/CnnDialect.h"

using namespace mlir;
using namespace cnnc::lowering;

namespace {

struct ConcatLowering : OpConversionPattern<cnn::ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::ConcatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = op.getOutput().getType();
    int64_t rank = outType.getRank(), axis = op.getAxis();
    // Channel concats of 4-D activations are assembled in NHWC, the layout
    // the convolutions around them compute in: the transposes then cancel
    // against theirs (cnnc-propagate-channels-last), and a conv can write
    // its result straight into the concat (eliminate-empty-tensors).
    bool channelsLast = rank == 4 && axis == 1;
    SmallVector<int64_t> resultShape(outType.getShape());
    SmallVector<Value> inputs(adaptor.getInputs());
    if (channelsLast) {
      resultShape = {resultShape[0], resultShape[2], resultShape[3], resultShape[1]};
      axis = 3;
      for (Value &in : inputs)
        in = transpose(rewriter, loc, in, {0, 2, 3, 1});
    }
    Value result = emptyTensor(rewriter, loc, resultShape);
    int64_t offset = 0;
    for (Value in : inputs) {
      auto shape = cast<RankedTensorType>(in.getType()).getShape();
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0)), sizes,
          strides(rank, rewriter.getIndexAttr(1));
      offsets[axis] = rewriter.getIndexAttr(offset);
      for (int64_t d : shape)
        sizes.push_back(rewriter.getIndexAttr(d));
      result = tensor::InsertSliceOp::create(rewriter, loc, in, result, offsets, sizes, strides);
      offset += shape[axis];
    }
    if (channelsLast)
      result = transpose(rewriter, loc, result, {0, 3, 1, 2});
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct FlattenLowering : OpConversionPattern<cnn::FlattenOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::FlattenOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    int64_t rank = inType.getRank();
    Value y = adaptor.getInput();
    if (rank != 2) {
      SmallVector<ReassociationIndices> groups = {{0}, {}};
      for (int64_t i = 1; i < rank; ++i)
        groups[1].push_back(i);
      if (rank == 1)
        return rewriter.notifyMatchFailure(op, "flatten needs rank >= 2");
      y = tensor::CollapseShapeOp::create(rewriter, op.getLoc(), op.getOutput().getType(), y,
                                          groups);
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct SliceLowering : OpConversionPattern<cnn::SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::SliceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    int64_t rank = inType.getRank(), axis = op.getAxis();
    SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0)), sizes,
        strides(rank, rewriter.getIndexAttr(1));
    offsets[axis] = rewriter.getIndexAttr(op.getStart());
    for (int64_t d : op.getOutput().getType().getShape())
      sizes.push_back(rewriter.getIndexAttr(d));
    Value y = tensor::ExtractSliceOp::create(rewriter, op.getLoc(), op.getOutput().getType(),
                                             adaptor.getInput(), offsets, sizes, strides);
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// out[n, c, h, w] = in[n, (c mod g) * (C/g) + c floordiv g, h, w]: PyTorch's
/// [N, g, C/g, H, W] view with the channel factors swapped, as one generic
/// that only permutes channels, so that cnnc-propagate-channels-last can
/// carry NHWC through it (a permutation inside each pixel) instead of
/// transposing the tensor to NCHW and back around reshapes (ShuffleNetV2).
struct ChannelShuffleLowering : OpConversionPattern<cnn::ChannelShuffleOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::ChannelShuffleOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto s = op.getInput().getType().getShape();
    int64_t g = op.getGroups();
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr c = dim(ctx, 1);
    AffineMap read = AffineMap::get(
        4, 0, {dim(ctx, 0), c % g * (s[1] / g) + c.floorDiv(g), dim(ctx, 2), dim(ctx, 3)}, ctx);
    Value y = yieldGeneric(rewriter, loc, ValueRange{adaptor.getInput()},
                           emptyTensor(rewriter, loc, s), {read, rewriter.getMultiDimIdentityMap(4)},
                           SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
                           [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct ReshapeLowering : OpConversionPattern<cnn::ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshapeTo(rewriter, op.getLoc(), adaptor.getInput(),
                                     op.getOutput().getType()));
    return success();
  }
};

/// The slice's gradient is dL/dy zero-padded back to the input's extent.
struct SliceGradLowering : OpConversionPattern<cnn::SliceGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::SliceGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto g = op.getGrad().getType().getShape();
    auto x = op.getOutput().getType().getShape();
    int64_t axis = op.getAxis(), start = op.getStart();
    SmallVector<int64_t> low(g.size(), 0), high(g.size(), 0);
    low[axis] = start;
    high[axis] = x[axis] - start - g[axis];
    rewriter.replaceOp(op, pad(rewriter, op.getLoc(), adaptor.getGrad(), low, high, 0.0f));
    return success();
  }
};

/// A transposing generic, which elementwise fusion folds into its neighbours
/// (ConvNeXt's NCHW -> NHWC permute cancels against the conv's own layout
/// change).
struct PermuteLowering : OpConversionPattern<cnn::PermuteOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::PermuteOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, transpose(rewriter, op.getLoc(), adaptor.getInput(), op.getDims()));
    return success();
  }
};

} // namespace

void cnnc::populateDataMovementLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<ConcatLowering, FlattenLowering, SliceLowering, ChannelShuffleLowering,
               ReshapeLowering, SliceGradLowering, PermuteLowering>(patterns.getContext());
}
