//===- QuantizeConvsToInt8.cpp - convolutions on int8 operands ------------===//
//
// `cnnc --precision=int8` (post-training static quantization): each
// convolution (dense layers included: they are 1x1 convs) whose input was
// calibrated (`cnn.calibration`, a [min, max] per node) reads that input as
// int8 in [0, 127], x ~ s_x * (q - z), one scale s_x and zero point z per
// tensor: a non-negative input (after a ReLU, a pool of one, a concat of
// them) takes z = 0 and s_x = max / 127, a signed one (MobileNetV2's
// linear bottlenecks) s_x = (max - min) / 127 and z = round(-min / s_x).
// Its filter is int8 in [-127, 127] with one scale s_w[f] = max|w[.., f]|
// / 127 per output channel (symmetric, as PyTorch's and ONNX Runtime's
// quantizers make them). The conv accumulates exact int32 products; a
// dequantization `init + s_x * s_w[f] * (acc - z * sum w_q[.., f])`
// (float32) takes its place, and fusion merges it with the epilogue that
// follows (bias, ReLU, residual add, the next conv's quantization). Padding
// takes the value z, which stands for 0. Seven bits leave every activation
// non-negative: the int8 x int8 products of `vpdpbusd` (u8 x s8) are exact
// without a +128 shift, since a non-negative int8 is the same byte as a u8.
//
// An activation quantized whole for a conv is read quantized by its
// elementwise readers too (a ResNet block's output, also the next block's
// residual): they read s_x * (q - z) of the int8 copy, which elementwise
// fusion folds into their payload, and the float32 activation, left with
// its quantization as its only reader, is never written (the quantization
// fuses into its producer). The residual stream is int8, a quarter of the
// bytes (ResNet-50's 1x1 convs beside it were memory-bound), as in
// PyTorch's quantized ResNets; the residual takes the next conv's input
// rounding.
//
// The filter's quantization depends on parameters only (@prepare) and is
// laid out as quads [F/B, KH, KW, C/4, B, 4] for the dot products of
// cnnc-lower-int8-contractions, read back through the same kind of layout
// view as bf16's pairs. A number of input channels that is no multiple of 4
// (an RGB stem, LeNet's 6) is padded to one: zero weights over inputs at the
// zero point. Convs with no calibration stay float32.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/PairedFilter.h"
#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/MapVector.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

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

/// v (an integer in f32) clamped to [lo, hi], converted to i8.
Value clampToI8(OpBuilder &b, Location loc, Value v, float lo, float hi) {
  v = arith::MaxNumFOp::create(b, loc, v, f32Constant(b, loc, lo));
  v = arith::MinNumFOp::create(b, loc, v, f32Constant(b, loc, hi));
  return arith::FPToSIOp::create(b, loc, b.getI8Type(), v);
}

SmallVector<utils::IteratorType> parallelIterators(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

/// How a conv's input is quantized: q = clamp(round(x / scale) + zeroPoint, 0, 127).
struct ActivationQuantization {
  float scale, zeroPoint;

  /// From the calibrated range [lo, hi] (see above).
  static ActivationQuantization fromRange(float lo, float hi) {
    if (lo >= 0.0f) // an all-zero input quantizes to zeros with any scale
      return {hi > 0.0f ? hi / kActivationLevels : 1.0f, 0.0f};
    float scale = hi > lo ? (hi - lo) / kActivationLevels : 1.0f;
    return {scale, std::clamp(std::nearbyint(-lo / scale), 0.0f, kActivationLevels)};
  }
};

/// `value` mapped element by element to `element` by `fn`, in one
/// identity-indexed generic.
Value mapElements(OpBuilder &b, Location loc, Value value, Type element,
                  function_ref<Value(OpBuilder &, Location, Value)> fn) {
  auto type = cast<RankedTensorType>(value.getType());
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), element);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, ValueRange{value},
                                   ValueRange{init}, ArrayRef<AffineMap>{id, id},
                                   parallelIterators(type.getRank()),
                                   [&](OpBuilder &nb, Location nloc, ValueRange args) {
                                     linalg::YieldOp::create(nb, nloc, fn(nb, nloc, args[0]));
                                   })
      .getResult(0);
}

