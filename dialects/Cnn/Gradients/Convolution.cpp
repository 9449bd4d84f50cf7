//===- Convolution.cpp - gradients of conv2d and dense --------------------===//

#include "Cnn/CnnDialect.h"
#include "Cnn/Gradients.h"
#include "Cnn/ShapeInference.h"

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

/// Over the last axis: the leading dimensions act as rows of one matmul.
LogicalResult DenseOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  Location loc = getLoc();
  auto xType = getInput().getType();
  auto gType = cast<RankedTensorType>(g.getType());
  Value x2 = getInput(), g2 = g;
  if (xType.getRank() > 2) {
    int64_t rows = xType.getNumElements() / xType.getShape().back();
    auto f32 = b.getF32Type();
    x2 = ReshapeOp::create(b, loc, RankedTensorType::get({rows, xType.getShape().back()}, f32),
                           getInput());
    g2 = ReshapeOp::create(b, loc, RankedTensorType::get({rows, gType.getShape().back()}, f32),
                           g);
  }
  if (sink.needs(getInput())) {
    Value dx = MatmulOp::create(b, loc, x2.getType(), g2, getWeight(), false, false);
    if (dx.getType() != xType)
      dx = ReshapeOp::create(b, loc, xType, dx);
    sink.accumulate(b, loc, getInput(), dx);
  }
  sink.accumulate(b, loc, getWeight(),
                  MatmulOp::create(b, loc, getWeight().getType(), g2, x2, true, false));
  if (getBias())
    sink.accumulate(b, loc, getBias(), ReduceToOp::create(b, loc, getBias().getType(), g2));
  return success();
}

/// conv_transpose2d is conv2d's input gradient, so its own gradients are the
/// conv itself (for the input) and conv2d_grad_weight with the roles of the
/// data and the gradient swapped (for the weight).
LogicalResult ConvTranspose2dOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  Location loc = getLoc();
  if (sink.needs(getInput())) {
    // With output_padding >= stride (allowed below the dilation) the conv
    // yields extra trailing rows or columns beyond the input's: cut them.
    auto full = shape::conv2d(shapeOf(g), shapeOf(getWeight()), std::nullopt, getStride(),
                              getPadding(), getDilation(), getGroups());
    Value dx = Conv2dOp::create(b, loc, RankedTensorType::get(full.shape, b.getF32Type()), g,
                                getWeight(), Value(), getStrideAttr(), getPaddingAttr(),
                                getDilationAttr(), getGroupsAttr());
    SmallVector<int64_t> shape(full.shape.begin(), full.shape.end());
    for (int64_t axis : {2, 3}) {
      int64_t want = getInput().getType().getDimSize(axis);
      if (shape[axis] == want)
        continue;
      shape[axis] = want;
      dx = SliceOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), dx,
                           b.getI64IntegerAttr(axis), b.getI64IntegerAttr(0),
                           b.getI64IntegerAttr(want));
    }
    sink.accumulate(b, loc, getInput(), dx);
  }
  sink.accumulate(b, loc, getWeight(),
                  Conv2dGradWeightOp::create(b, loc, getWeight().getType(), getInput(), g,
                                             getStrideAttr(), getPaddingAttr(),
                                             getDilationAttr(), getGroupsAttr()));
  if (getBias()) {
    int64_t o = shapeOf(getBias())[0];
    Value r = ReduceToOp::create(b, loc, RankedTensorType::get({1, o, 1, 1}, b.getF32Type()), g);
    sink.accumulate(b, loc, getBias(), ReshapeOp::create(b, loc, getBias().getType(), r));
  }
  return success();
}
