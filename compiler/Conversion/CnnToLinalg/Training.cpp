//===- Training.cpp - the training step's ops to linalg --------------------===//
//
// Gradients are linalg.generics in "gather" form (each output element sums
// its contributions), so they need no atomics on any target. Where a
// contribution's position is not an affine function of the loop indices
// (pooling windows), the body reads with tensor.extract at clamped indices
// and masks invalid terms.
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

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

AffineExpr dim(MLIRContext *ctx, unsigned i) { return getAffineDimExpr(i, ctx); }

Value yieldGeneric(OpBuilder &b, Location loc, ValueRange ins, Value init,
                   ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iters,
                   function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, ins, ValueRange{init},
                                   maps, iters, "", "",
                                   [&](OpBuilder &nb, Location nl, ValueRange args) {
                                     linalg::YieldOp::create(nb, nl, body(nb, nl, args));
                                   })
      .getResult(0);
}

/// Body of a sum-of-products generic: acc + in0 * in1 (acc is the last arg).
Value multiplyAccumulate(OpBuilder &b, Location l, ValueRange a) {
  return arith::AddFOp::create(b, l, a.back(), arith::MulFOp::create(b, l, a[0], a[1]));
}

Value idx(OpBuilder &b, Location l, int64_t v) { return arith::ConstantIndexOp::create(b, l, v); }

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

/// groups = 1: dL/dx as a forward convolution (NHWC, so that the CPU
/// schedule tiles and vectorizes it): dL/dy dilated by the stride and
/// shifted, convolved with the filter flipped in space and transposed
/// (O <-> C), with the forward's dilation.
Value convGradInputAsConv(OpBuilder &b, Location loc, cnn::Conv2dGradInputOp op, Value gy,
                          Value w) {
  MLIRContext *ctx = b.getContext();
  auto gs = op.getGrad().getType().getShape();
  auto ws = op.getWeight().getType().getShape();
  auto xs = op.getOutput().getType().getShape();
  auto s = op.getStride(), p = op.getPadding(), d = op.getDilation();
  Value dil = gy;
  if (s[0] != 1 || s[1] != 1) {
    int64_t lh = (gs[2] - 1) * s[0] + 1, lw = (gs[3] - 1) * s[1] + 1;
    Value zeros = filledTensor(b, loc, {gs[0], gs[1], lh, lw}, 0.0f);
    SmallVector<OpFoldResult> offs(4, b.getIndexAttr(0)), sizes,
        strides = {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(s[0]),
                   b.getIndexAttr(s[1])};
    for (int64_t v : gs)
      sizes.push_back(b.getIndexAttr(v));
    dil = tensor::InsertSliceOp::create(b, loc, gy, zeros, offs, sizes, strides);
  }
  int64_t kdh = d[0] * (ws[2] - 1), kdw = d[1] * (ws[3] - 1);
  // T[u] = dil[u - (kdh - pt)], u in [0, H + kdh).
  Value t = shiftSpatial(b, loc, dil, 2, kdh - p[0], xs[2] + kdh);
  t = shiftSpatial(b, loc, t, 3, kdw - p[1], xs[3] + kdw);
  t = transpose(b, loc, t, {0, 2, 3, 1}); // N, H+kdh, W+kdw, O
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

//===----------------------------------------------------------------------===//
// Pooling gradients
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

/// For each of the window positions (kh, kw) that could cover input
/// (h, w): the output position, and whether it exists.
struct WindowHit {
  Value oh, ow, valid;
};
WindowHit windowHit(OpBuilder &b, Location l, Value h, Value w, Value kh, Value kw,
                    ArrayRef<int64_t> s, ArrayRef<int64_t> p, ArrayRef<int64_t> y) {
  auto one = [&](Value pos, Value k, int64_t stride, int64_t pad, int64_t out, Value &o) {
    Value num = arith::SubIOp::create(b, l, arith::AddIOp::create(b, l, pos, idx(b, l, pad)), k);
    Value nonneg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, num, idx(b, l, 0));
    Value rem = arith::RemSIOp::create(b, l, num, idx(b, l, stride));
    Value exact = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, rem, idx(b, l, 0));
    Value q = arith::DivSIOp::create(b, l, num, idx(b, l, stride));
    Value inRange = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, q, idx(b, l, out));
    Value ok = arith::AndIOp::create(b, l, nonneg, arith::AndIOp::create(b, l, exact, inRange));
    // Clamp so that the read stays in bounds; the term is masked anyway.
    o = arith::MaxSIOp::create(b, l, idx(b, l, 0),
                               arith::MinSIOp::create(b, l, q, idx(b, l, out - 1)));
    return ok;
  };
  WindowHit hit;
  Value v1 = one(h, kh, s[0], p[0], y[2], hit.oh);
  Value v2 = one(w, kw, s[1], p[1], y[3], hit.ow);
  hit.valid = arith::AndIOp::create(b, l, v1, v2);
  return hit;
}