/// `value` (f32) quantized to i8 in [0, 127].
Value quantizeActivation(OpBuilder &b, Location loc, Value value, ActivationQuantization q) {
  return mapElements(b, loc, value, b.getI8Type(), [&](OpBuilder &nb, Location nloc, Value x) {
    Value v = arith::MulFOp::create(nb, nloc, x, f32Constant(nb, nloc, 1.0f / q.scale));
    v = math::RoundEvenOp::create(nb, nloc, v);
    if (q.zeroPoint != 0.0f)
      v = arith::AddFOp::create(nb, nloc, v, f32Constant(nb, nloc, q.zeroPoint));
    return clampToI8(nb, nloc, v, 0.0f, kActivationLevels);
  });
}

/// `quantized` (i8) as f32 again: s_x * (q - z).
Value dequantizeActivation(OpBuilder &b, Location loc, Value quantized, ActivationQuantization q) {
  return mapElements(b, loc, quantized, b.getF32Type(), [&](OpBuilder &nb, Location nloc, Value x) {
    Value v = arith::SIToFPOp::create(nb, nloc, nb.getF32Type(), x);
    if (q.zeroPoint != 0.0f)
      v = arith::SubFOp::create(nb, nloc, v, f32Constant(nb, nloc, q.zeroPoint));
    return arith::MulFOp::create(nb, nloc, v, f32Constant(nb, nloc, q.scale)).getResult();
  });
}

/// Conv inputs quantized, by f32 value, quantization and channel count:
/// convs that read one tensor share one quantized tensor (a grouped conv's
/// per-group convs read slices of one padded input: quantized per slice,
/// each slice was a copy made inside the loop over groups).
class InputQuantizer {
public:
  /// `input` quantized, its channels padded to `channels` with the zero
  /// point: a zero pad of an f32 tensor becomes a pad with the zero point
  /// (which stands for zero), a slice a slice of the quantized tensor.
  Value quantize(Value input, ActivationQuantization q, int64_t channels) {
    auto key = std::make_tuple(input.getAsOpaquePointer(), q.scale, q.zeroPoint, channels);
    if (auto it = done.find(key); it != done.end())
      return it->second;
    OpBuilder b(input.getContext());
    b.setInsertionPointAfterValue(input);
    Location loc = input.getLoc();
    auto type = cast<RankedTensorType>(input.getType());
    int64_t own = type.getDimSize(3);
    Value result;
    auto pad = input.getDefiningOp<tensor::PadOp>();
    Value padding = pad ? pad.getConstantPaddingValue() : Value();
    auto slice = input.getDefiningOp<tensor::ExtractSliceOp>();
    if (padding && matchPattern(padding, m_AnyZeroFloat())) {
      Value source = quantize(pad.getSource(), q, pad.getSourceType().getDimSize(3));
      result = padI8(b, loc, source, pad.getMixedLowPad(), pad.getMixedHighPad(), q, channels);
    } else if (slice && slice.hasUnitStride() && slice.getSourceType().getRank() == 4 &&
               slice.getType().getRank() == 4) {
      Value source = quantize(slice.getSource(), q, slice.getSourceType().getDimSize(3));
      Value quantizedSlice = tensor::ExtractSliceOp::create(
          b, loc, source, slice.getMixedOffsets(), slice.getMixedSizes(),
          slice.getMixedStrides());
      result =
          own == channels ? quantizedSlice : padI8(b, loc, quantizedSlice, {}, {}, q, channels);
    } else {
      Value quantized = quantizeActivation(b, loc, input, q);
      result = own == channels ? quantized : padI8(b, loc, quantized, {}, {}, q, channels);
      if (own == channels)
        wholes.insert({input.getAsOpaquePointer(), Whole{input, quantized, q}});
    }
    done[key] = result;
    return result;
  }

