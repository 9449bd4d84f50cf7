//===- PackColumnsIntoChannels.cpp - narrow convs fill their vectors ------===//
//
// A conv's register blocks run their vectors along the output channels: F
// channels fill F of the target's L lanes (LeNet's 6 of 16 on AVX-512), so
// every FMA does F lanes' work. Where p * F fits one vector, p adjacent
// output columns are packed into the channels (space-to-depth on the
// width): the input is viewed as [N, H, W / p, p * C] and the output as
// [N, OH, OW / p, p * F], both free reshapes of NHWC, and the filter
// becomes [KH, KW', p * C, p * F] with KW' = (KW + p - 2) / p + 1, where
// W'[kh, kw', j' C + c, j F + f] = W[kh, p kw' + j' - j, c, f] (zero
// outside the window). Per output column the FMAs go from KW to KW' (5 to
// 3 for p = 2), each on p times the lanes; the zeros of W' are the price.
// Only stride-1, undilated convs whose accumulator starts as a fill (a
// data gradient's zeros: its fill joins the packed conv's register
// blocks), with widths that divide by p. The filter depends on parameters
// only in inference (hoisted to @prepare); in a training step it is
// rebuilt per call, KH x KW' x pC x pF floats.
//
//===----------------------------------------------------------------------===//

#include "Conversion/CnnToLinalg/LoweringUtils.h"
#include "Passes.h"

#include "Codegen/CodegenDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace cnnc {
#define GEN_PASS_DEF_PACKCOLUMNSINTOCHANNELSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// Filter columns of the packed conv: taps kw + j (j < p) in groups of p.
int64_t packedTaps(int64_t kw, int64_t p) { return (kw + p - 2) / p + 1; }

/// The columns to pack for `conv` on vectors of `lanes` floats: the largest
/// p >= 2 with p * F within one vector that divides both widths and takes
/// fewer filter columns than the conv has; 1 where none does.
int64_t packFactor(linalg::Conv2DNhwcHwcfOp conv, int64_t lanes) {
  if (!conv.hasPureTensorSemantics())
    return 1;
  auto x = cast<RankedTensorType>(conv.getDpsInputs()[0].getType());
  auto w = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
  auto y = cast<RankedTensorType>(conv.getDpsInits()[0].getType());
  if (!x.hasStaticShape() || !w.hasStaticShape() || !y.hasStaticShape() ||
      !x.getElementType().isF32() || !w.getElementType().isF32())
    return 1;
  auto unit = [](DenseIntElementsAttr a) {
    return llvm::all_of(a.getValues<int64_t>(), [](int64_t v) { return v == 1; });
  };
  if (!unit(conv.getStrides()) || !unit(conv.getDilations()) ||
      !conv.getDpsInits()[0].getDefiningOp<linalg::FillOp>())
    return 1;
  int64_t f = w.getDimSize(3), kw = w.getDimSize(1);
  for (int64_t p = lanes / f; p >= 2; --p)
    if (y.getDimSize(2) % p == 0 && x.getDimSize(2) % p == 0 && packedTaps(kw, p) < kw &&
        x.getDimSize(2) / p >= y.getDimSize(2) / p + packedTaps(kw, p) - 1)
      return p;
  return 1;
}

/// [N, H, W, K] as [N, H, W / p, p * K] (`pack`), or back: the same
/// elements through [N, H, W / p, p, K] (resp. [N, H, W, p, K / p]), the
/// factor p moved from the columns to the channels or the other way.
Value regroupColumns(OpBuilder &b, Location loc, Value v, int64_t p, bool pack) {
  auto type = cast<RankedTensorType>(v.getType());
  auto s = type.getShape();
  SmallVector<int64_t> split = pack ? SmallVector<int64_t>{s[0], s[1], s[2] / p, p, s[3]}
                                    : SmallVector<int64_t>{s[0], s[1], s[2], p, s[3] / p};
  auto columns = cnnc::lowering::groupDims(5, 2, 4), channels = cnnc::lowering::groupDims(5, 3, 5);
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(split, type.getElementType()), v, pack ? columns : channels);
  return tensor::CollapseShapeOp::create(b, loc, expanded, pack ? channels : columns);
}

