//===- Pooling.cpp - pooling and resampling to linalg ---------------------===//
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
// Adaptive pooling with unequal windows and upsampling are linear maps
// separable in H and W: each is two contractions with constant [out, in]
// matrices built here at compile time (interpolation weights as PyTorch
// computes them, in float), and their gradients the same contractions with
// the matrices transposed.
//
//===----------------------------------------------------------------------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"
#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "Cnn/CnnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>
#include <limits>
#include <optional>

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

//===----------------------------------------------------------------------===//
// Pooling gradients: a window's position is not an affine function of the
// loop indices, so the body reads with tensor.extract at clamped indices and
// masks invalid terms.
//===----------------------------------------------------------------------===//

/// Extra trailing padding so that the last (ceil-mode) window fits.
std::pair<int64_t, int64_t> poolHighPad(ArrayRef<int64_t> x, ArrayRef<int64_t> y,
                                        ArrayRef<int64_t> k, ArrayRef<int64_t> s,
                                        ArrayRef<int64_t> p) {
  int64_t hi[2];
  for (int i = 0; i < 2; ++i) {
    int64_t needed = (y[2 + i] - 1) * s[i] + k[i];
    hi[i] = p[i + 2] + std::max<int64_t>(0, needed - (x[2 + i] + p[i] + p[i + 2]));
  }
  return {hi[0], hi[1]};
}

/// The j-th window along one axis that could cover input position `pos`:
/// windows start every `stride`, so those covering `pos` are the last one
/// starting at or before it, (pos + pad) / stride, and the ones before it,
/// at most ceil(kernel / stride) in all. Each gives its output position,
/// and whether it exists and reaches `pos`.
struct WindowHit {
  Value oh, ow, valid;
};

/// `v` clamped into [0, size): a read that stays in bounds where the term it
/// feeds is masked anyway.
Value clampIndex(OpBuilder &b, Location l, Value v, int64_t size) {
  return arith::MaxSIOp::create(b, l, idx(b, l, 0),
                                arith::MinSIOp::create(b, l, v, idx(b, l, size - 1)));
}

WindowHit windowHit(OpBuilder &b, Location l, Value h, Value w, Value jh, Value jw,
                    ArrayRef<int64_t> k, ArrayRef<int64_t> s, ArrayRef<int64_t> p,
                    ArrayRef<int64_t> y) {
  auto one = [&](Value pos, Value j, int64_t kernel, int64_t stride, int64_t pad, int64_t out,
                 Value &o) {
    Value padded = arith::AddIOp::create(b, l, pos, idx(b, l, pad));
    Value q = arith::SubIOp::create(b, l, arith::DivUIOp::create(b, l, padded, idx(b, l, stride)),
                                    j);
    Value offset = arith::SubIOp::create(b, l, padded,
                                         arith::MulIOp::create(b, l, q, idx(b, l, stride)));
    Value ok = arith::AndIOp::create(
        b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, q, idx(b, l, 0)),
        arith::AndIOp::create(
            b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, q, idx(b, l, out)),
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, offset, idx(b, l, kernel))));
    o = clampIndex(b, l, q, out);
    return ok;
  };
  WindowHit hit;
  Value v1 = one(h, jh, k[0], s[0], p[0], y[2], hit.oh);
  Value v2 = one(w, jw, k[1], s[1], p[1], y[3], hit.ow);
  hit.valid = arith::AndIOp::create(b, l, v1, v2);
  return hit;
}

/// A pooling's dL/dx in gather form: input element [n, c, h, w] sums, over
/// the windows that could cover it (ceil(k/s) per axis), `term` of the
/// output window (`hit`; `hit.valid` is false where there is none). `x` and
/// `y` are NCHW shapes; the result is NCHW, or with `nhwc` NHWC, with loops
/// n, h, w, jh, jw, c: the channels innermost, every read of a window's
/// values contiguous along them (LLVM vectorizes that loop).
using WindowTerm = llvm::function_ref<Value(OpBuilder &, Location, Value n, Value c, Value h,
                                            Value w, const WindowHit &hit)>;
