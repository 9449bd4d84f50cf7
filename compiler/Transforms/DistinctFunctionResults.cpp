//===- DistinctFunctionResults.cpp - one buffer per function result --------===//
//
// A function may return the same tensor twice: CSE merges results that are
// computed identically (in ResNet's backward graph, the bias gradients of
// the two batchnorms feeding one residual add are the same sum). After
// bufferization both results would be one allocation, which
// buffer-results-to-out-params cannot turn into two out-parameters. Every
// repeated result gets its own copy (bufferization.alloc_tensor with a copy
// operand, which CSE leaves alone because it allocates).
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseSet.h"

namespace cnnc {
#define GEN_PASS_DEF_DISTINCTFUNCTIONRESULTSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct DistinctFunctionResultsPass
    : cnnc::impl::DistinctFunctionResultsPassBase<DistinctFunctionResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::DenseSet<Value> seen;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type || seen.insert(v).second)
          continue;
        auto copy = bufferization::AllocTensorOp::create(b, ret.getLoc(), type, ValueRange{},
                                                         /*copy=*/v);
        operand.set(copy);
      }
    });
  }
};

} // namespace
