//===- FuseActivations.cpp - x * gate(x) as one activation ----------------===//

#include "Passes.h"

#include "Cnn/CnnDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cnnc {
#define GEN_PASS_DEF_FUSEACTIVATIONSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// mul(x, Gate(x)) (either order) -> Fused(x), when the gate has no other user.
template <typename GateOp, typename FusedOp>
struct FuseGatedActivation : OpRewritePattern<cnn::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(cnn::MulOp mul, PatternRewriter &rewriter) const override {
    for (auto [x, gated] : {std::pair{mul.getLhs(), mul.getRhs()},
                            std::pair{mul.getRhs(), mul.getLhs()}}) {
      auto gate = gated.template getDefiningOp<GateOp>();
      if (!gate || gate.getInput() != x || !gate->hasOneUse() ||
          x.getType() != mul.getType())
        continue;
      rewriter.replaceOpWithNewOp<FusedOp>(mul, mul.getType(), x);
      rewriter.eraseOp(gate);
      return success();
    }
    return failure();
  }
};

struct FuseActivationsPass : cnnc::impl::FuseActivationsPassBase<FuseActivationsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseGatedActivation<cnn::SigmoidOp, cnn::SiluOp>,
                 FuseGatedActivation<cnn::HardsigmoidOp, cnn::HardswishOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