Value sumOverWindows(OpBuilder &rewriter, Location loc, ArrayRef<int64_t> x,
                     ArrayRef<int64_t> y, ArrayRef<int64_t> k, ArrayRef<int64_t> s,
                     ArrayRef<int64_t> p, WindowTerm term, bool nhwc = false) {
  MLIRContext *ctx = rewriter.getContext();
  Value window = emptyTensor(rewriter, loc, {(k[0] + s[0] - 1) / s[0], (k[1] + s[1] - 1) / s[1]});
  // Loop positions of n, c, h, w, jh, jw.
  SmallVector<unsigned> at = nhwc ? SmallVector<unsigned>{0, 5, 1, 2, 3, 4}
                                  : SmallVector<unsigned>{0, 1, 2, 3, 4, 5};
  auto d = [&](unsigned i) { return dim(ctx, at[i]); };
  SmallVector<AffineMap> maps = {
      AffineMap::get(6, 0, {d(4), d(5)}, ctx),
      AffineMap::get(6, 0,
                     nhwc ? SmallVector<AffineExpr>{d(0), d(2), d(3), d(1)}
                          : SmallVector<AffineExpr>{d(0), d(1), d(2), d(3)},
                     ctx)};
  SmallVector<IteratorType> iters(6, kPar);
  iters[at[4]] = iters[at[5]] = kRed;
  Value acc = filledTensor(rewriter, loc,
                           nhwc ? nhwcShape(x) : SmallVector<int64_t>(x),
                           0.0f);
  return yieldGeneric(
      rewriter, loc, ValueRange{window}, acc, maps, iters,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        auto index = [&](unsigned i) -> Value { return linalg::IndexOp::create(b, l, at[i]); };
        Value n = index(0), c = index(1), h = index(2), w = index(3);
        WindowHit hit = windowHit(b, l, h, w, index(4), index(5), k, s, p, y);
        return arith::AddFOp::create(b, l, a[1], term(b, l, n, c, h, w, hit));
      });
}

/// The first maximum of each max-pool window of `xp` (padded with -inf) as
/// a flat index into its padded plane of row length `wpad`, -1 where none
/// is above -inf: a reduction over the window, loops n, c, oh, ow, kh, kw
/// (NCHW) or n, oh, ow, c, kh, kw (`nhwc`). `y` is the output's NCHW shape.
Value firstMaxOverWindow(OpBuilder &b, Location loc, Value xp, ArrayRef<int64_t> y,
                         ArrayRef<int64_t> k, ArrayRef<int64_t> s, int64_t wpad, bool nhwc) {
  MLIRContext *ctx = b.getContext();
  float ninf = -std::numeric_limits<float>::infinity();
  unsigned ohDim = nhwc ? 1 : 2, owDim = ohDim + 1;
  AffineExpr n = dim(ctx, 0), c = dim(ctx, nhwc ? 3 : 1), oh = dim(ctx, ohDim),
             ow = dim(ctx, owDim), kh = dim(ctx, 4), kw = dim(ctx, 5);
  auto layout = [&](AffineExpr h, AffineExpr w) {
    return AffineMap::get(6, 0,
                          nhwc ? SmallVector<AffineExpr>{n, h, w, c}
                               : SmallVector<AffineExpr>{n, c, h, w},
                          ctx);
  };
  AffineMap outMap = layout(oh, ow);
  SmallVector<AffineMap> maps = {layout(oh * s[0] + kh, ow * s[1] + kw),
                                 AffineMap::get(6, 0, {kh, kw}, ctx), outMap, outMap};
  SmallVector<int64_t> yShape =
      nhwc ? nhwcShape(y) : SmallVector<int64_t>(y);
  Value window = emptyTensor(b, loc, k);
  Value maxInit = filledTensor(b, loc, yShape, ninf);
  Value idxInit =
      linalg::FillOp::create(b, loc, ValueRange{idx(b, loc, -1)},
                             ValueRange{tensor::EmptyOp::create(b, loc, yShape, b.getIndexType())})
          .getResult(0);
  auto argmax = linalg::GenericOp::create(
      b, loc, TypeRange{maxInit.getType(), idxInit.getType()}, ValueRange{xp, window},
      ValueRange{maxInit, idxInit}, maps,
      SmallVector<IteratorType>{kPar, kPar, kPar, kPar, kRed, kRed}, "", "",
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value hh = arith::AddIOp::create(
            b, l,
            arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, ohDim), idx(b, l, s[0])),
            linalg::IndexOp::create(b, l, 4));
        Value ww = arith::AddIOp::create(
            b, l,
            arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, owDim), idx(b, l, s[1])),
            linalg::IndexOp::create(b, l, 5));
        Value flat =
            arith::AddIOp::create(b, l, arith::MulIOp::create(b, l, hh, idx(b, l, wpad)), ww);
        Value better = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, a[0], a[2]);
        linalg::YieldOp::create(b, l,
                                ValueRange{arith::SelectOp::create(b, l, better, a[0], a[2]),
                                           arith::SelectOp::create(b, l, better, flat, a[3])});
      });
  return argmax.getResult(1);
}

