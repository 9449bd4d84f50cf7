//===- Pooling.cpp - gradients of the pools and of upsample --------------===//

#include "Cnn/CnnDialect.h"
#include "Cnn/Gradients.h"

using namespace mlir;
using namespace mlir::cnn;

LogicalResult MaxPool2dOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    MaxPool2dGradOp::create(b, getLoc(), getInput().getType(), g, getInput(),
                                            getKernelAttr(), getStrideAttr(), getPaddingAttr(),
                                            getCeilModeAttr()));
  return success();
}

LogicalResult AvgPool2dOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    AvgPool2dGradOp::create(b, getLoc(), getInput().getType(), g,
                                            getKernelAttr(), getStrideAttr(), getPaddingAttr(),
                                            getCeilModeAttr(), getCountIncludePadAttr()));
  return success();
}

LogicalResult GlobalAvgPool2dOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  auto s = getInput().getType().getShape();
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    BroadcastToOp::create(b, getLoc(), getInput().getType(), g,
                                          b.getF64FloatAttr(1.0 / double(s[2] * s[3]))));
  return success();
}

LogicalResult AdaptiveAvgPool2dOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    AdaptiveAvgPool2dGradOp::create(b, getLoc(), getInput().getType(), g));
  return success();
}

LogicalResult UpsampleOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    UpsampleGradOp::create(b, getLoc(), getInput().getType(), g, getModeAttr(),
                                           getAlignCornersAttr(), getSizeAttr(),
                                           getScaleFactorAttr()));
  return success();
}
