//===- SplitStridedConvs.cpp - strided convs as stride-1 convs on views ---===//
//
// A conv with stride s reads one pixel in s of each input row per kernel
// tap. Its vectorized row (after the decomposition to a 1-D conv) loads the
// whole input span under the row, (OW - 1) * s + KW pixels, and picks the
// used ones out of the vector with shuffles, one output at a time: ResNet's
// strided layers ran at 26-50% of peak against 60-90% for their stride-1
// neighbours of the same shape. Here the conv is split by phase (polyphase
// decomposition): the taps (kh, kw) with kh = ph mod s_h, kw = pw mod s_w
// form a stride-1 conv over the strided view x[ph::s_h, pw::s_w] of the
// input, and the s_h x s_w phase convs accumulate into the output in turn.
// Bufferization turns each view into a strided `memref.subview`: nothing is
// copied; the phase filters are strided slices of the filter, which depend
// on parameters only and are made contiguous once at load. A 1x1 conv has
// one phase: a stride-1 conv on every s-th pixel.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/ScheduledOps.h"

#include "Codegen/CodegenDialect.h"

namespace cnnc {
#define GEN_PASS_DEF_SPLITSTRIDEDCONVSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// Whether the target runs `conv` on matrix tiles once it has unit stride
/// (cnnc-select-cpu-schedules: input channels a multiple of a tile row's).
bool takesMatrixTilesSplit(linalg::Conv2DNhwcHwcfOp conv, codegen::CpuTargetAttr target) {
  if (!target)
    return false;
  Type element = cast<RankedTensorType>(conv.getDpsInputs()[0].getType()).getElementType();
  int64_t c = cast<RankedTensorType>(conv.getDpsInputs()[1].getType()).getDimSize(2);
  int64_t tileChannels = target.getMatrixTileChannels(element);
  return tileChannels > 0 && c % tileChannels == 0;
}

bool isSplittable(linalg::Conv2DNhwcHwcfOp conv, int64_t minChannels, int64_t maxWindowedWidth,
                  codegen::CpuTargetAttr target) {
  if (!conv.hasPureTensorSemantics())
    return false;
  auto x = cast<RankedTensorType>(conv.getDpsInputs()[0].getType());
  auto w = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
  auto y = cast<RankedTensorType>(conv.getDpsInits()[0].getType());
  if (!x.hasStaticShape() || !w.hasStaticShape() || !y.hasStaticShape())
    return false;
  if (w.getDimSize(2) < minChannels)
    return false;
  // One group of a grouped conv stays whole: its rows are walked with the
  // other groups' (cnnc-walk-rows-outside-blocks), one nest per group.
  if (cnnc::groupedConvInput(conv))
    return false;
  bool pointwise = w.getDimSize(0) == 1 && w.getDimSize(1) == 1;
  // With dilations the taps of one phase are not evenly spaced in the view
  // (a 1x1 window has no second tap for a dilation to apply to).
  if (!pointwise && llvm::any_of(conv.getDilations().getValues<int64_t>(),
                                 [](int64_t d) { return d != 1; }))
    return false;
  // A windowed conv's phases each pass over the whole output: worth it on
  // narrow rows, whose strided blocks were slowest and whose outputs stay
  // in cache between phases.
  if (!pointwise && y.getDimSize(2) > maxWindowedWidth && !takesMatrixTilesSplit(conv, target))
    return false;
  return llvm::any_of(conv.getStrides().getValues<int64_t>(), [](int64_t s) { return s != 1; });
}

struct SplitStridedConvsPass : cnnc::impl::SplitStridedConvsPassBase<SplitStridedConvsPass> {
  using SplitStridedConvsPassBase::SplitStridedConvsPassBase;

  void runOnOperation() override {
    SmallVector<linalg::Conv2DNhwcHwcfOp> convs;
    codegen::CpuTargetAttr target = codegen::getCpuTarget(getOperation());
    getOperation().walk([&](linalg::Conv2DNhwcHwcfOp conv) {
      if (isSplittable(conv, minChannels, maxWindowedWidth, target))
        convs.push_back(conv);
    });
    for (linalg::Conv2DNhwcHwcfOp conv : convs)
      splitByPhase(conv);
  }

  /// y[n, i, j, f] += sum x[n, s_h i + kh, s_w j + kw, c] w[kh, kw, c, f].
  /// Phase (ph, pw) takes the taps kh = ph + s_h a, kw = pw + s_w b: its
  /// view v[n, r, q, c] = x[n, ph + s_h r, pw + s_w q, c] and filter
  /// w'[a, b, c, f] = w[ph + s_h a, pw + s_w b, c, f] give a stride-1 conv,
  /// since x[n, s_h (i + a) + ph, ...] = v[n, i + a, ...].
  void splitByPhase(linalg::Conv2DNhwcHwcfOp conv) {
    OpBuilder b(conv);
    Location loc = conv.getLoc();
    Value x = conv.getDpsInputs()[0], w = conv.getDpsInputs()[1];
    auto wType = cast<RankedTensorType>(w.getType());
    auto y = cast<RankedTensorType>(conv.getDpsInits()[0].getType());
    auto strides = llvm::to_vector(conv.getStrides().getValues<int64_t>());
    int64_t kh = wType.getDimSize(0), kw = wType.getDimSize(1), c = wType.getDimSize(2);
    int64_t f = wType.getDimSize(3);
    auto index = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
    auto ones = DenseIntElementsAttr::get(conv.getStrides().getType(), ArrayRef<int64_t>{1, 1});
    Value acc = conv.getDpsInits()[0];
    for (int64_t ph = 0; ph < std::min(strides[0], kh); ++ph) {
      for (int64_t pw = 0; pw < std::min(strides[1], kw); ++pw) {
        int64_t tapsH = (kh - ph + strides[0] - 1) / strides[0];
        int64_t tapsW = (kw - pw + strides[1] - 1) / strides[1];
        Value view = tensor::ExtractSliceOp::create(
            b, loc, x, {index(0), index(ph), index(pw), index(0)},
            {index(y.getDimSize(0)), index(y.getDimSize(1) + tapsH - 1),
             index(y.getDimSize(2) + tapsW - 1), index(c)},
            {index(1), index(strides[0]), index(strides[1]), index(1)});
        Value filter = w;
        if (tapsH != kh || tapsW != kw)
          filter = tensor::ExtractSliceOp::create(
              b, loc, w, {index(ph), index(pw), index(0), index(0)},
              {index(tapsH), index(tapsW), index(c), index(f)},
              {index(strides[0]), index(strides[1]), index(1), index(1)});
        auto phaseConv = linalg::Conv2DNhwcHwcfOp::create(b, loc, TypeRange{y},
                                                         ValueRange{view, filter},
                                                         ValueRange{acc}, ones, ones);
        // Keep cnnc's own annotations (not linalg's memoized indexing maps,
        // which encode the old strides).
        for (NamedAttribute attr : conv->getDiscardableAttrs())
          if (attr.getName().strref().starts_with(mlir::cnn::attr_names::kPrefix))
            phaseConv->setAttr(attr.getName(), attr.getValue());
        acc = phaseConv.getResult(0);
      }
    }
    conv.getResult(0).replaceAllUsesWith(acc);
    conv.erase();
  }
};

} // namespace
