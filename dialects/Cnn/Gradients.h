//===- Gradients.h - what an op's gradient rule talks to --------*- C++ -*-===//
//
// DifferentiableOpInterface::buildGradients hands each operand's gradient to
// a GradientSink; cnnc-build-train-step implements it (accumulation per
// value, which values need a gradient, the training form of an op such as
// batchnorm's statistics of the batch).
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_DIALECT_CNN_GRADIENTS_H
#define CNNC_DIALECT_CNN_GRADIENTS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace mlir::cnn {

class GradientSink {
public:
  virtual ~GradientSink() = default;
  /// Whether `v` needs a gradient (it depends on a learnable parameter).
  virtual bool needs(Value v) const = 0;
  /// Adds `grad` to the gradient of `v`.
  virtual void accumulate(OpBuilder &b, Location loc, Value v, Value grad) = 0;
  /// The op that computes `op` in the training step when it differs from the
  /// inference form (batchnorm_train for batchnorm), or nullptr.
  virtual Operation *trainingFormOf(Operation *op) const = 0;
};

/// dL/d(operand) of a broadcasting op: `grad` summed over the dimensions
/// `operand` was broadcast along (itself when the shapes agree).
Value unbroadcast(OpBuilder &b, Location loc, Value grad, Value operand);

} // namespace mlir::cnn

#endif // CNNC_DIALECT_CNN_GRADIENTS_H
