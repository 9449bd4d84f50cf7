//===- FuseQuantizationsIntoProducers.cpp - int8 copies made by producers ===//
//
// With --precision=int8, an activation that a conv reads quantized may be
// read in float32 by others too: a model output, a pool or depthwise conv
// left in float32 (elementwise readers, a residual add among them, read the
// int8 copy instead: cnnc-quantize-convs-to-int8). Elementwise fusion
// leaves the quantization alone, since its producer has another user, so it
// reads the whole float32 tensor back. Here such a quantization is fused
// into its producer, which then yields both values: the int8 copy is
// written while the float32 value is still in registers. bf16's rounding
// is left alone: fused, it measured slower. Measurements of both in
// docs/benchmarks.md (session 20).
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace cnnc {
#define GEN_PASS_DEF_FUSEQUANTIZATIONSINTOPRODUCERSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

bool isAllParallel(linalg::GenericOp op) {
  return op.hasPureTensorSemantics() && op.getNumLoops() == op.getNumParallelLoops();
}

bool isAllParallelIdentity(linalg::GenericOp op) {
  return isAllParallel(op) &&
         llvm::all_of(op.getIndexingMapsArray(), [](AffineMap m) { return m.isIdentity(); });
}

/// A consumer that reads one float tensor and writes it as i8 (a
/// quantization).
bool isQuantization(linalg::GenericOp op) {
  if (!isAllParallelIdentity(op) || op.getNumDpsInputs() != 1 || op.getNumResults() != 1)
    return false;
  Type in = getElementTypeOrSelf(op.getDpsInputs()[0].getType());
  return isa<FloatType>(in) && getElementTypeOrSelf(op.getResult(0).getType()).isInteger(8);
}

struct FuseQuantizationsIntoProducersPass
    : cnnc::impl::FuseQuantizationsIntoProducersPassBase<FuseQuantizationsIntoProducersPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> consumers;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isQuantization(op))
        consumers.push_back(op);
    });
    for (linalg::GenericOp consumer : consumers) {
      OpOperand *operand = consumer.getDpsInputOperand(0);
      auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
      // Only producers with other users: a single-use one was fused
      // already (linalg-fuse-elementwise-ops), or could not be.
      if (!producer || producer->getNumResults() != 1 || operand->get().hasOneUse() ||
          !isAllParallel(producer) ||
          !producer.getMatchingIndexingMap(producer.getDpsInitOperand(0)).isIdentity() ||
          !linalg::areElementwiseOpsFusable(operand))
        continue;
      // The fused op takes the producer's place (the producer's other users
      // may come before the consumer): the consumer's destination, an
      // operand-free tensor.empty, moves up with it.
      auto init = consumer.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>();
      if (!init || init->getNumOperands() != 0)
        continue;
      if (init->getBlock() == producer->getBlock() && producer->isBeforeInBlock(init))
        init->moveBefore(producer);
      rewriter.setInsertionPoint(producer);
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, operand);
      if (failed(fused))
        continue;
      fused->fusedOp->moveBefore(producer);
      for (auto [original, replacement] : fused->replacements)
        rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
          return use.getOwner() != fused->fusedOp;
        });
      rewriter.eraseOp(consumer);
      if (producer->use_empty())
        rewriter.eraseOp(producer);
    }
  }
};

} // namespace
