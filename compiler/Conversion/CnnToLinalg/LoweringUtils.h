//===- LoweringUtils.h - helpers for the cnn -> linalg patterns -*- C++ -*-===//
#ifndef CNNC_CONVERSION_CNNTOLINALG_LOWERINGUTILS_H
#define CNNC_CONVERSION_CNNTOLINALG_LOWERINGUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace cnnc::lowering {

using mlir::ArrayRef;
using mlir::Location;
using mlir::OpBuilder;
using mlir::Value;

mlir::RankedTensorType f32Tensor(OpBuilder &b, ArrayRef<int64_t> shape);
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape);
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, float value);
/// A transposing `linalg.generic` (so that elementwise fusion can fold it):
/// result dim i is input dim perm[i].
Value transpose(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> perm);
/// perm where `op` is a transpose as `transpose` builds it; none otherwise.
std::optional<llvm::SmallVector<int64_t>> transposePermutation(mlir::linalg::GenericOp op);
/// An NCHW tensor transposed to NHWC and its spatial dims padded with
/// `value` ([top, left] low, [bottom, right] high): the input of every
/// NHWC conv and pooling.
Value paddedNhwc(OpBuilder &b, Location loc, Value nchw, ArrayRef<int64_t> low,
                 ArrayRef<int64_t> high, float value);
/// `tensor.pad` with a constant; no-op when all pads are zero.
Value pad(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
          ArrayRef<int64_t> high, float value);
/// Broadcasts a 1-D per-channel vector into `shape` along dimension `dim`.
Value broadcastChannel(OpBuilder &b, Location loc, Value vec, ArrayRef<int64_t> shape,
                       int64_t dim);
/// A parallel elementwise `linalg.generic` over `outShape` whose inputs are
/// broadcast NumPy-style (right-aligned, size-1 dims repeat).
Value elementwise(OpBuilder &b, Location loc, mlir::ValueRange inputs,
                  ArrayRef<int64_t> outShape,
                  llvm::function_ref<Value(OpBuilder &, Location, mlir::ValueRange)> body);
Value f32Constant(OpBuilder &b, Location loc, float v);
/// Reshapes a tensor to `type` (same element count) via a 1-D collapse.
Value reshapeTo(OpBuilder &b, Location loc, Value input, mlir::RankedTensorType type);
/// Reassociation that groups dims [from, to) and keeps the rest alone.
llvm::SmallVector<mlir::ReassociationIndices> groupDims(int64_t rank, int64_t from, int64_t to);


using mlir::utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

inline mlir::AffineExpr dim(mlir::MLIRContext *ctx, unsigned i) {
  return mlir::getAffineDimExpr(i, ctx);
}
/// The map from a `rank`-deep loop nest to element `k` of a 1-D tensor (a
/// scalar operand: the learning rate, a step's precomputed factors).
inline mlir::AffineMap elementMap(mlir::MLIRContext *ctx, unsigned rank, int64_t k = 0) {
  return mlir::AffineMap::get(rank, 0, {mlir::getAffineConstantExpr(k, ctx)}, ctx);
}
/// A linalg.generic over `ins` into `init` whose body yields `body`'s value.
Value yieldGeneric(OpBuilder &b, Location loc, mlir::ValueRange ins, Value init,
                   llvm::ArrayRef<mlir::AffineMap> maps, llvm::ArrayRef<IteratorType> iters,
                   llvm::function_ref<Value(OpBuilder &, Location, mlir::ValueRange)> body);
/// Body of a sum-of-products generic: acc + in0 * in1 (acc is the last arg).
Value multiplyAccumulate(OpBuilder &b, Location l, mlir::ValueRange a);
/// An index constant.
Value idx(OpBuilder &b, Location l, int64_t v);

} // namespace cnnc::lowering

#endif