/// The same for NHWC `xp`, as an elementwise op over the window's taps: one
/// strided view of `xp` per tap ([N, OH, OW, C]), compared in the body in
/// the window's order. As a reduction over the window, the running maximum
/// and its index went through memory at every tap (two outputs LLVM could
/// not keep in registers: ResNet's 3x3 pool at 224x224, batch 32, 20% of a
/// pool-only step); elementwise, the channels are the contiguous inner
/// loop, which LLVM vectorizes. Only for a gather that reads the indices
/// with tensor.extract: read through an indexing map, linalg's elementwise
/// fusion would recompute each window's maximum for every input of it.
Value firstMaxOverTapViews(OpBuilder &b, Location loc, Value xp, ArrayRef<int64_t> y,
                           ArrayRef<int64_t> k, ArrayRef<int64_t> s, int64_t wpad) {
  SmallVector<int64_t> yShape = nhwcShape(y);
  SmallVector<Value> taps;
  for (int64_t kh = 0; kh < k[0]; ++kh)
    for (int64_t kw = 0; kw < k[1]; ++kw) {
      SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(kh),
                                           b.getIndexAttr(kw), b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes, strides = {b.getIndexAttr(1), b.getIndexAttr(s[0]),
                                                  b.getIndexAttr(s[1]), b.getIndexAttr(1)};
      for (int64_t v : yShape)
        sizes.push_back(b.getIndexAttr(v));
      taps.push_back(tensor::ExtractSliceOp::create(b, loc, f32Tensor(b, yShape), xp, offsets,
                                                    sizes, strides));
    }
  SmallVector<AffineMap> maps(taps.size() + 1, b.getMultiDimIdentityMap(4));
  Value init = tensor::EmptyOp::create(b, loc, yShape, b.getIndexType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, taps, ValueRange{init}, maps,
             SmallVector<IteratorType>(4, kPar),
             [&](OpBuilder &b, Location l, ValueRange a) {
               Value hh = arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 1),
                                                idx(b, l, s[0]));
               Value ww = arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 2),
                                                idx(b, l, s[1]));
               Value corner = arith::AddIOp::create(
                   b, l, arith::MulIOp::create(b, l, hh, idx(b, l, wpad)), ww);
               Value best = f32Constant(b, l, -std::numeric_limits<float>::infinity());
               Value pos = idx(b, l, -1);
               for (int64_t t = 0; t < (int64_t)taps.size(); ++t) {
                 Value flat = arith::AddIOp::create(
                     b, l, corner, idx(b, l, (t / k[1]) * wpad + t % k[1]));
                 Value better =
                     arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, a[t], best);
                 best = arith::SelectOp::create(b, l, better, a[t], best);
                 pos = arith::SelectOp::create(b, l, better, flat, pos);
               }
               linalg::YieldOp::create(b, l, pos);
             })
      .getResult(0);
}

