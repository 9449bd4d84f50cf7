//===- CnnAttrNames.h - the names of the cnn.* discardable attributes -*- C++ -*-===//
//
// Every `cnn.*` attribute that the importer, the passes and the artifact
// writer put on modules, functions, arguments, results and ops, declared
// once. What each one means is written here; passes refer to these names.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_DIALECT_CNN_ATTRNAMES_H
#define CNNC_DIALECT_CNN_ATTRNAMES_H

#include "llvm/ADT/StringRef.h"

namespace mlir::cnn::attr_names {

// Module.
/// The model's name (a string).
inline constexpr llvm::StringLiteral kModel = "cnn.model";
/// The training settings (a dictionary: loss, optimizer, learning rate...).
inline constexpr llvm::StringLiteral kTraining = "cnn.training";
/// The training step's learnable parameters and running statistics, by name.
inline constexpr llvm::StringLiteral kTrainLearnable = "cnn.train_learnable";
inline constexpr llvm::StringLiteral kTrainRunningStats = "cnn.train_running_stats";
/// The layer names that profiling marks index, in order.
inline constexpr llvm::StringLiteral kLayers = "cnn.layers";
/// The same for the training step's marks ("node op": forward, gradient and
/// update ops of one node each have their own).
inline constexpr llvm::StringLiteral kTrainLayers = "cnn.train_layers";
/// cnnc-plan-memory's plan, for reports: [offset, bytes, first, last] per
/// buffer (first/last: top-level op positions of its live range) and the
/// buffers' names (their allocations' locations).
inline constexpr llvm::StringLiteral kArenaPlan = "cnn.arena_plan";
inline constexpr llvm::StringLiteral kArenaPlanNames = "cnn.arena_plan_names";

// Function arguments and results of `forward`, `prepare` and `train_step`.
/// A model input (its name), a parameter (its tensor name), an output.
inline constexpr llvm::StringLiteral kInput = "cnn.input";
inline constexpr llvm::StringLiteral kParam = "cnn.param";
inline constexpr llvm::StringLiteral kOutput = "cnn.output";
/// `forward`'s argument holding `prepare`'s result number N.
inline constexpr llvm::StringLiteral kPrepared = "cnn.prepared";
/// `prepare`'s result shapes.
inline constexpr llvm::StringLiteral kPreparedShapes = "cnn.prepared_shapes";
/// The training step's labels, RNG state {seed, step} and learning rate.
inline constexpr llvm::StringLiteral kLabels = "cnn.labels";
inline constexpr llvm::StringLiteral kRng = "cnn.rng";
inline constexpr llvm::StringLiteral kLearningRate = "cnn.lr";
/// The training step's count of the optimizer steps taken before it (i64[1]).
inline constexpr llvm::StringLiteral kOptimizerStep = "cnn.optimizer_step";
/// A parameter's optimizer buffer (argument), its updated value and buffer,
/// its gradient and the loss (results).
inline constexpr llvm::StringLiteral kMomentumBuffer = "cnn.momentum_buffer";
inline constexpr llvm::StringLiteral kNewParam = "cnn.new_param";
inline constexpr llvm::StringLiteral kNewBuffer = "cnn.new_buffer";
inline constexpr llvm::StringLiteral kGrad = "cnn.grad";
inline constexpr llvm::StringLiteral kLoss = "cnn.loss";
/// The planned arena (argument) and its size in bytes (function).
inline constexpr llvm::StringLiteral kArena = "cnn.arena";
inline constexpr llvm::StringLiteral kArenaBytes = "cnn.arena_bytes";

/// --precision=int8: each calibrated conv input's range, by node name (a
/// dictionary of [min, max] f32 arrays; cnnc --calibrate writes it).
inline constexpr llvm::StringLiteral kCalibration = "cnn.calibration";

// Ops, between passes.
/// A conv whose elementwise consumer joins its register tile.
inline constexpr llvm::StringLiteral kFusedEpilogue = "cnn.fused_epilogue";
/// A whole-block op vectorized where it stands (inside a block forall).
inline constexpr llvm::StringLiteral kVectorizeInTile = "cnn.vectorize_in_tile";
/// A filter-block chain's forall whose output rows become the parallel loop
/// once bufferized, the blocks walked inside each row
/// (cnnc-walk-rows-outside-blocks).
inline constexpr llvm::StringLiteral kRowsOutsideBlocks = "cnn.rows_outside_blocks";
/// The first insert of a filter-block chain that writes over the result of
/// an earlier one (a residual accumulated in place, or a narrower tail
/// block inserted first): the chains stay apart.
inline constexpr llvm::StringLiteral kChainStart = "cnn.chain_start";
/// A view of a parameter in its load-time layout (the bf16 filter pairs of
/// cnnc-demote-convs-to-bf16, the int8 quads of cnnc-quantize-convs-to-int8) that readers fold away: it stays in @forward.
inline constexpr llvm::StringLiteral kLayoutView = "cnn.layout_view";
/// A transform of a parameter into a larger load-time layout (a Winograd
/// filter transform, cnnc-winograd-convs) that cnnc-hoist-parameter-transforms
/// moves to @prepare although it grows its operand.
inline constexpr llvm::StringLiteral kPreparedTransform = "cnn.prepared_transform";
/// An elementwise generic split into this many parallel pieces per dim.
inline constexpr llvm::StringLiteral kParallelChunks = "cnn.parallel_chunks";
/// A transposing copy walked in blocks of these sizes per loop (0: whole).
inline constexpr llvm::StringLiteral kTransposeTiles = "cnn.transpose_tiles";

/// The prefix of all of them.
inline constexpr llvm::StringLiteral kPrefix = "cnn.";

} // namespace mlir::cnn::attr_names

#endif // CNNC_DIALECT_CNN_ATTRNAMES_H
