//===- TrimPaddingTaps.cpp - drop kernel taps that read only padding ------===//
//
// A conv whose input is smaller than its kernel's reach (a 3x3 conv with
// padding 1 over a 1x1 map: ResNets' last stage at 32x32 inputs) has taps
// that read padding for every output. Their products are zero, so the conv
// over the filter's live taps with the padding shifted to match computes
// the same outputs with fewer multiplies; the gradients follow, the dead
// taps' weight gradient being zero as in the full conv.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "Cnn/CnnDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>
#include <optional>

namespace cnnc {
#define GEN_PASS_DEF_TRIMPADDINGTAPSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// One spatial axis of a conv: its live taps [first, last] and the padding
/// that keeps each output's position once the taps before `first` are gone
/// (and no more after the input than the last window reaches).
struct TrimmedAxis {
  int64_t first, last, padBefore, padAfter;
};

/// Tap k of an axis is live when some output o reads a real input row:
/// 0 <= o*stride + k*dilation - padBefore < size. The result spans the
/// first to the last live tap (dead taps between them, possible with
/// strides, stay); none when every tap is live, none is, or the shifted
/// padding would be negative (dilated kernels).
std::optional<TrimmedAxis> trimAxis(int64_t size, int64_t kernel, int64_t outSize,
                                    int64_t stride, int64_t dilation, int64_t padBefore,
                                    int64_t padAfter) {
  auto live = [&](int64_t k) {
    for (int64_t o = 0; o < outSize; ++o) {
      int64_t at = o * stride + k * dilation - padBefore;
      if (at >= 0 && at < size)
        return true;
    }
    return false;
  };
  int64_t first = 0, last = kernel - 1;
  while (first < kernel && !live(first))
    ++first;
  if (first == kernel)
    return std::nullopt;
  while (!live(last))
    --last;
  if (first == 0 && last == kernel - 1)
    return std::nullopt;
  TrimmedAxis t{first, last, padBefore - first * dilation,
                padAfter - (kernel - 1 - last) * dilation};
  // Trailing padding past the last window's reach is slack: drop it.
  int64_t reach = (outSize - 1) * stride + (last - first) * dilation + 1;
  t.padAfter = std::min(t.padAfter, std::max<int64_t>(0, reach - size - t.padBefore));
  if (t.padBefore < 0 || t.padAfter < 0)
    return std::nullopt;
  return t;
}

struct TrimConvTaps : OpRewritePattern<cnn::Conv2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(cnn::Conv2dOp conv, PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> in = conv.getInput().getType().getShape();
    ArrayRef<int64_t> w = conv.getWeight().getType().getShape();
    ArrayRef<int64_t> out = conv.getType().getShape();
    ArrayRef<int64_t> stride = conv.getStride(), dilation = conv.getDilation();
    ArrayRef<int64_t> pad = conv.getPadding(); // top, left, bottom, right
    std::optional<TrimmedAxis> rows =
        trimAxis(in[2], w[2], out[2], stride[0], dilation[0], pad[0], pad[2]);
    std::optional<TrimmedAxis> cols =
        trimAxis(in[3], w[3], out[3], stride[1], dilation[1], pad[1], pad[3]);
    if (!rows && !cols)
      return failure();
    TrimmedAxis keepRows{0, w[2] - 1, pad[0], pad[2]}, keepCols{0, w[3] - 1, pad[1], pad[3]};
    const TrimmedAxis &r = rows ? *rows : keepRows, &c = cols ? *cols : keepCols;
    Location loc = conv.getLoc();
    Value filter = conv.getWeight();
    auto slice = [&](int64_t axis, int64_t first, int64_t last) {
      SmallVector<int64_t> shape(cast<RankedTensorType>(filter.getType()).getShape());
      shape[axis] = last - first + 1;
      filter = cnn::SliceOp::create(rewriter, loc,
                                    RankedTensorType::get(shape, rewriter.getF32Type()), filter,
                                    axis, first, last + 1);
    };
    if (rows)
      slice(2, r.first, r.last);
    if (cols)
      slice(3, c.first, c.last);
    rewriter.replaceOpWithNewOp<cnn::Conv2dOp>(
        conv, conv.getType(), conv.getInput(), filter, conv.getBias(), conv.getStrideAttr(),
        rewriter.getDenseI64ArrayAttr({r.padBefore, c.padBefore, r.padAfter, c.padAfter}),
        conv.getDilationAttr(), conv.getGroupsAttr());
    return success();
  }
};

struct TrimPaddingTapsPass : cnnc::impl::TrimPaddingTapsPassBase<TrimPaddingTapsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TrimConvTaps>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