/// W'[kh, kw', j' C + c, j F + f] = W[kh, p kw' + j' - j, c, f], zero where
/// that tap is outside the window: for each (j', j), the taps with
/// kw = p kw' + (j' - j) are a stride-p slice of W inserted at its block.
Value packedFilter(OpBuilder &b, Location loc, Value w, int64_t p) {
  auto type = cast<RankedTensorType>(w.getType());
  int64_t kh = type.getDimSize(0), kw = type.getDimSize(1), c = type.getDimSize(2),
          f = type.getDimSize(3), taps = packedTaps(kw, p);
  auto index = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value empty = tensor::EmptyOp::create(b, loc, {kh, taps, p * c, p * f}, b.getF32Type());
  Value packed = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  for (int64_t jIn = 0; jIn < p; ++jIn)
    for (int64_t jOut = 0; jOut < p; ++jOut) {
      int64_t shift = jIn - jOut;
      int64_t first = shift < 0 ? (-shift + p - 1) / p : 0; // first kw' with kw >= 0
      int64_t count = 0;
      while (first + count < taps && p * (first + count) + shift < kw)
        ++count;
      if (count == 0)
        continue;
      Value slice = tensor::ExtractSliceOp::create(
          b, loc, w, {index(0), index(p * first + shift), index(0), index(0)},
          {index(kh), index(count), index(c), index(f)},
          {index(1), index(p), index(1), index(1)});
      packed = tensor::InsertSliceOp::create(
          b, loc, slice, packed, {index(0), index(first), index(jIn * c), index(jOut * f)},
          {index(kh), index(count), index(c), index(f)},
          {index(1), index(1), index(1), index(1)});
    }
  return packed;
}

struct PackColumnsIntoChannelsPass
    : cnnc::impl::PackColumnsIntoChannelsPassBase<PackColumnsIntoChannelsPass> {
  using PackColumnsIntoChannelsPassBase::PackColumnsIntoChannelsPassBase;

  void runOnOperation() override {
    codegen::CpuTargetAttr target = codegen::getCpuTarget(getOperation());
    if (!target) {
      getOperation().emitError("cnnc-pack-columns-into-channels needs a `codegen.target`");
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::Conv2DNhwcHwcfOp, int64_t>> convs;
    getOperation().walk([&](linalg::Conv2DNhwcHwcfOp conv) {
      if (int64_t p = packFactor(conv, target.getLanes()); p > 1)
        convs.push_back({conv, p});
    });
    for (auto [conv, p] : convs)
      pack(conv, p);
  }

  void pack(linalg::Conv2DNhwcHwcfOp conv, int64_t p) {
    OpBuilder b(conv);
    Location loc = conv.getLoc();
    auto fill = conv.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    auto y = cast<RankedTensorType>(conv.getResult(0).getType());
    Value empty = tensor::EmptyOp::create(
        b, loc, {y.getDimSize(0), y.getDimSize(1), y.getDimSize(2) / p, p * y.getDimSize(3)},
        y.getElementType());
    Value acc = linalg::FillOp::create(b, loc, fill.getInputs()[0], empty).getResult(0);
    auto packed = linalg::Conv2DNhwcHwcfOp::create(
        b, loc, TypeRange{acc.getType()},
        ValueRange{regroupColumns(b, loc, conv.getDpsInputs()[0], p, /*pack=*/true),
                   packedFilter(b, loc, conv.getDpsInputs()[1], p)},
        ValueRange{acc}, conv.getStrides(), conv.getDilations());
    // cnnc's own annotations carry over (not linalg's memoized maps).
    for (NamedAttribute attr : conv->getDiscardableAttrs())
      packed->setAttr(attr.getName(), attr.getValue());
    conv.getResult(0).replaceAllUsesWith(
        regroupColumns(b, loc, packed.getResult(0), p, /*pack=*/false));
    conv.erase();
  }
};

} // namespace
