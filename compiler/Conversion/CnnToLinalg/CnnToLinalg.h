//===- CnnToLinalg.h - cnn -> linalg patterns ------------------*- C++ -*-===//
#ifndef CNNC_CONVERSION_CNNTOLINALG_H
#define CNNC_CONVERSION_CNNTOLINALG_H

#include "mlir/Transforms/DialectConversion.h"

namespace cnnc {
// One populate function per op family (one file each).
void populateConvolutionLoweringPatterns(mlir::RewritePatternSet &patterns);
void populatePoolingLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateNormalizationLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateElementwiseLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateDataMovementLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateTrainingLoweringPatterns(mlir::RewritePatternSet &patterns);
} // namespace cnnc

#endif
