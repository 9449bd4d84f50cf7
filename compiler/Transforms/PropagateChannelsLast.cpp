//===- PropagateChannelsLast.cpp - keep activations in NHWC between convs -===//
//
// Convolutions and pooling compute in NHWC; the cnn dialect's activations
// are NCHW, so lowering leaves a layout transpose on each side of every
// conv. Elementwise fusion folds a transpose into its consumer only where
// the producer has one use: a ReLU feeding a conv and a residual add (or a
// DenseNet concat) still materializes its NCHW result, and the conv reads it
// back through a strided transpose (MobileNetV2's 96x112x112 expansion took
// 10 ms of transposes per image). This pass moves the layout change to the
// graph's edges instead:
//
//  1. An elementwise generic with an NCHW result that reads an NHWC tensor
//     (map (n, c, h, w) -> (n, h, w, c)) and has a generic among its users
//     now writes NHWC, and every user gets its own NHWC -> NCHW transpose,
//     which elementwise fusion then folds into generic users or cancels
//     against the NCHW -> NHWC transpose in front of a conv. Repeated to a
//     fixed point, this carries NHWC along chains of elementwise ops.
//  2. Every all-parallel generic whose result map is a permutation is
//     interchanged so that it iterates in the result's memory order: the
//     innermost loop writes contiguously (channels, in NHWC). This also
//     runs before each round of step 1, which looks for NCHW results in
//     that form (lowering writes transposes iterating over their input).
//
// NCHW results whose users all need NCHW (a flatten before a dense layer,
// the function's results) keep their layout.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/LoopOrder.h"
#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cnnc {
#define GEN_PASS_DEF_PROPAGATECHANNELSLASTPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// (n, c, h, w) -> (n, h, w, c): how an NCHW iteration reads an NHWC tensor.
AffineMap channelsLastMap(MLIRContext *ctx) {
  return AffineMap::getPermutationMap(ArrayRef<unsigned>{0, 2, 3, 1}, ctx);
}

/// A generic that only moves data (a transpose or copy).
bool isDataMovement(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 1)
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  return llvm::all_of(yield.getOperands(), [&](Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner() == &body && arg.getArgNumber() < op.getNumDpsInputs();
  });
}

bool isAllParallel(linalg::GenericOp op) {
  return op.hasPureTensorSemantics() && op.getNumLoops() == op.getNumParallelLoops();
}

/// Step 1's test: a 4-D elementwise generic computing an NCHW result
/// (identity result map, the accumulator unused) from at least one NHWC
/// input, whose result some generic consumes. A plain NHWC -> NCHW transpose
/// qualifies only with several users (a pooled tensor feeding a conv and a
/// residual add): the single-use transposes this pass inserts are left to
/// elementwise fusion.
bool shouldWriteChannelsLast(linalg::GenericOp op) {
  if (!isAllParallel(op) || op.getNumLoops() != 4 || op.getNumDpsInits() != 1 ||
      (isDataMovement(op) && op->getResult(0).hasOneUse()))
    return false;
  OpOperand *init = op.getDpsInitOperand(0);
  if (!op.getMatchingIndexingMap(init).isIdentity() || op.payloadUsesValueFromOperand(init))
    return false;
  AffineMap nhwc = channelsLastMap(op.getContext());
  bool readsChannelsLast = llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *in) {
    return op.getMatchingIndexingMap(in) == nhwc;
  });
  bool feedsGeneric = llvm::any_of(op->getResult(0).getUsers(), [](Operation *user) {
    return isa<linalg::GenericOp>(user);
  });
  return readsChannelsLast && feedsGeneric;
}

void writeChannelsLast(RewriterBase &rewriter, linalg::GenericOp op) {
  Location loc = op.getLoc();
  auto nchwType = cast<RankedTensorType>(op->getResult(0).getType());
  auto s = nchwType.getShape();
  rewriter.setInsertionPoint(op);
  Value init = cnnc::lowering::emptyTensor(rewriter, loc, {s[0], s[2], s[3], s[1]});
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps.back() = channelsLastMap(op.getContext());
  auto nhwcOp = linalg::GenericOp::create(rewriter, loc, TypeRange{init.getType()},
                                          op.getDpsInputs(), ValueRange{init}, maps,
                                          op.getIteratorTypesArray());
  rewriter.inlineRegionBefore(op.getRegion(), nhwcOp.getRegion(), nhwcOp.getRegion().end());
  for (OpOperand &use : llvm::make_early_inc_range(op->getResult(0).getUses())) {
    rewriter.setInsertionPoint(use.getOwner());
    Value back = cnnc::lowering::transpose(rewriter, loc, nhwcOp.getResult(0), {0, 3, 1, 2});
    rewriter.modifyOpInPlace(use.getOwner(), [&] { use.set(back); });
  }
  rewriter.eraseOp(op);
}

/// Step 2: iterate in the result's memory order.
void iterateInResultOrder(RewriterBase &rewriter, linalg::GenericOp op) {
  if (!isAllParallel(op) || op.getNumDpsInits() != 1)
    return;
  cnnc::interchangeToMapOrder(rewriter, op, op.getMatchingIndexingMap(op.getDpsInitOperand(0)));
}

void iterateAllInResultOrder(RewriterBase &rewriter, ModuleOp module) {
  SmallVector<linalg::GenericOp> generics;
  module.walk([&](linalg::GenericOp op) { generics.push_back(op); });
  for (linalg::GenericOp op : generics)
    iterateInResultOrder(rewriter, op);
}

struct PropagateChannelsLastPass
    : cnnc::impl::PropagateChannelsLastPassBase<PropagateChannelsLastPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);

    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, [](OpOperand *operand) {
      Operation *producer = operand->get().getDefiningOp();
      return producer && producer->hasOneUse();
    });
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::EmptyOp::getCanonicalizationPatterns(patterns, ctx);
    FrozenRewritePatternSet frozen(std::move(patterns));

    // Each round moves at least one generic to NHWC and none back, so the
    // number of rounds is bounded by the number of generics (the cap only
    // guards against a fusion that leaves a pattern this pass re-matches).
    for (int round = 0; round < 10000; ++round) {
      iterateAllInResultOrder(rewriter, module);
      SmallVector<linalg::GenericOp> candidates;
      module.walk([&](linalg::GenericOp op) {
        if (shouldWriteChannelsLast(op))
          candidates.push_back(op);
      });
      if (candidates.empty())
        break;
      for (linalg::GenericOp op : candidates)
        writeChannelsLast(rewriter, op);
      if (failed(applyPatternsGreedily(module, frozen)))
        return signalPassFailure();
    }
    iterateAllInResultOrder(rewriter, module);
  }
};

} // namespace
