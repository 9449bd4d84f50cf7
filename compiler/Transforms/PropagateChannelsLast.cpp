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
//     (map (n, c, h, w) -> (n, h, w, c), or (n, h, w, f(c)): a channel
//     shuffle) and has a generic or a slice among its users now writes
//     NHWC, and every user gets its own NHWC -> NCHW transpose, which
//     elementwise fusion then folds into generic users or cancels against
//     the NCHW -> NHWC transpose in front of a conv. Repeated to a fixed
//     point, this carries NHWC along chains of elementwise ops. Then a slice
//     of such a transpose is taken before it, in NHWC, and the rounds go on
//     (a ShuffleNet unit's channel split: both halves stay NHWC).
//  2. Every all-parallel generic whose result map is a permutation is
//     interchanged so that it iterates in the result's memory order: the
//     innermost loop writes contiguously (channels, in NHWC). This also
//     runs before each round of step 1, which looks for NCHW results in
//     that form (lowering writes transposes iterating over their input).
//
// NCHW results whose users all need NCHW (a flatten before a dense layer,
// the function's results) keep their layout. A transpose read through an
// expand_shape that only adds unit dims (a global pool's [N, C, 1, 1]
// result propagated up into its reduction, an SE block's squeeze) folds
// into the reading generic's indexing map, which elementwise fusion cannot
// do across the reshape: the pool then reads the NHWC tensor in place
// instead of a transposed copy of it.
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

/// Whether an NCHW iteration (n, c, h, w) reads an NHWC tensor's pixel
/// (n, h, w) at a channel that depends on c alone: the transpose's (n, h, w,
/// c), or a channel shuffle's (n, h, w, (c mod g) * (C/g) + c floordiv g).
bool readsChannelsLastPixel(AffineMap map) {
  if (map.getNumDims() != 4 || map.getNumResults() != 4)
    return false;
  auto dimIs = [&](unsigned result, unsigned d) {
    auto e = dyn_cast<AffineDimExpr>(map.getResult(result));
    return e && e.getPosition() == d;
  };
  AffineExpr channel = map.getResult(3);
  bool onlyC = channel.isFunctionOfDim(1) && !channel.isFunctionOfDim(0) &&
               !channel.isFunctionOfDim(2) && !channel.isFunctionOfDim(3);
  return dimIs(0, 0) && dimIs(1, 2) && dimIs(2, 3) && onlyC;
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
  bool readsChannelsLast = llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *in) {
    return readsChannelsLastPixel(op.getMatchingIndexingMap(in));
  });
  bool feedsGeneric = llvm::any_of(op->getResult(0).getUsers(), [](Operation *user) {
    return isa<linalg::GenericOp, tensor::ExtractSliceOp>(user);
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

/// G reads expand_shape(T(x)), T a data-movement generic with permutation
/// maps, the expand only adding unit dims: G reads x, the dim that T writes
/// to its output dim k through the expression G used for the expand's
/// non-unit dim of group k (or its first dim, when all of them are units).
struct FoldTransposeThroughUnitExpand : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    for (OpOperand *operand : op.getDpsInputOperands()) {
      auto expand = operand->get().getDefiningOp<tensor::ExpandShapeOp>();
      if (!expand || !expand->hasOneUse())
        continue;
      auto transpose = expand.getSrc().getDefiningOp<linalg::GenericOp>();
      if (!transpose || !transpose->hasOneUse() || !isAllParallel(transpose) ||
          !isDataMovement(transpose) || transpose.getNumDpsInputs() != 1 ||
          transpose.getNumDpsInits() != 1)
        continue;
      AffineMap inputMap = transpose.getMatchingIndexingMap(transpose.getDpsInputOperand(0));
      AffineMap outputMap = transpose.getMatchingIndexingMap(transpose.getDpsInitOperand(0));
      if (!inputMap.isPermutation() || !outputMap.isPermutation())
        continue;
      ArrayRef<int64_t> expanded = expand.getResultType().getShape();
      SmallVector<int64_t> chosen; // per source dim, the expanded dim it is read through
      bool unitsOnly = true;
      for (const ReassociationIndices &group : expand.getReassociationIndices()) {
        int64_t pick = group.front(), nonUnit = 0;
        for (int64_t d : group)
          if (expanded[d] != 1) {
            pick = d;
            ++nonUnit;
          }
        unitsOnly &= nonUnit <= 1;
        chosen.push_back(pick);
      }
      if (!unitsOnly)
        continue;
      AffineMap readMap = op.getMatchingIndexingMap(operand);
      SmallVector<AffineExpr> exprs;
      // Input dim i is T's loop inputMap(i), which T writes to output dim k.
      for (AffineExpr e : inputMap.getResults()) {
        unsigned k = *outputMap.getResultPosition(e);
        exprs.push_back(readMap.getResult(chosen[k]));
      }
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      maps[operand->getOperandNumber()] =
          AffineMap::get(readMap.getNumDims(), 0, exprs, op.getContext());
      Value x = transpose.getDpsInputOperand(0)->get();
      rewriter.modifyOpInPlace(op, [&] {
        operand->set(x);
        op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
      });
      return success();
    }
    return failure();
  }
};

