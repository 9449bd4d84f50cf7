//===- IgnoreSignedZerosInMaxMin.cpp - max/min without ordering zeros -----===//
//
// IEEE maximum/minimum order -0 below +0; x86 has no instruction for that,
// and LLVM emits a sign test and two blends per `llvm.maximum` besides the
// `vmaxps` and its NaN test. PyTorch does not order signed zeros in ReLU,
// clamps, `torch.maximum` or max pooling, so on the CPU every
// `arith.maximumf` / `arith.minimumf` gets the `nsz` flag: three
// instructions per max instead of six, NaN still propagated.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace cnnc {
#define GEN_PASS_DEF_IGNORESIGNEDZEROSINMAXMINPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {
struct IgnoreSignedZerosInMaxMinPass
    : cnnc::impl::IgnoreSignedZerosInMaxMinPassBase<IgnoreSignedZerosInMaxMinPass> {
  void runOnOperation() override {
    getOperation().walk([](Operation *op) {
      if (!isa<arith::MaximumFOp, arith::MinimumFOp>(op))
        return;
      auto fastMath = cast<arith::ArithFastMathInterface>(op);
      arith::FastMathFlags flags = fastMath.getFastMathFlagsAttr().getValue();
      op->setAttr(fastMath.getFastMathAttrName(),
                  arith::FastMathFlagsAttr::get(op->getContext(),
                                                flags | arith::FastMathFlags::nsz));
    });
  }
};
} // namespace
