//===- CnnToLinalg.h - cnn -> linalg patterns ------------------*- C++ -*-===//
#ifndef CNNC_CONVERSION_CNNTOLINALG_H
#define CNNC_CONVERSION_CNNTOLINALG_H

#include "mlir/Transforms/DialectConversion.h"

namespace cnnc {
// One populate function per op family (one file each).
void populateConvolutionLoweringPatterns(mlir::RewritePatternSet &patterns);
/// `channelsLastPoolGradients`: see cnnc-convert-cnn-to-linalg's option.
void populatePoolingLoweringPatterns(mlir::RewritePatternSet &patterns,
                                     bool channelsLastPoolGradients = false);
void populateNormalizationLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateElementwiseLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateDataMovementLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateTrainingLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateCollectiveLoweringPatterns(mlir::RewritePatternSet &patterns);

/// `void (int64_t address, int64_t count)`: sums `count` floats at `address`
/// over the replicas of data-parallel training, in place (Collective.cpp).
inline constexpr const char kCrossReplicaSumFunction[] = "cnnc_cross_replica_sum_f32";
} // namespace cnnc

#endif