/// extract_slice(T(x)), T an NHWC -> NCHW transpose read only by slices: the
/// slice is taken of x (offsets, sizes and strides permuted the same way)
/// and transposed, where the transpose can fold into the slice's consumer
/// (a ShuffleNet unit's channel split feeding a conv and a concat).
struct SliceBeforeTranspose : OpRewritePattern<tensor::ExtractSliceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractSliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto transpose = slice.getSource().getDefiningOp<linalg::GenericOp>();
    // Every user a slice: the whole transpose then goes, each slice's part kept.
    if (!transpose ||
        !llvm::all_of(transpose->getUsers(), llvm::IsaPred<tensor::ExtractSliceOp>) ||
        !isAllParallel(transpose) || !isDataMovement(transpose) ||
        transpose.getNumDpsInputs() != 1 || transpose.getNumLoops() != 4 ||
        slice.getType().getRank() != 4)
      return failure();
    // Output index (n, c, h, w) reads input index (n, h, w, c), in whatever
    // loop order the generic iterates.
    AffineMap in = transpose.getMatchingIndexingMap(transpose.getDpsInputOperand(0));
    AffineMap out = transpose.getMatchingIndexingMap(transpose.getDpsInitOperand(0));
    if (!in.isPermutation() || !out.isPermutation() ||
        in.compose(inversePermutation(out)) != channelsLastMap(slice.getContext()))
      return failure();
    auto nhwc = [](ArrayRef<OpFoldResult> v) {
      return SmallVector<OpFoldResult>{v[0], v[2], v[3], v[1]};
    };
    Value x = transpose.getDpsInputOperand(0)->get();
    Value sliced = tensor::ExtractSliceOp::create(
        rewriter, slice.getLoc(), x, nhwc(slice.getMixedOffsets()), nhwc(slice.getMixedSizes()),
        nhwc(slice.getMixedStrides()));
    rewriter.replaceOp(slice,
                       cnnc::lowering::transpose(rewriter, slice.getLoc(), sliced, {0, 3, 1, 2}));
    return success();
  }
};

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
    patterns.add<FoldTransposeThroughUnitExpand>(ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::EmptyOp::getCanonicalizationPatterns(patterns, ctx);
    FrozenRewritePatternSet frozen(std::move(patterns));
    RewritePatternSet slicePatterns(ctx);
    slicePatterns.add<SliceBeforeTranspose>(ctx);
    FrozenRewritePatternSet slicesBeforeTransposes(std::move(slicePatterns));

    // Each round moves at least one generic to NHWC and none back, so the
    // number of rounds is bounded by the number of generics (the cap only
    // guards against a fusion that leaves a pattern this pass re-matches).
    // Slices then move above the transposes they read, and where one did,
    // the rounds go on from there.
    for (bool slicesMoved = true; slicesMoved;) {
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
      slicesMoved = false;
      GreedyRewriteConfig config;
      if (failed(applyPatternsGreedily(module, slicesBeforeTransposes, config, &slicesMoved)))
        return signalPassFailure();
      if (slicesMoved && failed(applyPatternsGreedily(module, frozen)))
        return signalPassFailure();
    }
    iterateAllInResultOrder(rewriter, module);
  }
};

} // namespace
