//===- CnnBase.td - cnn dialect definition -----------------*- tablegen -*-===//
//
// The `cnn` dialect: the operators of a convolutional network with PyTorch's
// semantics on ranked f32 tensors in NCHW (or [N, F]) layout.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECT_CNN_BASE
#define CNNC_DIALECT_CNN_BASE

include "mlir/IR/OpBase.td"

def Cnn_Dialect : Dialect {
  let name = "cnn";
  let summary = "Operators of convolutional neural networks";
  let description = [{
    One op per operator of the cnnc model format. Activations are NCHW tensors
    (or [N, F] after `flatten`/`dense`); parameters (weights, biases, batchnorm
    statistics) are ordinary SSA operands, normally function arguments, so the
    IR never carries large constants. Every op infers its result type with
    PyTorch's output-size formulas and verifies its operands and attributes.
  }];
  let cppNamespace = "::mlir::cnn";
}

class Cnn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Cnn_Dialect, mnemonic, traits>;

def Cnn_F32Tensor : RankedTensorOf<[F32]>;
def Cnn_F32Tensor4D : 4DTensorOf<[F32]>;
def Cnn_F32Tensor2D : 2DTensorOf<[F32]>;
def Cnn_F32Tensor1D : 1DTensorOf<[F32]>;

// [h, w] pairs and [top, left, bottom, right] paddings.
def Cnn_Pair : ConfinedAttr<DenseI64ArrayAttr, [DenseArrayCount<2>]>;
def Cnn_Padding : ConfinedAttr<DenseI64ArrayAttr, [DenseArrayCount<4>]>;

#endif // CNNC_DIALECT_CNN_BASE
