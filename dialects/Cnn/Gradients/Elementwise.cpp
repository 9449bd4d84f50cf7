//===- Elementwise.cpp - gradients of activations, add and mul ------------===//

#include "Cnn/CnnDialect.h"
#include "Cnn/Gradients.h"

using namespace mlir;
using namespace mlir::cnn;

Value mlir::cnn::unbroadcast(OpBuilder &b, Location loc, Value g, Value operand) {
  if (cast<RankedTensorType>(g.getType()).getShape() ==
      cast<RankedTensorType>(operand.getType()).getShape())
    return g;
  return ReduceToOp::create(b, loc, operand.getType(), g);
}

namespace {
/// dL/dx = activation_grad(dL/dy, v) with v the input or the output,
/// whichever the derivative is written in.
LogicalResult activationGradient(OpBuilder &b, Location loc, Value input, Value value,
                                 StringRef kind, Value g, GradientSink &sink,
                                 FloatAttr alpha = {}) {
  if (sink.needs(input))
    sink.accumulate(b, loc, input,
                    ActivationGradOp::create(b, loc, input.getType(), g, value,
                                             b.getStringAttr(kind), alpha));
  return success();
}
} // namespace

LogicalResult ReluOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  return activationGradient(b, getLoc(), getInput(), getInput(), "relu", g, sink);
}
LogicalResult Relu6Op::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  return activationGradient(b, getLoc(), getInput(), getInput(), "relu6", g, sink);
}
LogicalResult SigmoidOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  return activationGradient(b, getLoc(), getInput(), getOutput(), "sigmoid", g, sink);
}
LogicalResult TanhOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  return activationGradient(b, getLoc(), getInput(), getOutput(), "tanh", g, sink);
}

LogicalResult SiluOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  return activationGradient(b, getLoc(), getInput(), getInput(), "silu", g, sink);
}
LogicalResult HardswishOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  return activationGradient(b, getLoc(), getInput(), getInput(), "hardswish", g, sink);
}
LogicalResult HardsigmoidOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  return activationGradient(b, getLoc(), getInput(), getInput(), "hardsigmoid", g, sink);
}
LogicalResult LeakyReluOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  return activationGradient(b, getLoc(), getInput(), getInput(), "leaky_relu", g, sink,
                            getNegativeSlopeAttr());
}
LogicalResult GeluOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  return activationGradient(b, getLoc(), getInput(), getInput(),
                            getApproximate() == "tanh" ? "gelu_tanh" : "gelu", g, sink);
}

LogicalResult AddOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  if (sink.needs(getLhs()))
    sink.accumulate(b, getLoc(), getLhs(), unbroadcast(b, getLoc(), g, getLhs()));
  if (sink.needs(getRhs()))
    sink.accumulate(b, getLoc(), getRhs(), unbroadcast(b, getLoc(), g, getRhs()));
  return success();
}

LogicalResult MulOp::buildGradients(OpBuilder &b, Value g, GradientSink &sink) {
  Location loc = getLoc();
  if (sink.needs(getLhs())) {
    Value t = MulOp::create(b, loc, g.getType(), g, getRhs());
    sink.accumulate(b, loc, getLhs(), unbroadcast(b, loc, t, getLhs()));
  }
  if (sink.needs(getRhs())) {
    Value t = MulOp::create(b, loc, g.getType(), g, getLhs());
    sink.accumulate(b, loc, getRhs(), unbroadcast(b, loc, t, getRhs()));
  }
  return success();
}
