//===- Normalization.cpp - gradients of the normalizations and dropouts --===//

#include "Cnn/CnnDialect.h"
#include "Cnn/Gradients.h"

using namespace mlir;
using namespace mlir::cnn;

/// Through the batch statistics of the batchnorm_train op that replays this
/// batchnorm in the training step.
LogicalResult BatchNormOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  auto train = dyn_cast_or_null<BatchNormTrainOp>(sink.trainingFormOf(*this));
  if (!train)
    return emitError("batchnorm has no training form to differentiate through");
  Location loc = getLoc();
  auto grad = BatchNormGradOp::create(
      b, loc, TypeRange{getInput().getType(), getWeight().getType(), getBias().getType()}, g,
      getInput(), train.getMean(), train.getInvstd(), getWeight(), train.getRows(),
      train.getCrossReplicaAttr());
  if (sink.needs(getInput()))
    sink.accumulate(b, loc, getInput(), grad.getGradInput());
  sink.accumulate(b, loc, getWeight(), grad.getGradWeight());
  sink.accumulate(b, loc, getBias(), grad.getGradBias());
  return success();
}

/// p = 0 (or inference form): the identity.
LogicalResult DropoutOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(), g);
  return success();
}

/// The same mask and scale: the hash rebuilds it, nothing was stored.
LogicalResult DropoutTrainOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    DropoutTrainOp::create(b, getLoc(), g.getType(), g, getRng(), getPAttr(),
                                           getSaltAttr(), getMaskDimsAttr()));
  return success();
}

LogicalResult SoftmaxOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(),
                    SoftmaxGradOp::create(b, getLoc(), g.getType(), g, getOutput(),
                                          getAxisAttr()));
  return success();
}

LogicalResult LayerNormOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  Location loc = getLoc();
  Value weight = getAffine().empty() ? Value() : getAffine()[0];
  SmallVector<Type> types = {getInput().getType()};
  if (weight)
    types.append(2, weight.getType());
  auto grad = LayerNormGradOp::create(b, loc, types, g, getInput(), weight, getAxesAttr(),
                                      getEpsilonAttr());
  if (sink.needs(getInput()))
    sink.accumulate(b, loc, getInput(), grad.getGrads()[0]);
  if (weight) {
    sink.accumulate(b, loc, getAffine()[0], grad.getGrads()[1]);
    sink.accumulate(b, loc, getAffine()[1], grad.getGrads()[2]);
  }
  return success();
}

/// p = 0 (or inference form): the identity; a training step replays it as
/// dropout_train with a per-sample mask.
LogicalResult StochasticDepthOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getInput()))
    sink.accumulate(b, getLoc(), getInput(), g);
  return success();
}
