//===- Convolution.cpp - conv2d, conv_transpose2d and dense to linalg -----===//
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

/// A dense layer is a 1x1 NHWC convolution, so that the conv schedules
/// apply: their register blocks, cnnc-block-conv-filters' contiguous
/// 64-channel filter slices, fused epilogues. Over the last axis of
/// [N, H, W, F] (ConvNeXt's channels-last MLP) the image is the input
/// itself (a collapse into matmul rows would be folded away by reshape
/// propagation into an untiled contraction); otherwise the rows [M, F] are
/// the pixels of a [1, 1, M, F] image (VGG's 25088 x 4096 classifier, as a
/// row-major [K, N] matmul, took 4x as long).
struct DenseLowering : OpConversionPattern<cnn::DenseOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(cnn::DenseOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = op.getOutput().getType();
    int64_t rank = outType.getRank();
    int64_t f = op.getInput().getType().getShape().back(), o = outType.getShape().back();
    Value image = adaptor.getInput();
    SmallVector<int64_t> shape(outType.getShape());
    auto pixels = SmallVector<ReassociationIndices>{{0, 1, 2}, {3}};
    if (rank != 4) {
      // Rows: the leading dimensions.
      if (rank > 2)
        image =
            tensor::CollapseShapeOp::create(rewriter, loc, image, groupDims(rank, 0, rank - 1));
      int64_t rows = outType.getNumElements() / o;
      image = tensor::ExpandShapeOp::create(rewriter, loc, f32Tensor(rewriter, {1, 1, rows, f}),
                                            image, pixels);
      shape = {1, 1, rows, o};
    }
    Value wT = transpose(rewriter, loc, adaptor.getWeight(), {1, 0}); // [F, out]
    Value filter =
        tensor::ExpandShapeOp::create(rewriter, loc, f32Tensor(rewriter, {1, 1, f, o}), wT, pixels);
    Value acc = adaptor.getBias() ? broadcastChannel(rewriter, loc, adaptor.getBias(), shape, 3)
                                  : filledTensor(rewriter, loc, shape, 0.0f);
    SmallVector<NamedAttribute> attrs = {
        rewriter.getNamedAttr("strides", rewriter.getI64TensorAttr({1, 1})),
        rewriter.getNamedAttr("dilations", rewriter.getI64TensorAttr({1, 1}))};
    Value y = linalg::Conv2DNhwcHwcfOp::create(rewriter, loc, TypeRange{acc.getType()},
                                               ValueRange{image, filter}, ValueRange{acc}, attrs)
                  .getResult(0);
    if (rank != 4) {
      y = tensor::CollapseShapeOp::create(rewriter, loc, y, pixels);
      if (rank > 2)
        y = tensor::ExpandShapeOp::create(rewriter, loc, outType, y,
                                          groupDims(rank, 0, rank - 1));
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// conv2d's input gradient with conv_transpose2d's weight as the conv's
/// filter (the layouts agree: [C, O/groups, kh, kw] is the conv's
/// [O', C'/groups, kh, kw]), then the bias.
struct ConvTranspose2dLowering : OpConversionPattern<cnn::ConvTranspose2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(cnn::ConvTranspose2dOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = op.getOutput().getType();
    Value y = cnn::Conv2dGradInputOp::create(rewriter, loc, outType, adaptor.getInput(),
                                             adaptor.getWeight(), op.getStrideAttr(),
                                             op.getPaddingAttr(), op.getDilationAttr(),
                                             op.getGroupsAttr());
    if (Value bias = adaptor.getBias()) {
      Value b = broadcastChannel(rewriter, loc, bias, outType.getShape(), 1);
      y = elementwise(rewriter, loc, {y, b}, outType.getShape(),
                      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        return arith::AddFOp::create(nb, l, a[0], a[1]);
                      });
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Convolution gradients
//===----------------------------------------------------------------------===//

/// result[u] = src[u - front] along spatial dimension `dim` (zeros outside),
/// with `length` elements: a slice and/or a zero pad.
Value shiftSpatial(OpBuilder &b, Location loc, Value src, int64_t dim, int64_t front,
                   int64_t length) {
  auto shape = cast<RankedTensorType>(src.getType()).getShape();
  int64_t srcStart = std::max<int64_t>(0, -front), dstStart = std::max<int64_t>(0, front);
  int64_t count = std::min(shape[dim] - srcStart, length - dstStart);
  if (srcStart != 0 || count != shape[dim]) {
    SmallVector<OpFoldResult> offs(shape.size(), b.getIndexAttr(0)), sizes,
        strides(shape.size(), b.getIndexAttr(1));
    SmallVector<int64_t> newShape(shape.begin(), shape.end());
    newShape[dim] = count;
    offs[dim] = b.getIndexAttr(srcStart);
    for (int64_t v : newShape)
      sizes.push_back(b.getIndexAttr(v));
    src = tensor::ExtractSliceOp::create(b, loc, f32Tensor(b, newShape), src, offs, sizes,
                                         strides);
  }
  SmallVector<int64_t> low(shape.size(), 0), high(shape.size(), 0);
  low[dim] = dstStart;
  high[dim] = length - dstStart - count;
  return pad(b, loc, src, low, high, 0.0f);
}

/// dL/dx ([N, C, H, W] = `xs`) of a stride-1, groups-1 conv from its output
/// gradient `gy` ([N, O, GH, GW]) and filter `w` ([O, C, KH, KW]) with
/// padding `pt`, `pl` (top, left) and dilation `d`, as a forward
/// convolution (NHWC, so that the CPU schedule tiles and vectorizes it):
/// dL/dy shifted, convolved with the filter flipped in space and transposed
/// (O <-> C), with the forward's dilation.
Value convGradInputStride1(OpBuilder &b, Location loc, Value gy, Value w, ArrayRef<int64_t> xs,
                           int64_t pt, int64_t pl, ArrayRef<int64_t> d) {
  MLIRContext *ctx = b.getContext();
  auto ws = cast<RankedTensorType>(w.getType()).getShape();
  int64_t kdh = d[0] * (ws[2] - 1), kdw = d[1] * (ws[3] - 1);
  // T[u] = gy[u - (kdh - pt)], u in [0, H + kdh), shifted after the transpose to NHWC so
  // that the transpose cancels against the NHWC producer's.
  Value t = transpose(b, loc, gy, {0, 2, 3, 1});
  t = shiftSpatial(b, loc, t, 1, kdh - pt, xs[2] + kdh);
  t = shiftSpatial(b, loc, t, 2, kdw - pl, xs[3] + kdw); // N, H+kdh, W+kdw, O
  // filter[kh, kw, o, c] = W[o, c, KH-1-kh, KW-1-kw]
  SmallVector<AffineMap> maps = {
      AffineMap::get(4, 0,
                     {dim(ctx, 2), dim(ctx, 3), getAffineConstantExpr(ws[2] - 1, ctx) - dim(ctx, 0),
                      getAffineConstantExpr(ws[3] - 1, ctx) - dim(ctx, 1)},
                     ctx),
      b.getMultiDimIdentityMap(4)};
  Value fInit = emptyTensor(b, loc, {ws[2], ws[3], ws[0], ws[1]});
  Value filter = yieldGeneric(b, loc, ValueRange{w}, fInit, maps, {kPar, kPar, kPar, kPar},
                              [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  Value acc = filledTensor(b, loc, {xs[0], xs[2], xs[3], xs[1]}, 0.0f);
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("strides", b.getI64TensorAttr({1, 1})),
      b.getNamedAttr("dilations", b.getI64TensorAttr(d))};
  Value y = linalg::Conv2DNhwcHwcfOp::create(b, loc, TypeRange{acc.getType()},
                                             ValueRange{t, filter}, ValueRange{acc}, attrs)
                .getResult(0);
  return transpose(b, loc, y, {0, 3, 1, 2});
}

/// One phase of a strided conv's dL/dx: the inputs at h = s*a + r (and w
/// likewise) receive only the taps kh = k0 + s*t with k0 = (r + pt) mod s,
/// from gy[a + q - t], q = (r + pt) / s: a stride-1 problem over gy with
/// those taps and padding q.
struct GradInputPhase {
  int64_t k0, taps, q, extent; // extent: the inputs of this phase
};
GradInputPhase gradInputPhase(int64_t r, int64_t s, int64_t pad, int64_t kernel,
                              int64_t inputs) {
  GradInputPhase p{(r + pad) % s, 0, (r + pad) / s, (inputs - r + s - 1) / s};
  p.taps = p.k0 < kernel ? (kernel - p.k0 + s - 1) / s : 0;
  return p;
}

/// groups = 1: dL/dx as forward convolutions. A strided, undilated conv's
/// gradient is computed phase by phase (the inputs of one residue of the
/// stride each): convolving dL/dy dilated by the stride instead multiplied
/// zeros in all but one of s x s taps (ResNet-18's stride-2 layers at 224:
/// 3/4 of their data gradients' FMAs).
Value convGradInputAsConv(OpBuilder &b, Location loc, cnn::Conv2dGradInputOp op, Value gy,
                          Value w) {
  auto gs = op.getGrad().getType().getShape();
  auto ws = op.getWeight().getType().getShape();
  auto xs = op.getOutput().getType().getShape();
  auto s = op.getStride(), p = op.getPadding(), d = op.getDilation();
  if (s[0] == 1 && s[1] == 1)
    return convGradInputStride1(b, loc, gy, w, xs, p[0], p[1], d);
  if (d[0] == 1 && d[1] == 1) {
    Value dx = filledTensor(b, loc, xs, 0.0f);
    for (int64_t ry = 0; ry < s[0] && ry < xs[2]; ++ry)
      for (int64_t rx = 0; rx < s[1] && rx < xs[3]; ++rx) {
        GradInputPhase py = gradInputPhase(ry, s[0], p[0], ws[2], xs[2]);
        GradInputPhase px = gradInputPhase(rx, s[1], p[1], ws[3], xs[3]);
        // No tap, or every tap past dL/dy's last row or column: these inputs' gradient is 0.
        if (py.taps == 0 || px.taps == 0 || py.q - (py.taps - 1) >= gs[2] ||
            px.q - (px.taps - 1) >= gs[3])
          continue;
        SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                             b.getIndexAttr(py.k0), b.getIndexAttr(px.k0)};
        SmallVector<OpFoldResult> sizes = {b.getIndexAttr(ws[0]), b.getIndexAttr(ws[1]),
                                           b.getIndexAttr(py.taps), b.getIndexAttr(px.taps)};
        SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1),
                                             b.getIndexAttr(s[0]), b.getIndexAttr(s[1])};
        Value taps = tensor::ExtractSliceOp::create(b, loc, w, offsets, sizes, strides);
        Value phase = convGradInputStride1(b, loc, gy, taps,
                                           {xs[0], xs[1], py.extent, px.extent}, py.q, px.q,
                                           {1, 1});
        SmallVector<OpFoldResult> at = {b.getIndexAttr(0), b.getIndexAttr(0),
                                        b.getIndexAttr(ry), b.getIndexAttr(rx)};
        SmallVector<OpFoldResult> extent = {b.getIndexAttr(xs[0]), b.getIndexAttr(xs[1]),
                                            b.getIndexAttr(py.extent), b.getIndexAttr(px.extent)};
        dx = tensor::InsertSliceOp::create(b, loc, phase, dx, at, extent, strides);
      }
    return dx;
  }
  // Dilated and strided: dL/dy dilated by the stride, then as stride 1.
  int64_t lh = (gs[2] - 1) * s[0] + 1, lw = (gs[3] - 1) * s[1] + 1;
  Value zeros = filledTensor(b, loc, {gs[0], gs[1], lh, lw}, 0.0f);
  SmallVector<OpFoldResult> offs(4, b.getIndexAttr(0)), sizes,
      strides = {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(s[0]),
                 b.getIndexAttr(s[1])};
  for (int64_t v : gs)
    sizes.push_back(b.getIndexAttr(v));
  Value dil = tensor::InsertSliceOp::create(b, loc, gy, zeros, offs, sizes, strides);
  return convGradInputStride1(b, loc, dil, w, xs, p[0], p[1], d);
}

/// The narrowest x86 vector's lanes (AVX's 8 floats): a weight gradient
/// with fewer output channels leaves lanes idle on every target when its
/// vectors run along them, none when they run along a batch that is a
/// multiple of it.
constexpr int64_t kNarrowestVectorLanes = 8;

/// dL/dW ([O, C, KH, KW] = `ws`) for few output channels: per output channel
/// o, a depthwise convolution over the batch (input x_pad as [C, Hp, Wp, N],
/// filter dL/dy[:, o] as [OH, OW, N]), whose vectors run along N, then the
/// sum over N.
Value convGradWeightOverBatchLanes(OpBuilder &b, Location loc, Value in, Value gy,
                                   ArrayRef<int64_t> ws, ArrayRef<int64_t> s,
                                   ArrayRef<int64_t> d) {
  MLIRContext *ctx = b.getContext();
  auto gs = cast<RankedTensorType>(gy.getType()).getShape(); // N, O, OH, OW
  Value filters = transpose(b, loc, gy, {1, 2, 3, 0});     // O, OH, OW, N
  SmallVector<NamedAttribute> attrs = {b.getNamedAttr("strides", b.getI64TensorAttr(d)),
                                       b.getNamedAttr("dilations", b.getI64TensorAttr(s))};
  Value result = emptyTensor(b, loc, ws);
  SmallVector<OpFoldResult> ones(4, b.getIndexAttr(1));
  for (int64_t o = 0; o < ws[0]; ++o) {
    SmallVector<OpFoldResult> offs = {b.getIndexAttr(o), b.getIndexAttr(0), b.getIndexAttr(0),
                                      b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(gs[2]),
                                       b.getIndexAttr(gs[3]), b.getIndexAttr(gs[0])};
    Value filter = tensor::ExtractSliceOp::create(b, loc, f32Tensor(b, {gs[2], gs[3], gs[0]}),
                                                  filters, offs, sizes, ones);
    Value acc = filledTensor(b, loc, {ws[1], ws[2], ws[3], gs[0]}, 0.0f);
    Value perLane = linalg::DepthwiseConv2DNhwcHwcOp::create(b, loc, TypeRange{acc.getType()},
                                                             ValueRange{in, filter},
                                                             ValueRange{acc}, attrs)
                        .getResult(0);
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(4),
                                   AffineMap::get(4, 0, {dim(ctx, 0), dim(ctx, 1), dim(ctx, 2)},
                                                  ctx)};
    Value sum = yieldGeneric(b, loc, ValueRange{perLane},
                             filledTensor(b, loc, {ws[1], ws[2], ws[3]}, 0.0f), maps,
                             {kPar, kPar, kPar, kRed},
                             [](OpBuilder &b, Location l, ValueRange a) -> Value {
                               return arith::AddFOp::create(b, l, a[0], a[1]);
                             });
    SmallVector<OpFoldResult> outOffs = {b.getIndexAttr(o), b.getIndexAttr(0),
                                         b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> outSizes = {b.getIndexAttr(1), b.getIndexAttr(ws[1]),
                                          b.getIndexAttr(ws[2]), b.getIndexAttr(ws[3])};
    result = tensor::InsertSliceOp::create(b, loc, sum, result, outOffs, outSizes, ones);
  }
  return result;
}

/// groups = 1: dL/dW as a forward convolution over the batch: input
/// x_pad as [C, Hp, Wp, N], filter dL/dy as [OH, OW, N, O], the stride as
/// dilation and the dilation as stride; the result [C, KH, KW, O] is
/// transposed to OIHW.
Value convGradWeightAsConv(OpBuilder &b, Location loc, cnn::Conv2dGradWeightOp op, Value gy,
                           Value x) {
  auto ws = op.getOutput().getType().getShape();
  auto s = op.getStride(), p = op.getPadding(), d = op.getDilation();
  Value xp = pad(b, loc, x, {0, 0, p[0], p[1]}, {0, 0, p[2], p[3]}, 0.0f);
  Value in = transpose(b, loc, xp, {1, 2, 3, 0});
  int64_t batch = cast<RankedTensorType>(gy.getType()).getShape()[0];
  if (ws[0] < kNarrowestVectorLanes && batch % kNarrowestVectorLanes == 0)
    return convGradWeightOverBatchLanes(b, loc, in, gy, ws, s, d);
  Value filter = transpose(b, loc, gy, {2, 3, 0, 1});
  Value acc = filledTensor(b, loc, {ws[1], ws[2], ws[3], ws[0]}, 0.0f);
  SmallVector<NamedAttribute> attrs = {b.getNamedAttr("strides", b.getI64TensorAttr(d)),
                                       b.getNamedAttr("dilations", b.getI64TensorAttr(s))};
  Value y = linalg::Conv2DNhwcHwcfOp::create(b, loc, TypeRange{acc.getType()},
                                             ValueRange{in, filter}, ValueRange{acc}, attrs)
                .getResult(0);
  return transpose(b, loc, y, {3, 0, 1, 2});
}

/// dL/dx[n, ci, h, w] = sum_{og, kh, kw} dy_dp[n, o, h + pt + dh*(KH-1-kh), ...] *
/// W[o, ci % Cg, kh, kw], o = (ci / Cg) * Og + og, where dy_dp is dL/dy
/// dilated by the stride and zero-padded so every index is in range.
struct Conv2dGradInputLowering : OpConversionPattern<cnn::Conv2dGradInputOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::Conv2dGradInputOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (op.getGroups() == 1) {
      rewriter.replaceOp(op, convGradInputAsConv(rewriter, loc, op, adaptor.getGrad(),
                                                 adaptor.getWeight()));
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    auto gy = op.getGrad().getType().getShape();   // N, O, OH, OW
    auto w = op.getWeight().getType().getShape();  // O, Cg, KH, KW
    auto x = op.getOutput().getType().getShape();  // N, C, H, W
    auto s = op.getStride(), p = op.getPadding(), d = op.getDilation();
    int64_t g = op.getGroups(), og = w[0] / g, cg = w[1];
    // Dilate by the stride.
    int64_t lh = (gy[2] - 1) * s[0] + 1, lw = (gy[3] - 1) * s[1] + 1;
    Value dil = adaptor.getGrad();
    if (s[0] != 1 || s[1] != 1) {
      Value zeros = filledTensor(rewriter, loc, {gy[0], gy[1], lh, lw}, 0.0f);
      SmallVector<OpFoldResult> offs(4, rewriter.getIndexAttr(0)), sizes, strides = {
          rewriter.getIndexAttr(1), rewriter.getIndexAttr(1), rewriter.getIndexAttr(s[0]),
          rewriter.getIndexAttr(s[1])};
      for (int64_t v : gy)
        sizes.push_back(rewriter.getIndexAttr(v));
      dil = tensor::InsertSliceOp::create(rewriter, loc, adaptor.getGrad(), zeros, offs, sizes,
                                          strides);
    }
    int64_t kdh = d[0] * (w[2] - 1), kdw = d[1] * (w[3] - 1);
    int64_t hp = x[2] + p[0] + p[2], wp = x[3] + p[1] + p[3];
    Value dp = pad(rewriter, loc, dil, {0, 0, kdh, kdw},
                   {0, 0, std::max<int64_t>(0, hp - lh), std::max<int64_t>(0, wp - lw)}, 0.0f);
    // Loops: n, ci, h, w | og, kh, kw.
    AffineExpr o = g == 1 ? dim(ctx, 4) : dim(ctx, 1).floorDiv(cg) * og + dim(ctx, 4);
    AffineExpr c = g == 1 ? dim(ctx, 1) : dim(ctx, 1) % cg;
    SmallVector<AffineMap> maps = {
        AffineMap::get(7, 0,
                       {dim(ctx, 0), o, dim(ctx, 2) + p[0] + kdh - dim(ctx, 5) * d[0],
                        dim(ctx, 3) + p[1] + kdw - dim(ctx, 6) * d[1]},
                       ctx),
        AffineMap::get(7, 0, {o, c, dim(ctx, 5), dim(ctx, 6)}, ctx),
        AffineMap::get(7, 0, {dim(ctx, 4), dim(ctx, 5), dim(ctx, 6)}, ctx), // ranges
        AffineMap::get(7, 0, {dim(ctx, 0), dim(ctx, 1), dim(ctx, 2), dim(ctx, 3)}, ctx)};
    Value window = emptyTensor(rewriter, loc, {og, w[2], w[3]});
    Value acc = filledTensor(rewriter, loc, x, 0.0f);
    Value r = yieldGeneric(rewriter, loc, ValueRange{dp, adaptor.getWeight(), window}, acc,
                           maps, {kPar, kPar, kPar, kPar, kRed, kRed, kRed},
                           multiplyAccumulate);
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// dL/dW[o, c, kh, kw] = sum_{n, oh, ow} dy[n, o, oh, ow] *
/// x_pad[n, (o / Og) * Cg + c, oh*sh + kh*dh, ow*sw + kw*dw].
struct Conv2dGradWeightLowering : OpConversionPattern<cnn::Conv2dGradWeightOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::Conv2dGradWeightOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (op.getGroups() == 1) {
      rewriter.replaceOp(op, convGradWeightAsConv(rewriter, loc, op, adaptor.getGrad(),
                                                  adaptor.getInput()));
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    auto w = op.getOutput().getType().getShape();
    auto s = op.getStride(), p = op.getPadding(), d = op.getDilation();
    int64_t g = op.getGroups(), og = w[0] / g, cg = w[1];
    Value xp = pad(rewriter, loc, adaptor.getInput(), {0, 0, p[0], p[1]}, {0, 0, p[2], p[3]},
                   0.0f);
    AffineExpr c = g == 1 ? dim(ctx, 1) : dim(ctx, 0).floorDiv(og) * cg + dim(ctx, 1);
    SmallVector<AffineMap> maps = {
        AffineMap::get(7, 0, {dim(ctx, 4), dim(ctx, 0), dim(ctx, 5), dim(ctx, 6)}, ctx),
        AffineMap::get(7, 0,
                       {dim(ctx, 4), c, dim(ctx, 5) * s[0] + dim(ctx, 2) * d[0],
                        dim(ctx, 6) * s[1] + dim(ctx, 3) * d[1]},
                       ctx),
        AffineMap::get(7, 0, {dim(ctx, 0), dim(ctx, 1), dim(ctx, 2), dim(ctx, 3)}, ctx)};
    Value acc = filledTensor(rewriter, loc, w, 0.0f);
    Value r = yieldGeneric(rewriter, loc, ValueRange{adaptor.getGrad(), xp}, acc, maps,
                           {kPar, kPar, kPar, kPar, kRed, kRed, kRed},
                           multiplyAccumulate);
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// A linalg.matmul on row-major [M, K] x [K, N] operands (a transposed
/// operand is copied once into that layout), so that cnnc-tile-matmuls gives
/// dense's gradients the register-tiled, vectorized schedule of the forward
/// dense: dL/dW = dL/dy^T x reduces over the batch, which a generic with the
/// transposed map would walk with strided scalar loads.
struct MatmulLowering : OpConversionPattern<cnn::MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::MatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value a = adaptor.getA(), b = adaptor.getB();
    if (op.getTransposeA())
      a = transpose(rewriter, loc, a, {1, 0});
    if (op.getTransposeB())
      b = transpose(rewriter, loc, b, {1, 0});
    Value acc = filledTensor(rewriter, loc, op.getOutput().getType().getShape(), 0.0f);
    Value r = linalg::MatmulOp::create(rewriter, loc, TypeRange{acc.getType()}, ValueRange{a, b},
                                       ValueRange{acc})
                  .getResult(0);
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

void cnnc::populateConvolutionLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2dLowering, DenseLowering, ConvTranspose2dLowering, Conv2dGradInputLowering, Conv2dGradWeightLowering,
               MatmulLowering>(patterns.getContext());
}
