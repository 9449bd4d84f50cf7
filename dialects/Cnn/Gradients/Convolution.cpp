//===- Convolution.cpp - gradients of conv2d and dense --------------------===//

#include "Cnn/CnnDialect.h"
#include "Cnn/Gradients.h"

using namespace mlir;
using namespace mlir::cnn;

namespace {
ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }
} // namespace

LogicalResult Conv2dOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  Location loc = getLoc();
  if (sink.needs(getInput()))
    sink.accumulate(b, loc, getInput(),
                    Conv2dGradInputOp::create(b, loc, getInput().getType(), g, getWeight(),
                                              getStrideAttr(), getPaddingAttr(),
                                              getDilationAttr(), getGroupsAttr()));
  sink.accumulate(b, loc, getWeight(),
                  Conv2dGradWeightOp::create(b, loc, getWeight().getType(), g, getInput(),
                                             getStrideAttr(), getPaddingAttr(),
                                             getDilationAttr(), getGroupsAttr()));
  if (getBias()) {
    int64_t o = shapeOf(getBias())[0];
    Value r = ReduceToOp::create(b, loc, RankedTensorType::get({1, o, 1, 1}, b.getF32Type()), g);
    sink.accumulate(b, loc, getBias(), ReshapeOp::create(b, loc, getBias().getType(), r));
  }
  return success();
}

LogicalResult DenseOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  Location loc = getLoc();
  if (sink.needs(getInput()))
    sink.accumulate(b, loc, getInput(),
                    MatmulOp::create(b, loc, getInput().getType(), g, getWeight(), false, false));
  sink.accumulate(b, loc, getWeight(),
                  MatmulOp::create(b, loc, getWeight().getType(), g, getInput(), true, false));
  if (getBias())
    sink.accumulate(b, loc, getBias(), ReduceToOp::create(b, loc, getBias().getType(), g));
  return success();
}
