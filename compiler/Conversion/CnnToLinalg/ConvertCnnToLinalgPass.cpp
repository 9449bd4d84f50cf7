//===- ConvertCnnToLinalgPass.cpp - the cnn -> linalg conversion -----------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"
#include "Passes.h"

#include "Cnn/CnnDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace cnnc {
#define GEN_PASS_DEF_CONVERTCNNTOLINALGPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {
struct ConvertCnnToLinalgPass
    : cnnc::impl::ConvertCnnToLinalgPassBase<ConvertCnnToLinalgPass> {
  using ConvertCnnToLinalgPassBase::ConvertCnnToLinalgPassBase;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<cnn::CnnDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect, arith::ArithDialect,
                           math::MathDialect, func::FuncDialect, memref::MemRefDialect,
                           bufferization::BufferizationDialect, scf::SCFDialect>();
    RewritePatternSet patterns(ctx);
    cnnc::populateConvolutionLoweringPatterns(patterns);
    cnnc::populatePoolingLoweringPatterns(patterns, channelsLastPoolGradients);
    cnnc::populateNormalizationLoweringPatterns(patterns);
    cnnc::populateElementwiseLoweringPatterns(patterns);
    cnnc::populateDataMovementLoweringPatterns(patterns);
    cnnc::populateTrainingLoweringPatterns(patterns);
    cnnc::populateCollectiveLoweringPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