struct MaxPool2dGradLowering : OpConversionPattern<cnn::MaxPool2dGradOp> {
  MaxPool2dGradLowering(MLIRContext *ctx, bool channelsLast)
      : OpConversionPattern(ctx), channelsLast(channelsLast) {}
  bool channelsLast;
  LogicalResult matchAndRewrite(cnn::MaxPool2dGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto x = op.getInput().getType().getShape();
    auto y = op.getGrad().getType().getShape();
    auto k = op.getKernel(), s = op.getStride(), p = op.getPadding();
    auto [hiH, hiW] = poolHighPad(x, y, k, s, p);
    float ninf = -std::numeric_limits<float>::infinity();
    int64_t wpad = x[3] + p[1] + hiW;
    // Windows that tile the input exactly (stride = kernel, no padding, sizes
    // divisible): each input belongs to one window, found by an affine
    // floordiv, so the gradient is a plain elementwise gather. It runs in NHWC
    // (the transposes cancel against the channels-last neighbours' and the
    // channels are the contiguous inner loop), as does the CPU's gather for
    // overlapping windows (each input sums over the windows that may cover
    // it); the GPU's walks NCHW planes.
    bool tiling = s[0] == k[0] && s[1] == k[1] &&
                  llvm::all_of(p, [](int64_t v) { return v == 0; }) && x[2] == y[2] * k[0] &&
                  x[3] == y[3] * k[1];
    bool nhwc = tiling || channelsLast;
    Value input = adaptor.getInput();
    Value xp = nhwc ? paddedNhwc(rewriter, loc, input, {p[0], p[1]}, {hiH, hiW}, ninf)
                    : pad(rewriter, loc, input, {0, 0, p[0], p[1]}, {0, 0, hiH, hiW}, ninf);
    // 1. First maximum of each window, as a flat index into the padded input
    // (-1 where no element is above -inf).
    Value argIdx = nhwc && !tiling ? firstMaxOverTapViews(rewriter, loc, xp, y, k, s, wpad)
                                   : firstMaxOverWindow(rewriter, loc, xp, y, k, s, wpad, nhwc);
    Value gy = nhwc ? transpose(rewriter, loc, adaptor.getGrad(), {0, 2, 3, 1})
                    : adaptor.getGrad();
    Value r;
    // 2a. Tiling windows: each NHWC input element takes its window's gradient
    // if it is the window's winner.
    if (tiling) {
      AffineMap win = AffineMap::get(4, 0,
                                     {dim(ctx, 0), dim(ctx, 1).floorDiv(k[0]),
                                      dim(ctx, 2).floorDiv(k[1]), dim(ctx, 3)},
                                     ctx);
      AffineMap id4 = rewriter.getMultiDimIdentityMap(4);
      Value init = emptyTensor(rewriter, loc, nhwcShape(x));
      r = yieldGeneric(
          rewriter, loc, ValueRange{gy, argIdx}, init, {win, win, id4},
          {kPar, kPar, kPar, kPar}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value me = arith::AddIOp::create(
                b, l,
                arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 1), idx(b, l, wpad)),
                linalg::IndexOp::create(b, l, 2));
            Value mine = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, a[1], me);
            return arith::SelectOp::create(b, l, mine, a[0], f32Constant(b, l, 0.0f));
          });
    } else {
      // 2b. Overlapping windows: each input gathers the gradients of the windows
      // it won.
      r = sumOverWindows(
          rewriter, loc, x, y, k, s, p,
          [&](OpBuilder &b, Location l, Value n, Value c, Value h, Value w,
              const WindowHit &hit) -> Value {
            SmallVector<Value> at = nhwc ? SmallVector<Value>{n, hit.oh, hit.ow, c}
                                         : SmallVector<Value>{n, c, hit.oh, hit.ow};
            Value won = tensor::ExtractOp::create(b, l, argIdx, at);
            Value me = arith::AddIOp::create(
                b, l,
                arith::MulIOp::create(b, l, arith::AddIOp::create(b, l, h, idx(b, l, p[0])),
                                      idx(b, l, wpad)),
                arith::AddIOp::create(b, l, w, idx(b, l, p[1])));
            Value mine = arith::AndIOp::create(
                b, l, hit.valid, arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, won, me));
            Value g = tensor::ExtractOp::create(b, l, gy, at);
            return arith::SelectOp::create(b, l, mine, g, f32Constant(b, l, 0.0f));
          },
          nhwc);
    }
    rewriter.replaceOp(op, nhwc ? transpose(rewriter, loc, r, {0, 3, 1, 2}) : r);
    return success();
  }
};