/// A pooling's dL/dx in gather form: input element [n, c, h, w] sums, over
/// the kernel offsets (kh, kw), `term` of the output window those offsets
/// place it in (`hit`; `hit.valid` is false where there is none).
using WindowTerm = llvm::function_ref<Value(OpBuilder &, Location, Value n, Value c, Value h,
                                            Value w, const WindowHit &hit)>;
Value sumOverWindows(OpBuilder &rewriter, Location loc, ArrayRef<int64_t> x,
                     ArrayRef<int64_t> y, ArrayRef<int64_t> k, ArrayRef<int64_t> s,
                     ArrayRef<int64_t> p, WindowTerm term) {
  MLIRContext *ctx = rewriter.getContext();
  Value window = emptyTensor(rewriter, loc, k);
  SmallVector<AffineMap> maps = {
      AffineMap::get(6, 0, {dim(ctx, 4), dim(ctx, 5)}, ctx),
      AffineMap::get(6, 0, {dim(ctx, 0), dim(ctx, 1), dim(ctx, 2), dim(ctx, 3)}, ctx)};
  Value acc = filledTensor(rewriter, loc, x, 0.0f);
  return yieldGeneric(
      rewriter, loc, ValueRange{window}, acc, maps, {kPar, kPar, kPar, kPar, kRed, kRed},
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value n = linalg::IndexOp::create(b, l, 0), c = linalg::IndexOp::create(b, l, 1);
        Value h = linalg::IndexOp::create(b, l, 2), w = linalg::IndexOp::create(b, l, 3);
        Value kh = linalg::IndexOp::create(b, l, 4), kw = linalg::IndexOp::create(b, l, 5);
        WindowHit hit = windowHit(b, l, h, w, kh, kw, s, p, y);
        return arith::AddFOp::create(b, l, a[1], term(b, l, n, c, h, w, hit));
      });
}

