//===- ScheduledOps.h - the ops CPU schedules are written for ---*- C++ -*-===//
//
// Shared by the selection pass (cnnc-select-cpu-schedules) and the passes
// that apply its schedules.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_TRANSFORMS_SCHEDULEDOPS_H
#define CNNC_TRANSFORMS_SCHEDULEDOPS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace cnnc {

/// Largest divisor of `n` that is at most `limit`.
int64_t largestDivisor(int64_t n, int64_t limit);

/// Winograd output tiles of side `m` along `size` outputs, the last partial.
int64_t tilesAlong(int64_t size, int64_t m);

/// A Winograd conv's channel tile: two vectors of `lanes` where they divide
/// `channels`, else one, else all the channels.
int64_t winogradChannelTile(int64_t channels, int64_t lanes);

/// Ops scheduled as depthwise convs: [1, 1, OW, C] blocks, kernel rows one
/// at a time (loops n, oh, ow, c, kh, kw). Pools are depthwise convs
/// without a filter.
bool isDepthwiseLike(mlir::Operation *op);

/// A matmul-like contraction: a linalg.matmul, or a generic that
/// multiplies and accumulates over one or more reduction loops into an
/// [M, N] result (a dense layer whose flatten was folded into it by
/// elementwise fusion, a training gradient with a transposed operand).
bool isMatmulLike(mlir::linalg::LinalgOp op);

/// Whether `conv`'s accumulator passes through another conv: its
/// initializer is a conv's result, or its only user is a conv (the phases
/// of a strided conv, cnnc-split-strided-convs, accumulate one into the
/// next), so it lives in memory between them.
bool accumulatesThroughConvs(mlir::linalg::Conv2DNhwcHwcfOp conv);

/// The tensor whose channels `conv` reads a slice of (through any chain of
/// slices): the input of a grouped conv, of which `conv` is one group
/// (cnnc-convert-cnn-to-linalg); a null value for any other conv.
mlir::Value groupedConvInput(mlir::linalg::Conv2DNhwcHwcfOp conv);

/// Whether cnnc-select-cpu-schedules given `options` (its textual options,
/// `cnnc --schedule-options`) puts reduced-precision convs on matrix tiles
/// where the target has them; read by the pass's own option parser.
bool selectsMatrixTiles(llvm::StringRef options);

} // namespace cnnc

#endif
