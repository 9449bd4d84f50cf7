//===- PairedFilter.h - filter layouts of channel pairs and quads -*- C++ -*-===//
//
// cnnc-demote-convs-to-bf16 prepares a conv's HWCF filter as pairs
// P[F/B, KH, KW, C/2, B, 2] (cnnc-quantize-convs-to-int8: quads
// [F/B, KH, KW, C/4, B, 4]) and reads it back through a layout view (a
// transpose to [KH, KW, C/G, G, F/B, B], collapsed to HWCF); the
// contraction lowerings recognize the view and read P directly.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TRANSFORMS_PAIREDFILTER_H
#define CNNC_TRANSFORMS_PAIREDFILTER_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

#include <array>
#include <cstdint>

namespace cnnc::paired_filter {

/// The view's transpose: P's dims as [KH, KW, C/G, G, F/B, B].
inline constexpr std::array<int64_t, 6> kViewPermutation = {1, 2, 3, 5, 0, 4};

/// [KH, KW, C/G, G, F/B, B] <-> HWCF.
inline llvm::SmallVector<mlir::ReassociationIndices> viewReassociation() {
  return {{0}, {1}, {2, 3}, {4, 5}};
}

/// The f32 HWCF filter `w` as groups of `group` channels P (see above) of
/// `elementType`, each element `body(w, [perChannel[f],] init)` (a
/// linalg.generic body; `perChannel`, if given, is a tensor<F> read at the
/// element's output channel), read back as an HWCF tensor through a
/// layout view. The block B is 64 output channels where F allows, else F.
mlir::Value groupedFilter(mlir::OpBuilder &b, mlir::Location loc, mlir::Value w, int64_t group,
                          mlir::Type elementType, mlir::Value perChannel,
                          llvm::function_ref<void(mlir::OpBuilder &, mlir::Location,
                                                  mlir::ValueRange)>
                              body);

/// The largest number `v` is known to be a multiple of (0 when it is 0):
/// constants, loop induction variables (their start and step), sums,
/// products and affine maps of those.
int64_t knownDivisor(mlir::Value v);

/// The filter prepared as groups P that `rhs` (a [K, N] block of an HWCF
/// filter: rows c.., channels f..) is a transfer_read of, through slices
/// and the layout view, with the block's (kh, kw, c, f) in the view's
/// coordinates; nullopt if it is not, or if c is not known to be a
/// multiple of G or f of N inside one block.
struct GroupedRows {
  mlir::Value grouped; // [F/B, KH, KW, C/G, B, G]
  llvm::SmallVector<mlir::OpFoldResult> indices;
};
std::optional<GroupedRows> traceGroupedRows(mlir::RewriterBase &rewriter, mlir::Location loc,
                                            mlir::Value rhs, int64_t n);

/// Rows G*q .. G*q+G-1 of the rhs block, interleaved (each column's G rows
/// adjacent), per L-lane slice of N (vectors of G*L elements): read from P
/// at [f / B, kh, kw, c / G + q, f % B, 0].
llvm::SmallVector<mlir::Value> readGroupedRows(mlir::RewriterBase &rewriter, mlir::Location loc,
                                               const GroupedRows &rows, int64_t q, int64_t n,
                                               int64_t lanes);

/// `v` (a vector) if its elements are `element`, or the source of its
/// extension (arith.extf, arith.extsi) from `element`; else null: a dot
/// product lowering's operand in its narrow type.
mlir::Value narrowOperand(mlir::Value v, mlir::Type element);

/// A register block's contraction [pixels..., K] x [K, N] into [pixels..., N]
/// (acc in loop order, K the last loop), as the dot-product lowerings take
/// it: `n`, `pixels` (the product of the leading dims) and `k`.
struct BlockContraction {
  int64_t pixels, n, k;
  llvm::SmallVector<int64_t> leading; // the accumulator's leading dims
  /// The leading position of pixel p.
  llvm::SmallVector<int64_t> position(int64_t p) const;
};
std::optional<BlockContraction> matchBlockContraction(mlir::vector::ContractionOp contract);

/// A block contraction whose operands are `narrow` (or extended from it)
/// into `accElement` accumulators, whose K is a multiple of the dot
/// product's `group` (bf16 pairs, int8 quads) and whose N some lane count
/// divides: the narrow operands, the block, and the widest of 16, 8, 4
/// lanes, at most `maxLanes`, that divides N.
struct NarrowBlockContraction {
  mlir::Value lhs, rhs;
  BlockContraction block;
  int64_t lanes;
};
std::optional<NarrowBlockContraction>
matchNarrowBlockContraction(mlir::vector::ContractionOp contract, mlir::Type narrow,
                            mlir::Type accElement, int64_t group, int64_t maxLanes);

/// The accumulator as per-pixel L-lane slices (pixel-major), and back.
/// Rows (the innermost dim) are taken and put back whole: n-D vectors lower
/// to arrays of rows, so this moves no data (a flattened accumulator made
/// LLVM shuffle and spill the whole block).
llvm::SmallVector<mlir::Value> accumulatorSlices(mlir::OpBuilder &b, mlir::Location loc,
                                                 mlir::Value acc, const BlockContraction &block,
                                                 int64_t lanes);
mlir::Value joinAccumulatorSlices(mlir::OpBuilder &b, mlir::Location loc, mlir::Value acc,
                                  mlir::ValueRange slices, const BlockContraction &block,
                                  int64_t lanes);

} // namespace cnnc::paired_filter

#endif
