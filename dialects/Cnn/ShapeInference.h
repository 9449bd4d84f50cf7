//===- ShapeInference.h - PyTorch output-shape rules -------------*- C++ -*-===//
//
// Pure shape arithmetic shared by the cnn ops' type inference and the model
// importer (which reports errors per node before any op exists). Each rule
// returns the output shape or a human-readable error.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECT_CNN_SHAPEINFERENCE_H
#define CNNC_DIALECT_CNN_SHAPEINFERENCE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace mlir::cnn::shape {

using Shape = llvm::SmallVector<int64_t, 4>;

/// Either a shape or the reason there is none.
struct ShapeOrError {
  Shape shape;
  std::string error;
  bool ok() const { return error.empty(); }
  static ShapeOrError fail(std::string msg) { return {{}, std::move(msg)}; }
};

std::string toString(llvm::ArrayRef<int64_t> shape);

/// Number of elements, or nullopt when it overflows int64.
std::optional<int64_t> numElements(llvm::ArrayRef<int64_t> shape);

ShapeOrError conv2d(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                    std::optional<llvm::ArrayRef<int64_t>> bias,
                    llvm::ArrayRef<int64_t> stride, llvm::ArrayRef<int64_t> padding,
                    llvm::ArrayRef<int64_t> dilation, int64_t groups);
ShapeOrError dense(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                   std::optional<llvm::ArrayRef<int64_t>> bias);
ShapeOrError convTranspose2d(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                             std::optional<llvm::ArrayRef<int64_t>> bias,
                             llvm::ArrayRef<int64_t> stride, llvm::ArrayRef<int64_t> padding,
                             llvm::ArrayRef<int64_t> outputPadding,
                             llvm::ArrayRef<int64_t> dilation, int64_t groups);
/// [N, C, H, W] -> [N, C, size[0], size[1]] (adaptive pooling, upsampling).
ShapeOrError resized2d(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> size);
ShapeOrError permute(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> dims);
/// Checks the normalized dimensions and the affine parameters' shapes.
ShapeOrError layerNorm(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> axes,
                       llvm::ArrayRef<llvm::ArrayRef<int64_t>> affine);
ShapeOrError pool2d(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
                    llvm::ArrayRef<int64_t> stride, llvm::ArrayRef<int64_t> padding,
                    bool ceilMode);
ShapeOrError globalAvgPool2d(llvm::ArrayRef<int64_t> input);
ShapeOrError batchnorm(llvm::ArrayRef<int64_t> input,
                       llvm::ArrayRef<llvm::ArrayRef<int64_t>> params);
ShapeOrError broadcast(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);
ShapeOrError concat(llvm::ArrayRef<llvm::ArrayRef<int64_t>> inputs, int64_t axis);
ShapeOrError flatten(llvm::ArrayRef<int64_t> input);
ShapeOrError channelShuffle(llvm::ArrayRef<int64_t> input, int64_t groups);
ShapeOrError slice(llvm::ArrayRef<int64_t> input, int64_t axis, int64_t start,
                   int64_t end);
ShapeOrError axisCheck(llvm::ArrayRef<int64_t> input, int64_t axis);

/// Output size of one pooled dimension (PyTorch's rule, padding split into
/// the leading and trailing sides).
int64_t pooledSize(int64_t in, int64_t kernel, int64_t stride, int64_t padBegin,
                   int64_t padEnd, bool ceilMode);

} // namespace mlir::cnn::shape

#endif // CNNC_DIALECT_CNN_SHAPEINFERENCE_H
