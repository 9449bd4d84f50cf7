//===- PadInPlace.cpp - let producers write into their padded buffers -----===//
//
// Convolutions and pooling read explicitly padded inputs. Bufferized as it
// is, a `tensor.pad` allocates the padded buffer, fills it and copies the
// unpadded tensor in: one extra pass over every conv input (MobileNetV2's
// 112x112x96 activation took longer to pad than to convolve). Here each pad
// with a constant value becomes an empty tensor whose border (only) is
// filled, and an `insert_slice` of the source into its interior;
// `eliminate-empty-tensors` (run next in the pipeline) then makes the
// source's producer write straight into the interior of the padded buffer,
// and the copy disappears. Filling the whole buffer first, as upstream's
// pad decomposition does, wrote every interior element twice: a memset that
// took 6-7% of MobileNetV2's run time, on one thread.
//
// A value computed in place over another value that was padded the same way
// (a residual block's output written over its input, whose padded copy fed
// the block's first conv) is inserted into that padded tensor instead: the
// border is already there, and its producer already writes into the
// interior (ResNet-18's layer1.1.conv1 copied its 6.4 MB input at batch 8).
// Readers of a padded source after its pad read the padded interior: read
// from the source, bufferization counted them as conflicts with the insert
// and copied the source out and back.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cnnc {
#define GEN_PASS_DEF_PADINPLACEPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// The padding value of each padded tensor this pass built (the result of
/// the insert_slice of a pad's source into its border).
using PaddedTensors = DenseMap<Value, Attribute>;

/// Whether `slice` is the whole interior of a padded tensor padded like `pad`.
bool isInteriorLike(tensor::ExtractSliceOp slice, tensor::PadOp pad) {
  return slice.getSourceType() == pad.getResultType() &&
         slice.getResultType() == pad.getSourceType() &&
         slice.getStaticOffsets() == pad.getStaticLow() && slice.hasUnitStride();
}

/// The padded tensor P whose interior `pad`'s source was computed in place
/// over (through destination-style ops' tied inits), if P was padded like
/// `pad` and nothing reads P or its slices after `pad`. The pad then equals
/// inserting the source into P's interior, and bufferization sees a
/// matching extract/insert pair: the source is written inside P, and P's
/// border serves again.
Value paddedDestination(tensor::PadOp pad, Attribute value, const PaddedTensors &padded) {
  Block *block = pad->getBlock();
  auto readBeforePad = [&](Operation *user) {
    Operation *inBlock = block->findAncestorOpInBlock(*user);
    return inBlock && inBlock->isBeforeInBlock(pad);
  };
  Value origin = pad.getSource();
  while (auto result = dyn_cast<OpResult>(origin)) {
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(result.getOwner())) {
      auto it = padded.find(slice.getSource());
      if (it == padded.end() || it->second != value || !isInteriorLike(slice, pad) ||
          slice.getSource().getParentBlock() != block)
        return {};
      for (Operation *user : slice.getSource().getUsers()) {
        if (!readBeforePad(user))
          return {};
        if (auto other = dyn_cast<tensor::ExtractSliceOp>(user))
          if (!llvm::all_of(other->getUsers(), readBeforePad))
            return {};
      }
      return slice.getSource();
    }
    auto dps = dyn_cast<DestinationStyleOpInterface>(result.getOwner());
    if (!dps)
      return {};
    origin = dps.getTiedOpOperand(result)->get();
  }
  return {};
}

