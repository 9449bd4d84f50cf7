//===- ContractMultiplyAdds.cpp - a * b + c as one fused multiply-add -----===//

#include "Passes.h"

namespace cnnc {
#define GEN_PASS_DEF_CONTRACTMULTIPLYADDSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct ContractMultiplyAddsPass
    : cnnc::impl::ContractMultiplyAddsPassBase<ContractMultiplyAddsPass> {
  void runOnOperation() override {
    SmallVector<arith::AddFOp> adds;
    getOperation().walk([&](arith::AddFOp add) { adds.push_back(add); });
    for (arith::AddFOp add : adds) {
      for (unsigned i = 0; i < 2; ++i) {
        auto mul = add->getOperand(i).getDefiningOp<arith::MulFOp>();
        if (!mul || !mul->hasOneUse())
          continue;
        OpBuilder b(add);
        Value fma = math::FmaOp::create(b, add.getLoc(), mul.getLhs(), mul.getRhs(),
                                        add->getOperand(1 - i));
        add.replaceAllUsesWith(fma);
        add.erase();
        mul.erase();
        break;
      }
    }
  }
};

} // namespace
