//===- CnnOps.cpp - cnn op type inference and verifiers --------------------===//

#include "Cnn/CnnDialect.h"
#include "Cnn/ShapeInference.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::cnn;

namespace {
/// Turns a shape rule's answer into an inferred f32 tensor type, or an error
/// at `loc` (if the caller wants diagnostics).
LogicalResult produce(MLIRContext *ctx, std::optional<Location> loc,
                      const shape::ShapeOrError &r,
                      SmallVectorImpl<Type> &inferred) {
  if (!r.ok())
    return emitOptionalError(loc, r.error);
  inferred.push_back(RankedTensorType::get(r.shape, Float32Type::get(ctx)));
  return success();
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

std::optional<ArrayRef<int64_t>> optionalShapeOf(Value v) {
  if (!v)
    return std::nullopt;
  return shapeOf(v);
}
} // namespace

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc,
                 shape::conv2d(shapeOf(adaptor.getInput()), shapeOf(adaptor.getWeight()),
                               optionalShapeOf(adaptor.getBias()), adaptor.getStride(),
                               adaptor.getPadding(), adaptor.getDilation(),
                               adaptor.getGroups()),
                 inferred);
}

LogicalResult DenseOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc,
                 shape::dense(shapeOf(adaptor.getInput()), shapeOf(adaptor.getWeight()),
                              optionalShapeOf(adaptor.getBias())),
                 inferred);
}

LogicalResult ConvTranspose2dOp::inferReturnTypes(MLIRContext *ctx,
                                                  std::optional<Location> loc,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc,
                 shape::convTranspose2d(shapeOf(adaptor.getInput()), shapeOf(adaptor.getWeight()),
                                        optionalShapeOf(adaptor.getBias()), adaptor.getStride(),
                                        adaptor.getPadding(), adaptor.getOutputPadding(),
                                        adaptor.getDilation(), adaptor.getGroups()),
                 inferred);
}

LogicalResult AdaptiveAvgPool2dOp::inferReturnTypes(MLIRContext *ctx,
                                                    std::optional<Location> loc,
                                                    Adaptor adaptor,
                                                    SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc, shape::resized2d(shapeOf(adaptor.getInput()), adaptor.getOutputSize()),
                 inferred);
}

LogicalResult UpsampleOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc, shape::resized2d(shapeOf(adaptor.getInput()), adaptor.getSize()),
                 inferred);
}

LogicalResult UpsampleOp::verify() {
  if (getMode() != "nearest" && getMode() != "bilinear")
    return emitOpError("mode must be \"nearest\" or \"bilinear\", got '") << getMode() << "'";
  if (getAlignCorners() && getMode() != "bilinear")
    return emitOpError("align_corners applies to bilinear mode only");
  if (auto factors = getScaleFactor())
    for (double s : *factors)
      if (!(s > 0.0) || !std::isfinite(s))
        return emitOpError("scale_factor must be positive and finite");
  return success();
}

LogicalResult PermuteOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc, shape::permute(shapeOf(adaptor.getInput()), adaptor.getDims()),
                 inferred);
}

LogicalResult LayerNormOp::verify() {
  if (getInput().getType() != getOutput().getType())
    return emitOpError("result type must equal the input's");
  SmallVector<ArrayRef<int64_t>> affine;
  for (Value v : getAffine())
    affine.push_back(shapeOf(v));
  auto r = shape::layerNorm(shapeOf(getInput()), getAxes(), affine);
  if (!r.ok())
    return emitOpError(r.error);
  if (!(getEpsilon().convertToDouble() >= 0.0))
    return emitOpError("epsilon must be non-negative");
  return success();
}

LogicalResult StochasticDepthOp::verify() {
  double p = getP().convertToDouble();
  if (!(p >= 0.0 && p < 1.0))
    return emitOpError("p must be in [0, 1), got ") << p;
  if (getMode() != "row" && getMode() != "batch")
    return emitOpError("mode must be \"row\" or \"batch\", got '") << getMode() << "'";
  return success();
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc,
                 shape::pool2d(shapeOf(adaptor.getInput()), adaptor.getKernel(),
                               adaptor.getStride(), adaptor.getPadding(),
                               adaptor.getCeilMode()),
                 inferred);
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc,
                 shape::pool2d(shapeOf(adaptor.getInput()), adaptor.getKernel(),
                               adaptor.getStride(), adaptor.getPadding(),
                               adaptor.getCeilMode()),
                 inferred);
}

LogicalResult GlobalAvgPool2dOp::inferReturnTypes(MLIRContext *ctx,
                                                  std::optional<Location> loc,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc, shape::globalAvgPool2d(shapeOf(adaptor.getInput())),
                 inferred);
}

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  ArrayRef<int64_t> params[] = {
      shapeOf(adaptor.getWeight()), shapeOf(adaptor.getBias()),
      shapeOf(adaptor.getRunningMean()), shapeOf(adaptor.getRunningVar())};
  return produce(ctx, loc, shape::batchnorm(shapeOf(adaptor.getInput()), params),
                 inferred);
}