  /// The elementwise readers of each activation quantized whole read its
  /// quantized copy back, dequantized (see the top of the file): directly,
  /// or, where lowering left the activation in NCHW with a transpose to
  /// NHWC in front of the conv, through the inverse transpose.
  void readActivationsFromQuantized() {
    for (auto &entry : wholes) {
      Whole &whole = entry.second;
      Operation *quantization = whole.quantized.getDefiningOp();
      Value dequantized;
      auto dequantizedCopy = [&]() {
        if (!dequantized) {
          OpBuilder b(quantization);
          b.setInsertionPointAfter(quantization);
          dequantized = dequantizeActivation(b, quantization->getLoc(), whole.quantized, whole.q);
        }
        return dequantized;
      };
      SmallVector<OpOperand *> readers = elementwiseReaders(whole.input, quantization);
      for (OpOperand *use : readers)
        use->set(dequantizedCopy());
      auto transpose = whole.input.getDefiningOp<linalg::GenericOp>();
      std::optional<SmallVector<int64_t>> perm = cnnc::lowering::transposePermutation(transpose);
      if (!perm)
        continue;
      readers = elementwiseReaders(transpose.getDpsInputs()[0], transpose);
      if (readers.empty())
        continue;
      OpBuilder b(quantization);
      b.setInsertionPointAfterValue(dequantizedCopy());
      Value back = cnnc::lowering::transpose(b, quantization->getLoc(), dequantized,
                                             invertPermutationVector(*perm));
      for (OpOperand *use : readers)
        use->set(back);
    }
  }

private:
  /// `source` (i8) padded by `low` / `high` (none: spatially not at all)
  /// and its channels to `channels`, with the zero point.
  static Value padI8(OpBuilder &b, Location loc, Value source, ArrayRef<OpFoldResult> low,
                     ArrayRef<OpFoldResult> high, ActivationQuantization q, int64_t channels) {
    auto sourceType = cast<RankedTensorType>(source.getType());
    SmallVector<OpFoldResult> lo(low), hi(high);
    if (lo.empty()) {
      lo.assign(4, b.getIndexAttr(0));
      hi.assign(4, b.getIndexAttr(0));
    }
    hi[3] = b.getIndexAttr(channels - sourceType.getDimSize(3));
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < 4; ++d) {
      std::optional<int64_t> l = getConstantIntValue(lo[d]), h = getConstantIntValue(hi[d]);
      shape.push_back(l && h && !sourceType.isDynamicDim(d)
                          ? sourceType.getDimSize(d) + *l + *h
                          : ShapedType::kDynamic);
    }
    Value zeroPoint =
        arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(int8_t(q.zeroPoint)));
    return tensor::PadOp::create(b, loc, RankedTensorType::get(shape, b.getI8Type()), source,
                                 lo, hi, zeroPoint)
        .getResult();
  }

  /// The all-parallel generics other than `except` that read `value` with
  /// the identity map, after `except` in its block.
  static SmallVector<OpOperand *> elementwiseReaders(Value value, Operation *except) {
    SmallVector<OpOperand *> readers;
    for (OpOperand &use : value.getUses()) {
      auto reader = dyn_cast<linalg::GenericOp>(use.getOwner());
      if (reader && reader != except && reader.hasPureTensorSemantics() &&
          reader.isAllParallelLoops() && reader.isDpsInput(&use) &&
          reader.getMatchingIndexingMap(&use).isIdentity() &&
          reader->getBlock() == except->getBlock() && except->isBeforeInBlock(reader))
        readers.push_back(&use);
    }
    return readers;
  }

  std::map<std::tuple<const void *, float, float, int64_t>, Value> done;
  /// Activations quantized whole (no channel padding), in the order first
  /// quantized.
  struct Whole {
    Value input, quantized;
    ActivationQuantization q;
  };
  llvm::MapVector<const void *, Whole> wholes;
};

