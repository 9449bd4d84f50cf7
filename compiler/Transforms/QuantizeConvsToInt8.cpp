//===- QuantizeConvsToInt8.cpp - convolutions on int8 operands ------------===//
//
// `cnnc --precision=int8` (post-training static quantization): each
// convolution (dense layers included: they are 1x1 convs) whose input was
// calibrated non-negative (`cnn.calibration`, a [min, max] per node; the
// inputs after a ReLU, a pool of one, a concat of them) reads that input as
// int8 in [0, 127] with one scale s_x = max / 127 per tensor, and its
// filter as int8 in [-127, 127] with one scale s_w[f] = max|w[.., f]| / 127
// per output channel (symmetric, as PyTorch's fbgemm and ONNX Runtime
// quantize). The conv accumulates exact int32 products; a dequantization
// `init + s_x * s_w[f] * acc` (float32) takes its place, and fusion merges
// it with the epilogue that follows (bias, ReLU, residual add, the next
// conv's quantization). Seven bits for activations leave the int8 x int8
// products of `vpdpbusd` (u8 x s8) exact without a +128 shift: a
// non-negative int8 is the same byte as a u8.
//
// The filter's quantization depends on parameters only (@prepare) and is
// laid out as quads [F/B, KH, KW, C/4, B, 4] for the dot products of
// cnnc-lower-int8-contractions, read back through the same kind of layout
// view as bf16's pairs. Convs over a number of input channels that is no
// multiple of 4, with an input that can be negative, or with no
// calibration stay float32.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/PairedFilter.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

namespace cnnc {
#define GEN_PASS_DEF_QUANTIZECONVSTOINT8PASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// The largest activation and weight magnitude: 7 bits (see above).
constexpr float kActivationLevels = 127.0f;
constexpr float kWeightLevels = 127.0f;

/// The node a conv was lowered from: its location's name.
std::optional<StringRef> nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().strref();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto name = nodeName(inner))
        return name;
  return std::nullopt;
}

Value f32Constant(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// round-half-even(v) clamped to [lo, hi], converted to i8.
Value quantizeScalar(OpBuilder &b, Location loc, Value v, float lo, float hi) {
  v = math::RoundEvenOp::create(b, loc, v);
  v = arith::MaxNumFOp::create(b, loc, v, f32Constant(b, loc, lo));
  v = arith::MinNumFOp::create(b, loc, v, f32Constant(b, loc, hi));
  return arith::FPToSIOp::create(b, loc, b.getI8Type(), v);
}

SmallVector<utils::IteratorType> parallelIterators(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

/// `value` (f32) quantized to i8 in [0, 127] with 1 / scale `inverseScale`.
Value quantizeActivation(OpBuilder &b, Location loc, Value value, float inverseScale) {
  auto type = cast<RankedTensorType>(value.getType());
  auto i8Type = RankedTensorType::get(type.getShape(), b.getI8Type());
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getI8Type());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, TypeRange{i8Type}, ValueRange{value}, ValueRange{init},
             ArrayRef<AffineMap>{id, id}, parallelIterators(type.getRank()),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value scaled =
                   arith::MulFOp::create(nb, nloc, args[0], f32Constant(nb, nloc, inverseScale));
               linalg::YieldOp::create(nb, nloc,
                                       quantizeScalar(nb, nloc, scaled, 0.0f, kActivationLevels));
             })
      .getResult(0);
}

/// The conv's input quantized: a zero pad of an f32 tensor becomes the same
/// pad of the quantized tensor (zero quantizes to zero).
Value quantizeInput(OpBuilder &b, Location loc, Value input, float inverseScale) {
  auto pad = input.getDefiningOp<tensor::PadOp>();
  Value padding = pad ? pad.getConstantPaddingValue() : Value();
  if (!padding || !matchPattern(padding, m_AnyZeroFloat()))
    return quantizeActivation(b, loc, input, inverseScale);
  Value source = quantizeActivation(b, loc, pad.getSource(), inverseScale);
  Value i8Zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(b.getI8Type()));
  auto type = RankedTensorType::get(pad.getResultType().getShape(), b.getI8Type());
  return tensor::PadOp::create(b, loc, type, source, pad.getMixedLowPad(),
                               pad.getMixedHighPad(), i8Zero)
      .getResult();
}

/// A tensor<F> computed elementwise from `perChannel` (tensor<F>).
Value mapChannels(OpBuilder &b, Location loc, Value perChannel,
                  function_ref<Value(OpBuilder &, Location, Value)> fn) {
  auto type = cast<RankedTensorType>(perChannel.getType());
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getF32Type());
  AffineMap id = b.getMultiDimIdentityMap(1);
  return linalg::GenericOp::create(b, loc, TypeRange{type}, ValueRange{perChannel},
                                   ValueRange{init}, ArrayRef<AffineMap>{id, id},
                                   parallelIterators(1),
                                   [&](OpBuilder &nb, Location nloc, ValueRange args) {
                                     linalg::YieldOp::create(nb, nloc, fn(nb, nloc, args[0]));
                                   })
      .getResult(0);
}