struct MaxPool2dGradLowering : OpConversionPattern<cnn::MaxPool2dGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::MaxPool2dGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto x = op.getInput().getType().getShape();
    auto y = op.getGrad().getType().getShape();
    auto k = op.getKernel(), s = op.getStride(), p = op.getPadding();
    auto [hiH, hiW] = poolHighPad(x, y, k, s, p);
    float ninf = -std::numeric_limits<float>::infinity();
    Value xp = pad(rewriter, loc, adaptor.getInput(), {0, 0, p[0], p[1]}, {0, 0, hiH, hiW}, ninf);
    int64_t wpad = x[3] + p[1] + hiW;
    // 1. First maximum of each window, as a flat index into the padded input.
    SmallVector<AffineMap> amaps = {
        AffineMap::get(6, 0,
                       {dim(ctx, 0), dim(ctx, 1), dim(ctx, 2) * s[0] + dim(ctx, 4),
                        dim(ctx, 3) * s[1] + dim(ctx, 5)},
                       ctx),
        AffineMap::get(6, 0, {dim(ctx, 4), dim(ctx, 5)}, ctx),
        AffineMap::get(6, 0, {dim(ctx, 0), dim(ctx, 1), dim(ctx, 2), dim(ctx, 3)}, ctx),
        AffineMap::get(6, 0, {dim(ctx, 0), dim(ctx, 1), dim(ctx, 2), dim(ctx, 3)}, ctx)};
    Value window = emptyTensor(rewriter, loc, k);
    Value maxInit = filledTensor(rewriter, loc, y, ninf);
    Value idxInit = linalg::FillOp::create(
                        rewriter, loc,
                        ValueRange{arith::ConstantIndexOp::create(rewriter, loc, -1)},
                        ValueRange{tensor::EmptyOp::create(rewriter, loc, y,
                                                           rewriter.getIndexType())})
                        .getResult(0);
    auto argmax = linalg::GenericOp::create(
        rewriter, loc, TypeRange{maxInit.getType(), idxInit.getType()},
        ValueRange{xp, window}, ValueRange{maxInit, idxInit}, amaps,
        SmallVector<IteratorType>{kPar, kPar, kPar, kPar, kRed, kRed}, "", "",
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value hh = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 2), idx(b, l, s[0])),
              linalg::IndexOp::create(b, l, 4));
          Value ww = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 3), idx(b, l, s[1])),
              linalg::IndexOp::create(b, l, 5));
          Value flat = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, hh, idx(b, l, wpad)), ww);
          Value better = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, a[0], a[2]);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, better, a[0], a[2]),
                         arith::SelectOp::create(b, l, better, flat, a[3])});
        });
    Value argIdx = argmax.getResult(1);
    // 2a. Windows that tile the input exactly (stride = kernel, no padding,
    // sizes divisible): each input belongs to one window, found by an affine
    // floordiv, so the gather is a plain elementwise generic.
    if (s[0] == k[0] && s[1] == k[1] && llvm::all_of(p, [](int64_t v) { return v == 0; }) &&
        x[2] == y[2] * k[0] && x[3] == y[3] * k[1]) {
      AffineMap win = AffineMap::get(4, 0,
                                     {dim(ctx, 0), dim(ctx, 1), dim(ctx, 2).floorDiv(k[0]),
                                      dim(ctx, 3).floorDiv(k[1])},
                                     ctx);
      AffineMap id4 = rewriter.getMultiDimIdentityMap(4);
      Value init = emptyTensor(rewriter, loc, x);
      Value r = yieldGeneric(
          rewriter, loc, ValueRange{adaptor.getGrad(), argIdx}, init, {win, win, id4},
          {kPar, kPar, kPar, kPar}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value me = arith::AddIOp::create(
                b, l,
                arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 2), idx(b, l, wpad)),
                linalg::IndexOp::create(b, l, 3));
            Value mine = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, a[1], me);
            return arith::SelectOp::create(b, l, mine, a[0], f32Constant(b, l, 0.0f));
          });
      rewriter.replaceOp(op, r);
      return success();
    }
    // 2b. Each input position gathers the gradients of the windows it won.
    Value gy = adaptor.getGrad();
    Value r = sumOverWindows(
        rewriter, loc, x, y, k, s, p,
        [&](OpBuilder &b, Location l, Value n, Value c, Value h, Value w,
            const WindowHit &hit) -> Value {
          Value won = tensor::ExtractOp::create(b, l, argIdx, ValueRange{n, c, hit.oh, hit.ow});
          Value me = arith::AddIOp::create(
              b, l,
              arith::MulIOp::create(b, l, arith::AddIOp::create(b, l, h, idx(b, l, p[0])),
                                    idx(b, l, wpad)),
              arith::AddIOp::create(b, l, w, idx(b, l, p[1])));
          Value mine = arith::AndIOp::create(
              b, l, hit.valid, arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, won, me));
          Value g = tensor::ExtractOp::create(b, l, gy, ValueRange{n, c, hit.oh, hit.ow});
          return arith::SelectOp::create(b, l, mine, g, f32Constant(b, l, 0.0f));
        });
    rewriter.replaceOp(op, r);
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
// Elementwise gradients, reductions, reshapes
//===----------------------------------------------------------------------===//