struct AvgPool2dGradLowering : OpConversionPattern<cnn::AvgPool2dGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::AvgPool2dGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto x = op.getOutput().getType().getShape();
    auto y = op.getGrad().getType().getShape();
    auto k = op.getKernel(), s = op.getStride(), p = op.getPadding();
    bool includePad = op.getCountIncludePad();
    Value gy = adaptor.getGrad();
    Value r = sumOverWindows(
        rewriter, loc, x, y, k, s, p,
        [&](OpBuilder &b, Location l, Value n, Value c, Value h, Value w,
            const WindowHit &hit) -> Value {
          // The forward's divisor for window (oh, ow).
          Value extent[2];
          Value o[2] = {hit.oh, hit.ow};
          for (int i = 0; i < 2; ++i) {
            Value start = arith::SubIOp::create(
                b, l, arith::MulIOp::create(b, l, o[i], idx(b, l, s[i])), idx(b, l, p[i]));
            Value end = arith::MinSIOp::create(b, l, arith::AddIOp::create(b, l, start, idx(b, l, k[i])),
                                              idx(b, l, x[2 + i] + p[i + 2]));
            if (!includePad) {
              start = arith::MaxSIOp::create(b, l, start, idx(b, l, 0));
              end = arith::MinSIOp::create(b, l, end, idx(b, l, x[2 + i]));
            }
            extent[i] = arith::SubIOp::create(b, l, end, start);
          }
          Value count = arith::MulIOp::create(b, l, extent[0], extent[1]);
          Value countF = arith::SIToFPOp::create(
              b, l, b.getF32Type(), arith::IndexCastOp::create(b, l, b.getI64Type(), count));
          Value g = tensor::ExtractOp::create(b, l, gy, ValueRange{n, c, hit.oh, hit.ow});
          return arith::SelectOp::create(b, l, hit.valid, arith::DivFOp::create(b, l, g, countF),
                                         f32Constant(b, l, 0.0f));
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Adaptive pooling and upsampling: separable linear maps
//===----------------------------------------------------------------------===//

/// A row-major [rows, cols] matrix of one spatial axis's linear map.
struct AxisMap {
  int64_t rows, cols;
  std::vector<float> values;
  float &at(int64_t r, int64_t c) { return values[r * cols + c]; }
  AxisMap transposed() const {
    AxisMap t{cols, rows, std::vector<float>(values.size(), 0.0f)};
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        t.at(c, r) = values[r * cols + c];
    return t;
  }
  bool isIdentity() const {
    if (rows != cols)
      return false;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        if (values[r * cols + c] != (r == c ? 1.0f : 0.0f))
          return false;
    return true;
  }
};

/// nn.AdaptiveAvgPool2d along one axis: row i averages [floor(i*in/out),
/// ceil((i+1)*in/out)).
AxisMap adaptiveAverage(int64_t in, int64_t out) {
  AxisMap m{out, in, std::vector<float>(out * in, 0.0f)};
  for (int64_t i = 0; i < out; ++i) {
    int64_t start = (i * in) / out, end = ((i + 1) * in + out - 1) / out;
    for (int64_t h = start; h < end; ++h)
      m.at(i, h) = 1.0f / float(end - start);
  }
  return m;
}

/// PyTorch 1.13's upsample_{nearest,bilinear}2d source indices and weights
/// along one axis (aten/src/ATen/native/UpSample.h), in float as there.
AxisMap interpolation(int64_t in, int64_t out, bool bilinear, bool alignCorners,
                      std::optional<double> scaleFactor) {
  AxisMap m{out, in, std::vector<float>(out * in, 0.0f)};
  auto scalesValue = [&]() -> float {
    return scaleFactor && *scaleFactor > 0.0 ? float(1.0 / *scaleFactor)
                                              : float(in) / float(out);
  };
  for (int64_t i = 0; i < out; ++i) {
    if (!bilinear) {
      int64_t src;
      if (out == in)
        src = i;
      else if (out == 2 * in)
        src = i >> 1;
      else
        src = std::min<int64_t>(int64_t(std::floor(float(i) * scalesValue())), in - 1);
      m.at(i, src) = 1.0f;
      continue;
    }
    if (out == in) {
      m.at(i, i) = 1.0f;
      continue;
    }
    float scale = alignCorners ? (out > 1 ? float(in - 1) / float(out - 1) : 0.0f)
                               : scalesValue();
    float real = alignCorners ? scale * float(i) : scale * (float(i) + 0.5f) - 0.5f;
    if (!alignCorners && real < 0.0f)
      real = 0.0f;
    int64_t i0 = int64_t(real);
    int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
    float lambda1 = real - float(i0), lambda0 = 1.0f - lambda1;
    m.at(i, i0) += lambda0;
    m.at(i, i1) += lambda1;
  }
  return m;
}

/// y[..., r, ...] = sum_k map[r, k] * x[..., k, ...] along dimension `axis`
/// of a rank-4 tensor; x itself when the map is the identity.
Value applyAxisMap(OpBuilder &b, Location loc, Value x, int64_t axis, const AxisMap &map) {
  if (map.isIdentity())
    return x;
  MLIRContext *ctx = b.getContext();
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  SmallVector<int64_t> outShape(shape.begin(), shape.end());
  outShape[axis] = map.rows;
  auto matrixType = f32Tensor(b, {map.rows, map.cols});
  Value matrix = arith::ConstantOp::create(
      b, loc, matrixType, DenseElementsAttr::get(matrixType, ArrayRef<float>(map.values)));
  // Loops: the four output dims, then k.
  SmallVector<AffineExpr> xExprs, yExprs;
  for (unsigned d = 0; d < 4; ++d) {
    yExprs.push_back(dim(ctx, d));
    xExprs.push_back(d == axis ? dim(ctx, 4) : dim(ctx, d));
  }
  SmallVector<AffineMap> maps = {AffineMap::get(5, 0, xExprs, ctx),
                                 AffineMap::get(5, 0, {dim(ctx, axis), dim(ctx, 4)}, ctx),
                                 AffineMap::get(5, 0, yExprs, ctx)};
  return yieldGeneric(b, loc, ValueRange{x, matrix}, filledTensor(b, loc, outShape, 0.0f), maps,
                      {kPar, kPar, kPar, kPar, kRed}, multiplyAccumulate);
}

/// Applies the W map, then the H map (W first: it is the contiguous axis).
Value applySeparable(OpBuilder &b, Location loc, Value x, const AxisMap &rowsMap,
                     const AxisMap &colsMap) {
  return applyAxisMap(b, loc, applyAxisMap(b, loc, x, 3, colsMap), 2, rowsMap);
}

/// Equal windows are an ordinary average pool (its tiled NHWC schedule);
/// unequal ones the separable map.
struct AdaptiveAvgPool2dLowering : OpConversionPattern<cnn::AdaptiveAvgPool2dOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::AdaptiveAvgPool2dOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto in = op.getInput().getType().getShape();
    auto out = op.getOutput().getType().getShape();
    if (in[2] % out[2] == 0 && in[3] % out[3] == 0) {
      int64_t kh = in[2] / out[2], kw = in[3] / out[3];
      rewriter.replaceOp(op, cnn::AvgPool2dOp::create(
                                 rewriter, loc, op.getOutput().getType(), adaptor.getInput(),
                                 rewriter.getDenseI64ArrayAttr({kh, kw}),
                                 rewriter.getDenseI64ArrayAttr({kh, kw}),
                                 rewriter.getDenseI64ArrayAttr({0, 0, 0, 0}),
                                 rewriter.getBoolAttr(false), rewriter.getBoolAttr(true)));
      return success();
    }
    rewriter.replaceOp(op, applySeparable(rewriter, loc, adaptor.getInput(),
                                          adaptiveAverage(in[2], out[2]),
                                          adaptiveAverage(in[3], out[3])));
    return success();
  }
};