/// max |w[.., f]| of an HWCF filter, per output channel f.
Value filterAbsMax(OpBuilder &b, Location loc, Value w) {
  auto type = cast<RankedTensorType>(w.getType());
  int64_t f = type.getDimSize(3);
  // A constant (not a fill): the reduction then depends on parameters and
  // constants only, and cnnc-hoist-parameter-transforms moves it to @prepare.
  auto channelsType = RankedTensorType::get({f}, b.getF32Type());
  Value zeros = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(channelsType, 0.0f));
  MLIRContext *ctx = b.getContext();
  AffineMap perChannel = AffineMap::get(4, 0, {getAffineDimExpr(3, ctx)}, ctx);
  SmallVector<utils::IteratorType> iters(3, utils::IteratorType::reduction);
  iters.push_back(utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{zeros.getType()}, ValueRange{w}, ValueRange{zeros},
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(4), perChannel}, iters,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value abs = math::AbsFOp::create(nb, nloc, args[0]);
               Value larger = arith::MaxNumFOp::create(nb, nloc, args[1], abs);
               linalg::YieldOp::create(nb, nloc, larger);
             })
      .getResult(0);
}

struct QuantizeConvsToInt8Pass
    : cnnc::impl::QuantizeConvsToInt8PassBase<QuantizeConvsToInt8Pass> {
  void runOnOperation() override {
    auto ranges = getOperation()->getAttrOfType<DictionaryAttr>(
        mlir::cnn::attr_names::kCalibration);
    if (!ranges)
      return;
    SmallVector<std::pair<linalg::Conv2DNhwcHwcfOp, float>> convs;
    getOperation().walk([&](linalg::Conv2DNhwcHwcfOp conv) {
      auto x = cast<ShapedType>(conv.getDpsInputs()[0].getType());
      auto w = cast<ShapedType>(conv.getDpsInputs()[1].getType());
      std::optional<StringRef> name = nodeName(conv.getLoc());
      auto range = name ? ranges.getAs<DenseF32ArrayAttr>(*name) : DenseF32ArrayAttr();
      if (conv.hasPureTensorSemantics() && x.getElementType().isF32() &&
          w.getElementType().isF32() && w.hasStaticShape() && w.getDimSize(2) % 4 == 0 &&
          range && range.size() == 2 && range[0] >= 0.0f && std::isfinite(range[1]))
        convs.push_back({conv, range[1]});
    });
    for (auto [conv, inputMax] : convs) {
      OpBuilder b(conv);
      Location loc = conv.getLoc();
      // An all-zero input quantizes to zeros with any scale.
      float inputScale = inputMax > 0.0f ? inputMax / kActivationLevels : 1.0f;
      Value x = quantizeInput(b, loc, conv.getDpsInputs()[0], 1.0f / inputScale);
      Value absMax = filterAbsMax(b, loc, conv.getDpsInputs()[1]);
      // 1 / s_w (a zero channel's weights are all zero: any finite factor).
      Value inverseScale = mapChannels(b, loc, absMax, [](OpBuilder &nb, Location nloc, Value m) {
        Value safe = arith::MaxNumFOp::create(nb, nloc, m, f32Constant(nb, nloc, 1e-30f));
        return arith::DivFOp::create(nb, nloc, f32Constant(nb, nloc, kWeightLevels), safe)
            .getResult();
      });
      // s_x * s_w[f], the dequantization factor.
      Value dequantScale =
          mapChannels(b, loc, absMax, [&](OpBuilder &nb, Location nloc, Value m) {
            return arith::MulFOp::create(nb, nloc, m,
                                         f32Constant(nb, nloc, inputScale / kWeightLevels))
                .getResult();
          });
      Value w = cnnc::paired_filter::groupedFilter(
          b, loc, conv.getDpsInputs()[1], 4, b.getI8Type(), inverseScale,
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            Value scaled = arith::MulFOp::create(nb, nloc, args[0], args[1]);
            linalg::YieldOp::create(
                nb, nloc, quantizeScalar(nb, nloc, scaled, -kWeightLevels, kWeightLevels));
          });
      auto resultType = cast<RankedTensorType>(conv.getResultTypes()[0]);
      Value accInit = tensor::EmptyOp::create(b, loc, resultType.getShape(), b.getI32Type());
      Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
      Value accZero = linalg::FillOp::create(b, loc, zero, accInit).getResult(0);
      auto quantized = linalg::Conv2DNhwcHwcfOp::create(
          b, loc, TypeRange{accZero.getType()}, ValueRange{x, w}, ValueRange{accZero},
          conv.getStrides(), conv.getDilations());
      for (NamedAttribute attr : conv->getDiscardableAttrs())
        if (attr.getName().strref().starts_with(mlir::cnn::attr_names::kPrefix))
          quantized->setAttr(attr.getName(), attr.getValue());
      // init + s_x * s_w[f] * acc: the f32 conv's result.
      MLIRContext *ctx = b.getContext();
      AffineMap id = b.getMultiDimIdentityMap(4);
      AffineMap perChannel = AffineMap::get(4, 0, {getAffineDimExpr(3, ctx)}, ctx);
      Value resultInit = tensor::EmptyOp::create(b, loc, resultType.getShape(), b.getF32Type());
      Value dequantized =
          linalg::GenericOp::create(
              b, loc, TypeRange{resultType},
              ValueRange{quantized.getResult(0), dequantScale, conv.getDpsInits()[0]},
              ValueRange{resultInit}, ArrayRef<AffineMap>{id, perChannel, id, id},
              parallelIterators(4),
              [](OpBuilder &nb, Location nloc, ValueRange args) {
                Value acc = arith::SIToFPOp::create(nb, nloc, nb.getF32Type(), args[0]);
                Value product = arith::MulFOp::create(nb, nloc, acc, args[1]);
                linalg::YieldOp::create(nb, nloc,
                                        arith::AddFOp::create(nb, nloc, args[2], product)
                                            .getResult());
              })
              .getResult(0);
      conv.getResult(0).replaceAllUsesWith(dequantized);
      conv.erase();
    }
  }
};

} // namespace