/// tensor.pad (static shape, static widths, constant value) -> the source
/// inserted into the interior of a padded tensor: an empty tensor whose
/// border only is filled, one fill per slab (the slabs of dimension d span
/// the interior in the dimensions before d and everything in those after
/// it, so each border element is filled exactly once), or the padded tensor
/// of the value the source was computed over (`paddedDestination`). Later
/// readers of the source read the padded tensor's interior instead (equal
/// contents): read from the source itself after the insert, bufferization
/// counted them as conflicts and copied the source out and back.
void rewritePadBorderOnly(tensor::PadOp pad, RewriterBase &rewriter, DominanceInfo &dominance,
                          PaddedTensors &padded) {
  RankedTensorType paddedType = pad.getResultType();
  auto sourceType = cast<RankedTensorType>(pad.getSource().getType());
  Value paddingValue = pad.getConstantPaddingValue();
  Attribute value;
  if (!paddedType.hasStaticShape() || !sourceType.hasStaticShape() || !paddingValue ||
      !matchPattern(paddingValue, m_Constant(&value)))
    return; // needs static shapes and a constant padding value
  SmallVector<int64_t> low(pad.getStaticLow()), high(pad.getStaticHigh());
  if (ShapedType::isDynamicShape(low) || ShapedType::isDynamicShape(high))
    return; // needs static padding widths
  int64_t rank = paddedType.getRank();
  auto index = [&](int64_t v) -> OpFoldResult { return rewriter.getIndexAttr(v); };
  SmallVector<OpFoldResult> ones(rank, index(1)), interiorOffsets, interiorSizes;
  for (int64_t d = 0; d < rank; ++d) {
    interiorOffsets.push_back(index(low[d]));
    interiorSizes.push_back(index(sourceType.getDimSize(d)));
  }
  Location loc = pad.getLoc();
  Value source = pad.getSource();

  Value result = paddedDestination(pad, value, padded);
  if (!result) {
    // The padded tensor is built before the source's producer, so that
    // eliminate-empty-tensors can hand the producer its interior.
    Operation *producer = source.getDefiningOp();
    if (producer && producer->getBlock() == pad->getBlock())
      rewriter.setInsertionPoint(producer);
    else
      rewriter.setInsertionPoint(pad);
    Value fillValue = dominance.properlyDominates(paddingValue, &*rewriter.getInsertionPoint())
                          ? paddingValue
                          : arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(value));
    result =
        tensor::EmptyOp::create(rewriter, loc, paddedType.getShape(), paddedType.getElementType());
    auto fillSlab = [&](int64_t dim, int64_t offset, int64_t size) {
      if (size == 0)
        return;
      SmallVector<OpFoldResult> offsets, sizes;
      for (int64_t d = 0; d < rank; ++d) {
        bool before = d < dim;
        offsets.push_back(index(d == dim ? offset : before ? low[d] : 0));
        sizes.push_back(index(d == dim ? size
                              : before ? sourceType.getDimSize(d)
                                       : paddedType.getDimSize(d)));
      }
      Value slab = tensor::ExtractSliceOp::create(rewriter, loc, result, offsets, sizes, ones);
      Value filled = linalg::FillOp::create(rewriter, loc, fillValue, slab).getResult(0);
      result = tensor::InsertSliceOp::create(rewriter, loc, filled, result, offsets, sizes, ones);
    };
    // A border of three quarters of the tensor or more (a 1x1 filter's
    // gradient padded back to 3x3 taps, cnnc-trim-padding-taps) is filled
    // whole: its slabs are short strided runs (3 floats every 9), stored
    // element by element, where one fill of the whole buffer is a memset.
    if (4 * sourceType.getNumElements() <= paddedType.getNumElements()) {
      result = linalg::FillOp::create(rewriter, loc, fillValue, result).getResult(0);
    } else {
      for (int64_t d = 0; d < rank; ++d) {
        fillSlab(d, 0, low[d]);
        fillSlab(d, low[d] + sourceType.getDimSize(d), high[d]);
      }
    }
  }

  rewriter.setInsertionPoint(pad);
  auto insert = rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
      pad, source, result, interiorOffsets, interiorSizes, ones);
  padded[insert.getResult()] = value;
  rewriter.setInsertionPointAfter(insert);
  Value interior =
      tensor::ExtractSliceOp::create(rewriter, loc, insert, interiorOffsets, interiorSizes, ones);
  Block *block = insert->getBlock();
  rewriter.replaceUsesWithIf(source, interior, [&](OpOperand &use) {
    Operation *inBlock = block->findAncestorOpInBlock(*use.getOwner());
    return inBlock && inBlock != insert && insert->isBeforeInBlock(inBlock);
  });
}

struct PadInPlacePass : cnnc::impl::PadInPlacePassBase<PadInPlacePass> {
  using PadInPlacePassBase::PadInPlacePassBase;

  void runOnOperation() override {
    if (borderOnly) {
      // In program order: a pad may reuse the padded tensor of an earlier one.
      SmallVector<tensor::PadOp> pads;
      getOperation()->walk([&](tensor::PadOp pad) { pads.push_back(pad); });
      IRRewriter rewriter(&getContext());
      PaddedTensors padded;
      DominanceInfo dominance(getOperation());
      for (tensor::PadOp pad : pads)
        rewritePadBorderOnly(pad, rewriter, dominance, padded);
      return;
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<linalg::DecomposePadOpPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