struct ActivationGradLowering : OpConversionPattern<cnn::ActivationGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::ActivationGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    std::string kind = op.getKind().str();
    auto shape = op.getOutput().getType().getShape();
    Value r = elementwise(
        rewriter, op.getLoc(), ValueRange{adaptor.getGrad(), adaptor.getValue()}, shape,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value zero = f32Constant(b, l, 0.0f), one = f32Constant(b, l, 1.0f);
          if (kind == "relu" || kind == "relu6") {
            Value pass = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, a[1], zero);
            if (kind == "relu6")
              pass = arith::AndIOp::create(
                  b, l, pass,
                  arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, a[1],
                                        f32Constant(b, l, 6.0f)));
            return arith::SelectOp::create(b, l, pass, a[0], zero);
          }
          if (kind == "sigmoid") // y (1 - y)
            return arith::MulFOp::create(
                b, l, a[0],
                arith::MulFOp::create(b, l, a[1], arith::SubFOp::create(b, l, one, a[1])));
          // tanh: 1 - y^2
          return arith::MulFOp::create(
              b, l, a[0],
              arith::SubFOp::create(b, l, one, arith::MulFOp::create(b, l, a[1], a[1])));
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
          Value linear = linalg::IndexOp::create(b, l, 0);
          for (int64_t i = 1; i < rank; ++i)
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
    AffineMap scalar = AffineMap::get(rank, 0, {getAffineConstantExpr(0, ctx)}, ctx);
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

//===----------------------------------------------------------------------===//
// Batchnorm in training mode
//===----------------------------------------------------------------------===//

/// Per-channel (dim 1) sum of fn(inputs) over every other dimension; with
/// a rows mask ([N], see cnn.label_mask), of rows[n] * fn(inputs).
Value channelSum(OpBuilder &b, Location loc, ValueRange ins, ArrayRef<AffineMap> inMaps,
                 int64_t rank, int64_t channels, Value rows,
                 function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  MLIRContext *ctx = b.getContext();
  SmallVector<IteratorType> iters(rank, kRed);
  iters[1] = kPar;
  SmallVector<Value> inputs(ins.begin(), ins.end());
  SmallVector<AffineMap> maps(inMaps.begin(), inMaps.end());
  if (rows) {
    inputs.push_back(rows);
    maps.push_back(AffineMap::get(rank, 0, {dim(ctx, 0)}, ctx));
  }
  maps.push_back(AffineMap::get(rank, 0, {dim(ctx, 1)}, ctx));
  Value acc = filledTensor(b, loc, {channels}, 0.0f);
  return yieldGeneric(b, loc, inputs, acc, maps, iters,
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        ValueRange operands = a.drop_back(rows ? 2 : 1);
                        Value term = fn(nb, l, operands);
                        if (rows)
                          term = arith::MulFOp::create(nb, l, term, a[a.size() - 2]);
                        return arith::AddFOp::create(nb, l, a.back(), term);
                      });
}

/// Elements per channel that batchnorm's statistics count, as tensor<1xf32>:
/// N * (H * W) without a rows mask, sum(rows) * (H * W) with one.
Value countedElements(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Value rows) {
  int64_t perRow = 1;
  for (size_t i = 2; i < shape.size(); ++i)
    perRow *= shape[i];
  if (!rows)
    return filledTensor(b, loc, {1}, float(shape[0] * perRow));
  MLIRContext *ctx = b.getContext();
  AffineMap id1 = b.getMultiDimIdentityMap(1);
  AffineMap scalar = AffineMap::get(1, 0, {getAffineConstantExpr(0, ctx)}, ctx);
  return yieldGeneric(b, loc, ValueRange{rows}, filledTensor(b, loc, {1}, 0.0f), {id1, scalar},
                      {kRed}, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        return arith::AddFOp::create(
                            nb, l, a[1], arith::MulFOp::create(nb, l, a[0], f32Constant(nb, l, float(perRow))));
                      });
}

