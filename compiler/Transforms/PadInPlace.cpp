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
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cnnc {
#define GEN_PASS_DEF_PADINPLACEPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// tensor.pad (static shape, static widths, constant value) -> an empty
/// tensor, one fill per border slab, and the source inserted in between.
/// The slabs of dimension d span the interior in the dimensions before d
/// and everything in those after it, so each border element is filled
/// exactly once.
struct FillPadBorderOnly : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::PadOp pad, PatternRewriter &rewriter) const override {
    RankedTensorType padded = pad.getResultType();
    auto sourceType = cast<RankedTensorType>(pad.getSource().getType());
    Value paddingValue = pad.getConstantPaddingValue();
    Attribute value;
    if (!padded.hasStaticShape() || !sourceType.hasStaticShape() || !paddingValue ||
        !matchPattern(paddingValue, m_Constant(&value)))
      return rewriter.notifyMatchFailure(pad, "needs static shapes and a constant padding value");
    SmallVector<int64_t> low(pad.getStaticLow()), high(pad.getStaticHigh());
    if (ShapedType::isDynamicShape(low) || ShapedType::isDynamicShape(high))
      return rewriter.notifyMatchFailure(pad, "needs static padding widths");

    // The padded tensor is built before the source's producer, so that
    // eliminate-empty-tensors can hand the producer its interior.
    Operation *producer = pad.getSource().getDefiningOp();
    if (producer && producer->getBlock() == pad->getBlock())
      rewriter.setInsertionPoint(producer);
    else
      rewriter.setInsertionPoint(pad);
    Location loc = pad.getLoc();
    Value fillValue = arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(value));
    Value result = tensor::EmptyOp::create(rewriter, loc, padded.getShape(),
                                           padded.getElementType());
    int64_t rank = padded.getRank();
    auto index = [&](int64_t v) -> OpFoldResult { return rewriter.getIndexAttr(v); };
    SmallVector<OpFoldResult> ones(rank, index(1));
    auto fillSlab = [&](int64_t dim, int64_t offset, int64_t size) {
      if (size == 0)
        return;
      SmallVector<OpFoldResult> offsets, sizes;
      for (int64_t d = 0; d < rank; ++d) {
        bool before = d < dim;
        offsets.push_back(index(d == dim ? offset : before ? low[d] : 0));
        sizes.push_back(index(d == dim ? size : before ? sourceType.getDimSize(d)
                                                       : padded.getDimSize(d)));
      }
      Value slab = tensor::ExtractSliceOp::create(rewriter, loc, result, offsets, sizes, ones);
      Value filled = linalg::FillOp::create(rewriter, loc, fillValue, slab).getResult(0);
      result = tensor::InsertSliceOp::create(rewriter, loc, filled, result, offsets, sizes, ones);
    };
    // A border of three quarters of the tensor or more (a 1x1 filter's
    // gradient padded back to 3x3 taps, cnnc-trim-padding-taps) is filled
    // whole: its slabs are short strided runs (3 floats every 9), stored
    // element by element, where one fill of the whole buffer is a memset.
    if (4 * sourceType.getNumElements() <= padded.getNumElements()) {
      result = linalg::FillOp::create(rewriter, loc, fillValue, result).getResult(0);
    } else {
      for (int64_t d = 0; d < rank; ++d) {
        fillSlab(d, 0, low[d]);
        fillSlab(d, low[d] + sourceType.getDimSize(d), high[d]);
      }
    }

    rewriter.setInsertionPoint(pad);
    SmallVector<OpFoldResult> offsets, sizes;
    for (int64_t d = 0; d < rank; ++d) {
      offsets.push_back(index(low[d]));
      sizes.push_back(index(sourceType.getDimSize(d)));
    }
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(pad, pad.getSource(), result, offsets,
                                                       sizes, ones);
    return success();
  }
};

struct PadInPlacePass : cnnc::impl::PadInPlacePassBase<PadInPlacePass> {
  using PadInPlacePassBase::PadInPlacePassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (borderOnly)
      patterns.add<FillPadBorderOnly>(&getContext());
    else
      patterns.add<linalg::DecomposePadOpPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
