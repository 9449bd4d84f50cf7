//===- CnnOps.cpp - cnn op type inference and verifiers --------------------===//

#include "Cnn/CnnDialect.h"
#include "Cnn/ShapeInference.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

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

#define GET_OP_CLASSES
#include "Cnn/CnnOps.cpp.inc"