struct BatchNormTrainLowering : OpConversionPattern<cnn::BatchNormTrainOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::BatchNormTrainOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto shape = op.getInput().getType().getShape();
    int64_t rank = shape.size(), c = shape[1];
    float eps = (float)op.getEpsilon().convertToDouble();
    float mom = (float)op.getMomentum().convertToDouble();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap ch = AffineMap::get(rank, 0, {dim(ctx, 1)}, ctx);
    Value x = adaptor.getInput(), rows = adaptor.getRows();
    Value count = countedElements(rewriter, loc, shape, rows);
    auto perElement = [&](Value v) { // v / count, per channel
      return elementwise(rewriter, loc, {v, count}, {c},
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           return arith::DivFOp::create(b, l, a[0], a[1]);
                         });
    };
    Value sum = channelSum(rewriter, loc, {x}, {id}, rank, c, rows,
                           [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    Value mean = perElement(sum);
    Value sq = channelSum(rewriter, loc, {x, mean}, {id, ch}, rank, c, rows,
                          [](OpBuilder &b, Location l, ValueRange a) -> Value {
                            Value d = arith::SubFOp::create(b, l, a[0], a[1]);
                            return arith::MulFOp::create(b, l, d, d);
                          });
    Value var = perElement(sq);
    Value invstd = elementwise(rewriter, loc, {var}, {c},
                               [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                 return math::RsqrtOp::create(
                                     b, l, arith::AddFOp::create(b, l, a[0], f32Constant(b, l, eps)));
                               });
    Value yInit = emptyTensor(rewriter, loc, shape);
    Value y = yieldGeneric(
        rewriter, loc, ValueRange{x, mean, invstd, adaptor.getWeight(), adaptor.getBias()},
        yInit, {id, ch, ch, ch, ch, id}, SmallVector<IteratorType>(rank, kPar),
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value xh = arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, a[0], a[1]), a[2]);
          return arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, xh, a[3]), a[4]);
        });
    // running = (1 - momentum) * running + momentum * batch value; the
    // variance's is unbiased: times count / (count - 1) (1 for one element).
    auto blend = [&](Value old, Value batch, bool unbiased) {
      return elementwise(rewriter, loc, {old, batch, count}, {c},
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value o = arith::MulFOp::create(b, l, a[0], f32Constant(b, l, 1.0f - mom));
                           Value v = a[1];
                           if (unbiased) {
                             Value one = f32Constant(b, l, 1.0f);
                             Value less = arith::MaximumFOp::create(
                                 b, l, arith::SubFOp::create(b, l, a[2], one), one);
                             Value factor = arith::SelectOp::create(
                                 b, l,
                                 arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, a[2], one),
                                 arith::DivFOp::create(b, l, a[2], less), one);
                             v = arith::MulFOp::create(b, l, v, factor);
                           }
                           Value n = arith::MulFOp::create(b, l, v, f32Constant(b, l, mom));
                           return arith::AddFOp::create(b, l, o, n);
                         });
    };
    Value rm = blend(adaptor.getRunningMean(), mean, false);
    Value rv = blend(adaptor.getRunningVar(), var, true);
    rewriter.replaceOp(op, ValueRange{y, mean, invstd, rm, rv});
    return success();
  }
};

