//===- DataMovement.cpp - gradients of the data-movement ops ----------===//

#include "Cnn/CnnDialect.h"
#include "Cnn/Gradients.h"

using namespace mlir;
using namespace mlir::cnn;

LogicalResult ConcatOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  int64_t axis = getAxis(), start = 0;
  for (Value in : getInputs()) {
    int64_t size = cast<RankedTensorType>(in.getType()).getDimSize(axis);
    if (sink.needs(in))
      sink.accumulate(b, getLoc(), in,
                      SliceOp::create(b, getLoc(), in.getType(), g, b.getI64IntegerAttr(axis),
                                      b.getI64IntegerAttr(start),
                                      b.getI64IntegerAttr(start + size)));
    start += size;
  }
  return success();
}

LogicalResult FlattenOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    ReshapeOp::create(b, getLoc(), getInput().getType(), g));
  return success();
}

/// A shuffle with g groups is undone by one with C/g groups.
LogicalResult ChannelShuffleOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  int64_t c = getInput().getType().getDimSize(1);
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    ChannelShuffleOp::create(b, getLoc(), getInput().getType(), g,
                                             b.getI64IntegerAttr(c / getGroups())));
  return success();
}

LogicalResult SliceOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    SliceGradOp::create(b, getLoc(), getInput().getType(), g, getAxisAttr(),
                                        getStartAttr()));
  return success();
}

/// The inverse permutation.
LogicalResult PermuteOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  ArrayRef<int64_t> dims = getDims();
  SmallVector<int64_t> inverse(dims.size());
  for (auto [i, d] : llvm::enumerate(dims))
    inverse[d] = i;
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    PermuteOp::create(b, getLoc(), getInput().getType(), g,
                                      b.getDenseI64ArrayAttr(inverse)));
  return success();
}