/// The HWCF filter `w` with its input channels padded to `channels` with zeros.
Value padFilterChannels(OpBuilder &b, Location loc, Value w, int64_t channels) {
  auto type = cast<RankedTensorType>(w.getType());
  int64_t extra = channels - type.getDimSize(2);
  if (extra == 0)
    return w;
  SmallVector<OpFoldResult> low(4, b.getIndexAttr(0)), high(4, b.getIndexAttr(0));
  high[2] = b.getIndexAttr(extra);
  SmallVector<int64_t> shape(type.getShape());
  shape[2] = channels;
  return tensor::PadOp::create(b, loc, RankedTensorType::get(shape, type.getElementType()), w,
                               low, high, f32Constant(b, loc, 0.0f))
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

/// A reduction of an HWCF filter `w` over (kh, kw, c) per output channel,
/// into tensor<F x element> from zero; `perChannel` are tensor<F> inputs
/// read at the output channel. The zero is a constant, not a fill: the
/// reduction then depends on parameters and constants only, and
/// cnnc-hoist-parameter-transforms moves it to @prepare.
Value reducePerChannel(OpBuilder &b, Location loc, Value w, ValueRange perChannel, Type element,
                       function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  int64_t f = cast<RankedTensorType>(w.getType()).getDimSize(3);
  auto channelsType = RankedTensorType::get({f}, element);
  auto zero = DenseElementsAttr::get(channelsType, b.getZeroAttr(element));
  Value zeros = arith::ConstantOp::create(b, loc, zero);
  MLIRContext *ctx = b.getContext();
  AffineMap channel = AffineMap::get(4, 0, {getAffineDimExpr(3, ctx)}, ctx);
  SmallVector<Value> inputs = {w};
  inputs.append(perChannel.begin(), perChannel.end());
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(4)};
  maps.append(perChannel.size() + 1, channel);
  SmallVector<utils::IteratorType> iters(3, utils::IteratorType::reduction);
  iters.push_back(utils::IteratorType::parallel);
  return linalg::GenericOp::create(b, loc, TypeRange{channelsType}, inputs, ValueRange{zeros},
                                   maps, iters, body)
      .getResult(0);
}

/// max |w[.., f]| of an HWCF filter, per output channel f.
Value filterAbsMax(OpBuilder &b, Location loc, Value w) {
  return reducePerChannel(b, loc, w, {}, b.getF32Type(),
                          [](OpBuilder &nb, Location nloc, ValueRange args) {
                            Value abs = math::AbsFOp::create(nb, nloc, args[0]);
                            Value larger = arith::MaxNumFOp::create(nb, nloc, args[1], abs);
                            linalg::YieldOp::create(nb, nloc, larger);
                          });
}

/// A weight quantized with 1 / its channel's scale: round(w * inverseScale)
/// in [-127, 127], as i8.
Value quantizeWeight(OpBuilder &b, Location loc, Value w, Value inverseScale) {
  Value rounded =
      math::RoundEvenOp::create(b, loc, arith::MulFOp::create(b, loc, w, inverseScale));
  return clampToI8(b, loc, rounded, -kWeightLevels, kWeightLevels);
}

/// factor * sum of an HWCF filter's quantized weights, per output channel
/// (i32; the weights quantized as the filter's quads are).
Value filterSums(OpBuilder &b, Location loc, Value w, Value inverseScale, int32_t factor) {
  return reducePerChannel(
      b, loc, w, {inverseScale}, b.getI32Type(),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value q = arith::ExtSIOp::create(nb, nloc, nb.getI32Type(),
                                         quantizeWeight(nb, nloc, args[0], args[1]));
        Value scaled = arith::MulIOp::create(
            nb, nloc, q, arith::ConstantOp::create(nb, nloc, nb.getI32IntegerAttr(factor)));
        Value sum = arith::AddIOp::create(nb, nloc, args[2], scaled);
        linalg::YieldOp::create(nb, nloc, sum);
      });
}