LogicalResult BatchNormOp::verify() {
  if (!(getEpsilon().convertToDouble() >= 0))
    return emitOpError("epsilon must be non-negative");
  return success();
}

LogicalResult AddOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc,
                 shape::broadcast(shapeOf(adaptor.getLhs()), shapeOf(adaptor.getRhs())),
                 inferred);
}

LogicalResult MulOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc,
                 shape::broadcast(shapeOf(adaptor.getLhs()), shapeOf(adaptor.getRhs())),
                 inferred);
}

LogicalResult DropoutOp::verify() {
  double p = getP().convertToDouble();
  if (!(p >= 0.0 && p < 1.0))
    return emitOpError("p must be in [0, 1), got ") << p;
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : adaptor.getInputs())
    shapes.push_back(shapeOf(v));
  return produce(ctx, loc, shape::concat(shapes, adaptor.getAxis()), inferred);
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  return success();
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc, shape::flatten(shapeOf(adaptor.getInput())), inferred);
}

LogicalResult SoftmaxOp::verify() {
  auto r = shape::axisCheck(shapeOf(getInput()), getAxis());
  if (!r.ok())
    return emitOpError(r.error);
  return success();
}

LogicalResult ChannelShuffleOp::verify() {
  auto r = shape::channelShuffle(shapeOf(getInput()), getGroups());
  if (!r.ok())
    return emitOpError(r.error);
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  return produce(ctx, loc,
                 shape::slice(shapeOf(adaptor.getInput()), adaptor.getAxis(),
                              adaptor.getStart(), adaptor.getEnd()),
                 inferred);
}

//===----------------------------------------------------------------------===//
// Training ops
//===----------------------------------------------------------------------===//

LogicalResult ActivationGradOp::verify() {
  StringRef k = getKind();
  if (!llvm::is_contained({"relu", "relu6", "sigmoid", "tanh", "silu", "hardswish",
                           "hardsigmoid", "leaky_relu", "gelu", "gelu_tanh"},
                          k))
    return emitOpError("kind must be relu, relu6, sigmoid, tanh, silu, hardswish, "
                       "hardsigmoid, leaky_relu, gelu or gelu_tanh, got '")
           << k << "'";
  if ((k == "leaky_relu") != getAlpha().has_value())
    return emitOpError("alpha (the slope) is given for leaky_relu, and only for it");
  return success();
}

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be \"none\" or \"tanh\", got '")
           << getApproximate() << "'";
  return success();
}

LogicalResult ReduceToOp::verify() {
  auto r = shape::broadcast(shapeOf(getOutput()), shapeOf(getInput()));
  if (!r.ok() || ArrayRef<int64_t>(r.shape) != shapeOf(getInput()) ||
      getOutput().getType().getRank() > getInput().getType().getRank())
    return emitOpError("result ") << getOutput().getType()
                                  << " does not broadcast to the operand's shape";
  return success();
}

LogicalResult BroadcastToOp::verify() {
  auto r = shape::broadcast(shapeOf(getInput()), shapeOf(getOutput()));
  if (!r.ok() || ArrayRef<int64_t>(r.shape) != shapeOf(getOutput()))
    return emitOpError("operand ") << getInput().getType() << " does not broadcast to "
                                   << getOutput().getType();
  return success();
}

LogicalResult MatmulOp::verify() {
  auto a = shapeOf(getA()), b = shapeOf(getB()), c = shapeOf(getOutput());
  int64_t m = getTransposeA() ? a[1] : a[0], ka = getTransposeA() ? a[0] : a[1];
  int64_t kb = getTransposeB() ? b[1] : b[0], n = getTransposeB() ? b[0] : b[1];
  if (ka != kb || c[0] != m || c[1] != n)
    return emitOpError("shapes ") << shape::toString(a) << " x " << shape::toString(b)
                                  << " do not give " << shape::toString(c);
  return success();
}