struct AdaptiveAvgPool2dGradLowering : OpConversionPattern<cnn::AdaptiveAvgPool2dGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::AdaptiveAvgPool2dGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto in = op.getOutput().getType().getShape();
    auto out = op.getGrad().getType().getShape();
    rewriter.replaceOp(op, applySeparable(rewriter, op.getLoc(), adaptor.getGrad(),
                                          adaptiveAverage(in[2], out[2]).transposed(),
                                          adaptiveAverage(in[3], out[3]).transposed()));
    return success();
  }
};

template <typename OpT>
std::pair<AxisMap, AxisMap> upsampleMaps(OpT op, ArrayRef<int64_t> in, ArrayRef<int64_t> out) {
  bool bilinear = op.getMode() == "bilinear";
  std::optional<double> fh, fw;
  if (auto factors = op.getScaleFactor()) {
    fh = (*factors)[0];
    fw = (*factors)[1];
  }
  return {interpolation(in[2], out[2], bilinear, op.getAlignCorners(), fh),
          interpolation(in[3], out[3], bilinear, op.getAlignCorners(), fw)};
}

struct UpsampleLowering : OpConversionPattern<cnn::UpsampleOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::UpsampleOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto [rowsMap, colsMap] = upsampleMaps(op, op.getInput().getType().getShape(),
                                           op.getOutput().getType().getShape());
    rewriter.replaceOp(op,
                       applySeparable(rewriter, op.getLoc(), adaptor.getInput(), rowsMap, colsMap));
    return success();
  }
};

struct UpsampleGradLowering : OpConversionPattern<cnn::UpsampleGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::UpsampleGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto [rowsMap, colsMap] = upsampleMaps(op, op.getOutput().getType().getShape(),
                                           op.getGrad().getType().getShape());
    rewriter.replaceOp(op, applySeparable(rewriter, op.getLoc(), adaptor.getGrad(),
                                          rowsMap.transposed(), colsMap.transposed()));
    return success();
  }
};

} // namespace

void cnnc::populatePoolingLoweringPatterns(RewritePatternSet &patterns,
                                           bool channelsLastPoolGradients) {
  patterns.add<MaxPool2dLowering, AvgPool2dLowering, GlobalAvgPool2dLowering,
               AvgPool2dGradLowering, AdaptiveAvgPool2dLowering,
               AdaptiveAvgPool2dGradLowering, UpsampleLowering, UpsampleGradLowering>(
      patterns.getContext());
  patterns.add<MaxPool2dGradLowering>(patterns.getContext(), channelsLastPoolGradients);
}
