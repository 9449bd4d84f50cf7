//===- CnnInterfaces.td - cnn op interfaces ----------------*- tablegen -*-===//
//
// The reverse-mode derivative of each op of the forward graph, attached to
// the op (as Toy's ShapeInference interface is): cnnc-build-train-step asks
// each op for its operands' gradients and knows no op by name.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECT_CNN_INTERFACES
#define CNNC_DIALECT_CNN_INTERFACES

include "mlir/IR/OpBase.td"

def Cnn_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let description = [{
    An op of the forward graph with a vector-Jacobian product: given the
    gradient of the loss with respect to its (first) result, it builds the
    gradients of its operands and hands each to the GradientSink
    (Cnn/Gradients.h), which sums the gradients of a value over its users and
    knows which values need one.
  }];
  let cppNamespace = "::mlir::cnn";
  let methods = [
    InterfaceMethod<
      /*desc=*/"Builds the operands' gradients at the builder's insertion point.",
      /*retTy=*/"::llvm::LogicalResult",
      /*methodName=*/"buildGradients",
      /*args=*/(ins "::mlir::OpBuilder &":$builder, "::mlir::Value":$resultGrad,
                    "::mlir::cnn::GradientSink &":$sink)>,
  ];
}

#endif // CNNC_DIALECT_CNN_INTERFACES