LogicalResult ReshapeOp::verify() {
  if (shape::numElements(shapeOf(getInput())) != shape::numElements(shapeOf(getOutput())))
    return emitOpError("changes the number of elements");
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::verify() {
  auto x = shapeOf(getLogits());
  auto labels = cast<RankedTensorType>(getLabels().getType()).getShape();
  if (labels[0] != x[0] || shapeOf(getGrad()) != x || shapeOf(getLoss())[0] != 1)
    return emitOpError("needs labels [N] and gradient [N, K] for logits [N, K]");
  return success();
}

LogicalResult ClipGradNormOp::verify() {
  if (getGrads().empty() || getGrads().getTypes() != getClipped().getTypes())
    return emitOpError("needs at least one gradient and one result of its type per gradient");
  if (!(getMaxNorm().convertToDouble() > 0))
    return emitOpError("needs a positive max_norm");
  return success();
}

LogicalResult AdamUpdateOp::verify() {
  Type t = getParam().getType();
  for (Value v : {getGrad(), getExpAvg(), getExpAvgSq(), getNewParam(), getNewExpAvg(),
                  getNewExpAvgSq()})
    if (v.getType() != t)
      return emitOpError("needs the gradient, both moments and the results of the parameter's type ")
             << t;
  if (shapeOf(getLr())[0] != 1 || shapeOf(getStep())[0] != 1)
    return emitOpError("needs a learning rate and a step count of one element each");
  for (double beta : {getBeta1().convertToDouble(), getBeta2().convertToDouble()})
    if (!(beta >= 0 && beta < 1))
      return emitOpError("needs betas in [0, 1), got ") << beta;
  if (!(getEpsilon().convertToDouble() >= 0) || !(getWeightDecay().convertToDouble() >= 0))
    return emitOpError("needs a non-negative epsilon and weight decay");
  return success();
}

/// A `rows` mask has one entry per row of `input`.
static LogicalResult verifyRowMask(Operation *op, Value input, Value rows) {
  if (rows && shapeOf(rows)[0] != shapeOf(input)[0])
    return op->emitOpError("needs a rows mask of ") << shapeOf(input)[0] << " entries, got "
                                                      << shapeOf(rows)[0];
  return success();
}

LogicalResult BatchNormTrainOp::verify() {
  return verifyRowMask(*this, getInput(), getRows());
}

LogicalResult BatchNormGradOp::verify() {
  return verifyRowMask(*this, getInput(), getRows());
}

LogicalResult CrossReplicaSumOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                  ValueRange operands, DictionaryAttr,
                                                  OpaqueProperties, RegionRange,
                                                  SmallVectorImpl<Type> &inferred) {
  llvm::append_range(inferred, operands.getTypes()); // each sum has its operand's type
  return success();
}

LogicalResult CrossReplicaSumOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one tensor to sum");
  return success();
}

LogicalResult LabelMaskOp::verify() {
  if (shapeOf(getRows())[0] != cast<RankedTensorType>(getLabels().getType()).getShape()[0])
    return emitOpError("needs as many mask entries as labels");
  return success();
}

LogicalResult SliceGradOp::verify() {
  auto g = shapeOf(getGrad()), x = shapeOf(getOutput());
  int64_t axis = getAxis();
  bool ok = g.size() == x.size() && axis < (int64_t)x.size() &&
            getStart() + g[axis] <= x[axis];
  for (size_t i = 0; ok && i < x.size(); ++i)
    ok = (int64_t)i == axis || g[i] == x[i];
  if (!ok)
    return emitOpError("gradient ") << getGrad().getType() << " does not fit into "
                                    << getOutput().getType() << " at axis " << axis
                                    << ", start " << getStart();
  return success();
}

LogicalResult SoftmaxGradOp::verify() {
  auto r = shape::axisCheck(shapeOf(getGrad()), getAxis());
  if (!r.ok())
    return emitOpError(r.error);
  return success();
}

LogicalResult DropoutTrainOp::verify() {
  double p = getP().convertToDouble();
  if (!(p > 0.0 && p < 1.0))
    return emitOpError("p must be in (0, 1), got ") << p;
  if (cast<RankedTensorType>(getRng().getType()).getShape() != ArrayRef<int64_t>{2})
    return emitOpError("rng must be tensor<2xi64> {seed, step}");
  if (getInput().getType() != getOutput().getType())
    return emitOpError("result type must equal the input's");
  if (getSalt() > int64_t(0xFFFFFFFF))
    return emitOpError("salt must fit in 32 bits");
  if (getMaskDims() && *getMaskDims() > getInput().getType().getRank())
    return emitOpError("mask_dims must not exceed the rank");
  return success();
}

LogicalResult LayerNormGradOp::verify() {
  if (getGrad().getType() != getInput().getType())
    return emitOpError("grad and input must have one type");
  SmallVector<ArrayRef<int64_t>> affine;
  if (getWeight())
    affine = {shapeOf(getWeight()), shapeOf(getWeight())};
  auto r = shape::layerNorm(shapeOf(getInput()), getAxes(), affine);
  if (!r.ok())
    return emitOpError(r.error);
  size_t expected = getWeight() ? 3 : 1;
  if (getGrads().size() != expected)
    return emitOpError("has ") << expected << " results (dx, and dweight and dbias when affine)";
  if (getGrads()[0].getType() != getInput().getType())
    return emitOpError("dx must have the input's type");
  for (Value g : getGrads().drop_front())
    if (g.getType() != getWeight().getType())
      return emitOpError("dweight and dbias must have the weight's type");
  return success();
}

#include "Cnn/CnnInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "Cnn/CnnOps.cpp.inc"
