//===- ApproximateMath.cpp - exp, tanh, erf as polynomials on the CPU -----===//

#include "Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cnnc {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {
struct ApproximateMathPass : cnnc::impl::ApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // LLVM scalarizes vector exp/tanh/erf into libm calls (and has no erf):
    // MLIR's polynomials keep sigmoid, SiLU, tanh and GELU vectorized.
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return name.ends_with("exp") || name.ends_with("tanh") || name.ends_with("erf");
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
