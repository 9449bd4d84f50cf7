//===- DemoteConvsToBf16.cpp - convolutions on bf16 operands ---------------===//
//
// `cnnc --precision=bf16`: each convolution (dense layers included: they
// are 1x1 convs, cnnc-convert-cnn-to-linalg) reads its input and filter in
// bf16 and accumulates in f32, as PyTorch's bf16 autocast and oneDNN do;
// everything else (bias, batchnorm folded into the filter before the
// rounding, activations, pools, residual adds, softmax) stays f32. The
// filter's rounding depends on parameters only, so it moves to @prepare;
// the input's is an elementwise op that fusion merges into its producer
// (a conv's epilogue then writes bf16). A padded input is rounded before
// its pad, which stays in place. Convs over an odd number of input
// channels (an RGB stem) stay f32: the dot products take channel pairs.
//
// The dot products (cnnc-lower-bf16-contractions) multiply each output
// channel's pair of input channels (c, c+1) as adjacent bf16s, so the
// filter is prepared as pairs: P[F/B, KH, KW, C/2, B, 2] (B = 64 output
// channels, cnnc-block-conv-filters' block, or all F), each block
// contiguous. The conv reads it through a transpose and collapse back to
// HWCF, marked as a layout view: readers of pairs fold it away, and where
// one does not, it is computed and the conv is still right.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/PairedFilter.h"

#include "mlir/IR/Matchers.h"

namespace cnnc {
#define GEN_PASS_DEF_DEMOTECONVSTOBF16PASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// A linalg.generic body that rounds its input to bf16.
void roundBody(OpBuilder &b, Location loc, ValueRange args) {
  Value rounded = arith::TruncFOp::create(b, loc, b.getBF16Type(), args[0]);
  linalg::YieldOp::create(b, loc, rounded);
}

/// `value` (f32) rounded to bf16 by an elementwise linalg.generic.
Value roundToBf16(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  auto bf16Type = RankedTensorType::get(type.getShape(), b.getBF16Type());
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getBF16Type());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> iters(type.getRank(), utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{bf16Type}, ValueRange{value}, ValueRange{init},
             ArrayRef<AffineMap>{id, id}, iters, roundBody)
      .getResult(0);
}

/// The conv's input in bf16: a zero pad of an f32 tensor becomes the same
/// pad of the rounded tensor (bf16 zero pads as f32 zero does).
Value roundInput(OpBuilder &b, Location loc, Value input) {
  auto pad = input.getDefiningOp<tensor::PadOp>();
  Value padding = pad ? pad.getConstantPaddingValue() : Value();
  if (!padding || !matchPattern(padding, m_AnyZeroFloat()))
    return roundToBf16(b, loc, input);
  Value source = roundToBf16(b, loc, pad.getSource());
  Value bf16Zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(b.getBF16Type()));
  auto type = RankedTensorType::get(pad.getResultType().getShape(), b.getBF16Type());
  return tensor::PadOp::create(b, loc, type, source, pad.getMixedLowPad(),
                               pad.getMixedHighPad(), bf16Zero)
      .getResult();
}

struct DemoteConvsToBf16Pass : cnnc::impl::DemoteConvsToBf16PassBase<DemoteConvsToBf16Pass> {
  void runOnOperation() override {
    SmallVector<linalg::Conv2DNhwcHwcfOp> convs;
    getOperation().walk([&](linalg::Conv2DNhwcHwcfOp conv) {
      auto x = cast<ShapedType>(conv.getDpsInputs()[0].getType());
      auto w = cast<ShapedType>(conv.getDpsInputs()[1].getType());
      if (conv.hasPureTensorSemantics() && x.getElementType().isF32() &&
          w.getElementType().isF32() && w.hasStaticShape() && w.getDimSize(2) % 2 == 0)
        convs.push_back(conv);
    });
    for (linalg::Conv2DNhwcHwcfOp conv : convs) {
      OpBuilder b(conv);
      Location loc = conv.getLoc();
      Value x = roundInput(b, loc, conv.getDpsInputs()[0]);
      Value w = cnnc::paired_filter::groupedFilter(b, loc, conv.getDpsInputs()[1], 2,
                                                   b.getBF16Type(), Value(), roundBody);
      auto demoted = linalg::Conv2DNhwcHwcfOp::create(
          b, loc, conv.getResultTypes(), ValueRange{x, w}, conv.getDpsInits(),
          conv.getStrides(), conv.getDilations());
      for (NamedAttribute attr : conv->getDiscardableAttrs())
        if (attr.getName().strref().starts_with(mlir::cnn::attr_names::kPrefix))
          demoted->setAttr(attr.getName(), attr.getValue());
      conv.getResult(0).replaceAllUsesWith(demoted.getResult(0));
      conv.erase();
    }
  }
};

} // namespace
