//===- PadInPlace.cpp - let producers write into their padded buffers -----===//
//
// Convolutions and pooling read explicitly padded inputs. Bufferized as it
// is, a `tensor.pad` allocates the padded buffer, fills it and copies the
// unpadded tensor in: one extra pass over every conv input (MobileNetV2's
// 112x112x96 activation took longer to pad than to convolve). Here each pad
// with a constant value becomes a fill of the padded tensor and an
// `insert_slice` of the source into it; `eliminate-empty-tensors` (run next
// in the pipeline) then makes the source's producer write straight into the
// interior of the padded buffer, and the copy disappears.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cnnc {
#define GEN_PASS_DEF_PADINPLACEPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct PadInPlacePass : cnnc::impl::PadInPlacePassBase<PadInPlacePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<linalg::DecomposePadOpPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