/// `conv` on int8 operands, its input quantized as `input` says (see above).
void quantizeConv(linalg::Conv2DNhwcHwcfOp conv, ActivationQuantization input,
                  InputQuantizer &quantizer) {
  OpBuilder b(conv);
  Location loc = conv.getLoc();
  // Input channels padded to whole quads: zero weights over zero-point inputs.
  int64_t channels =
      llvm::alignTo(cast<ShapedType>(conv.getDpsInputs()[1].getType()).getDimSize(2), 4);
  Value x = quantizer.quantize(conv.getDpsInputs()[0], input, channels);
  Value filter = padFilterChannels(b, loc, conv.getDpsInputs()[1], channels);
  Value absMax = filterAbsMax(b, loc, filter);
  // 1 / s_w (a zero channel's weights are all zero: any finite factor).
  Value inverseScale =
      mapChannels(b, loc, absMax, [](OpBuilder &nb, Location nloc, Value m) {
        Value safe = arith::MaxNumFOp::create(nb, nloc, m, f32Constant(nb, nloc, 1e-30f));
        return arith::DivFOp::create(nb, nloc, f32Constant(nb, nloc, kWeightLevels), safe)
            .getResult();
      });
  // s_x * s_w[f], the dequantization factor.
  Value dequantScale =
      mapChannels(b, loc, absMax, [&](OpBuilder &nb, Location nloc, Value m) {
        return arith::MulFOp::create(nb, nloc, m,
                                     f32Constant(nb, nloc, input.scale / kWeightLevels))
            .getResult();
      });
  Value w = cnnc::paired_filter::groupedFilter(
      b, loc, filter, 4, b.getI8Type(), inverseScale,
      [](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, quantizeWeight(nb, nloc, args[0], args[1]));
      });
  // z * sum w_q[.., f]: what the zero point adds to each output (none for z = 0).
  Value zeroPointSums;
  if (input.zeroPoint != 0.0f)
    zeroPointSums = filterSums(b, loc, filter, inverseScale, int32_t(input.zeroPoint));
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
  // init + s_x * s_w[f] * (acc - z * sum w_q[.., f]): the f32 conv's result.
  MLIRContext *ctx = b.getContext();
  AffineMap id = b.getMultiDimIdentityMap(4);
  AffineMap perChannel = AffineMap::get(4, 0, {getAffineDimExpr(3, ctx)}, ctx);
  Value resultInit = tensor::EmptyOp::create(b, loc, resultType.getShape(), b.getF32Type());
  SmallVector<Value> inputs = {quantized.getResult(0), dequantScale, conv.getDpsInits()[0]};
  SmallVector<AffineMap> maps = {id, perChannel, id};
  if (zeroPointSums) {
    inputs.push_back(zeroPointSums);
    maps.push_back(perChannel);
  }
  maps.push_back(id);
  Value dequantized =
      linalg::GenericOp::create(
          b, loc, TypeRange{resultType}, inputs, ValueRange{resultInit}, maps,
          parallelIterators(4),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value acc = args[0];
            if (zeroPointSums)
              acc = arith::SubIOp::create(nb, nloc, acc, args[3]);
            acc = arith::SIToFPOp::create(nb, nloc, nb.getF32Type(), acc);
            Value product = arith::MulFOp::create(nb, nloc, acc, args[1]);
            linalg::YieldOp::create(nb, nloc,
                                    arith::AddFOp::create(nb, nloc, args[2], product)
                                        .getResult());
          })
          .getResult(0);
  conv.getResult(0).replaceAllUsesWith(dequantized);
  conv.erase();
}

struct QuantizeConvsToInt8Pass
    : cnnc::impl::QuantizeConvsToInt8PassBase<QuantizeConvsToInt8Pass> {
  void runOnOperation() override {
    auto ranges = getOperation()->getAttrOfType<DictionaryAttr>(
        mlir::cnn::attr_names::kCalibration);
    if (!ranges)
      return;
    SmallVector<std::pair<linalg::Conv2DNhwcHwcfOp, ActivationQuantization>> convs;
    getOperation().walk([&](linalg::Conv2DNhwcHwcfOp conv) {
      auto x = cast<ShapedType>(conv.getDpsInputs()[0].getType());
      auto w = cast<ShapedType>(conv.getDpsInputs()[1].getType());
      std::optional<StringRef> name = nodeName(conv.getLoc());
      auto range = name ? ranges.getAs<DenseF32ArrayAttr>(*name) : DenseF32ArrayAttr();
      if (conv.hasPureTensorSemantics() && x.getElementType().isF32() &&
          w.getElementType().isF32() && w.hasStaticShape() && range && range.size() == 2 &&
          std::isfinite(range[0]) && std::isfinite(range[1]))
        convs.push_back({conv, ActivationQuantization::fromRange(range[0], range[1])});
    });
    InputQuantizer quantizer;
    for (auto [conv, input] : convs)
      quantizeConv(conv, input, quantizer);
    quantizer.readActivationsFromQuantized();
  }
};

} // namespace