struct BatchNormGradLowering : OpConversionPattern<cnn::BatchNormGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::BatchNormGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto shape = op.getInput().getType().getShape();
    int64_t rank = shape.size(), c = shape[1];
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap ch = AffineMap::get(rank, 0, {dim(ctx, 1)}, ctx);
    AffineMap scalar = AffineMap::get(rank, 0, {getAffineConstantExpr(0, ctx)}, ctx);
    AffineMap rowOf = AffineMap::get(rank, 0, {dim(ctx, 0)}, ctx);
    Value gy = adaptor.getGrad(), x = adaptor.getInput(), rows = adaptor.getRows();
    Value mean = adaptor.getMean(), invstd = adaptor.getInvstd(), w = adaptor.getWeight();
    Value count = countedElements(rewriter, loc, shape, rows);
    Value gb = channelSum(rewriter, loc, {gy}, {id}, rank, c, rows,
                          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    Value gw = channelSum(rewriter, loc, {gy, x, mean, invstd}, {id, id, ch, ch}, rank, c, rows,
                          [](OpBuilder &b, Location l, ValueRange a) -> Value {
                            Value xh = arith::MulFOp::create(
                                b, l, arith::SubFOp::create(b, l, a[1], a[2]), a[3]);
                            return arith::MulFOp::create(b, l, a[0], xh);
                          });
    Value gxInit = emptyTensor(rewriter, loc, shape);
    SmallVector<Value> ins = {gy, x, mean, invstd, w, gb, gw, count};
    SmallVector<AffineMap> maps = {id, id, ch, ch, ch, ch, ch, scalar};
    if (rows) {
      ins.push_back(rows);
      maps.push_back(rowOf);
    }
    maps.push_back(id);
    Value gx = yieldGeneric(
        rewriter, loc, ins, gxInit, maps, SmallVector<IteratorType>(rank, kPar),
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value m = a[7];
          Value xh = arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, a[1], a[2]), a[3]);
          Value t = arith::SubFOp::create(
              b, l,
              arith::SubFOp::create(b, l, arith::MulFOp::create(b, l, a[0], m), a[5]),
              arith::MulFOp::create(b, l, xh, a[6]));
          Value scale = arith::DivFOp::create(b, l, arith::MulFOp::create(b, l, a[4], a[3]), m);
          if (rows) // padding rows get no gradient
            scale = arith::MulFOp::create(b, l, scale, a[8]);
          return arith::MulFOp::create(b, l, scale, t);
        });
    rewriter.replaceOp(op, ValueRange{gx, gw, gb});
    return success();
  }
};

/// 1.0 where the label is a class (>= 0), 0.0 on padding rows.
struct LabelMaskLowering : OpConversionPattern<cnn::LabelMaskOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::LabelMaskOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t n = op.getRows().getType().getShape()[0];
    AffineMap id1 = rewriter.getMultiDimIdentityMap(1);
    Value mask = yieldGeneric(rewriter, loc, ValueRange{adaptor.getLabels()},
                              emptyTensor(rewriter, loc, {n}), {id1, id1}, {kPar},
                              [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                Value real = arith::CmpIOp::create(
                                    b, l, arith::CmpIPredicate::sge, a[0],
                                    arith::ConstantIntOp::create(b, l, b.getI64Type(), 0));
                                return arith::SelectOp::create(b, l, real, f32Constant(b, l, 1.0f),
                                                               f32Constant(b, l, 0.0f));
                              });
    rewriter.replaceOp(op, mask);
    return success();
  }
};

} // namespace

void cnnc::populateTrainingLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2dGradInputLowering, Conv2dGradWeightLowering, MaxPool2dGradLowering,
               AvgPool2dGradLowering, ActivationGradLowering, ReduceToLowering,
               BroadcastToLowering, MatmulLowering, ReshapeLowering,
               SoftmaxCrossEntropyLowering, SgdUpdateLowering, BatchNormTrainLowering,
               BatchNormGradLowering, LabelMaskLowering, SliceGradLowering, SoftmaxGradLowering,
               DropoutTrainLowering>(patterns.getContext());
}
