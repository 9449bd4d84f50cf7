//===- Collective.cpp - cnn.cross_replica_sum to a call of the runtime's hook ===//
//
// The compiled library cannot know how replicas talk (MPI, NCCL, none), so a
// cross-replica sum is a call, with the buffer's address and length, of
// `cnnc_cross_replica_sum_f32`, which the code generator defines to call the
// communicator the runtime installed in `cnnc_collective_hook` (or to do
// nothing when there is none: one process). The buffer is written in place,
// so the tensors are first materialized in a buffer of their own, one for
// all of an op's tensors (one collective call).
//
//===----------------------------------------------------------------------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"

#include "Cnn/CnnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace {

/// `cnnc_cross_replica_sum_f32`, declared once per module.
func::FuncOp crossReplicaSumCallee(OpBuilder &b, Location loc, ModuleOp module) {
  if (auto callee = module.lookupSymbol<func::FuncOp>(cnnc::kCrossReplicaSumFunction))
    return callee;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  Type i64 = b.getI64Type();
  auto callee = func::FuncOp::create(b, loc, cnnc::kCrossReplicaSumFunction,
                                     b.getFunctionType({i64, i64}, {}));
  callee.setPrivate();
  return callee;
}

struct CrossReplicaSumLowering : OpConversionPattern<cnn::CrossReplicaSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::CrossReplicaSumOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    func::FuncOp callee =
        crossReplicaSumCallee(rewriter, loc, op->getParentOfType<ModuleOp>());
    Type f32 = rewriter.getF32Type();
    auto alloc = [&](ArrayRef<int64_t> shape) -> Value {
      return memref::AllocOp::create(rewriter, loc, MemRefType::get(shape, f32),
                                     rewriter.getI64IntegerAttr(64));
    };
    auto materialize = [&](Value tensor, Value buffer) {
      bufferization::MaterializeInDestinationOp::create(rewriter, loc, TypeRange{}, tensor,
                                                        buffer, /*restrict=*/true,
                                                        /*writable=*/true);
    };
    auto asTensor = [&](Value buffer, RankedTensorType type) -> Value {
      return bufferization::ToTensorOp::create(rewriter, loc, type, buffer, /*restrict=*/true,
                                               /*writable=*/true);
    };
    auto sumInPlace = [&](Value buffer, int64_t count) {
      Type i64 = rewriter.getI64Type();
      Value address = memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, buffer);
      Value address64 = arith::IndexCastOp::create(rewriter, loc, i64, address);
      func::CallOp::create(rewriter, loc, callee,
                           ValueRange{address64, arith::ConstantIntOp::create(rewriter, loc, i64,
                                                                              count)});
    };

    ValueRange inputs = adaptor.getInputs();
    if (inputs.size() == 1) {
      auto type = cast<RankedTensorType>(inputs[0].getType());
      Value buffer = alloc(type.getShape());
      materialize(inputs[0], buffer);
      sumInPlace(buffer, type.getNumElements());
      rewriter.replaceOp(op, asTensor(buffer, type));
      return success();
    }
    // Several tensors: each flattened into its slice of one buffer.
    auto allDims = [](int64_t rank) {
      SmallVector<ReassociationIndices> all(1);
      for (int64_t d = 0; d < rank; ++d)
        all[0].push_back(d);
      return all;
    };
    int64_t total = 0;
    for (Value input : inputs)
      total += cast<RankedTensorType>(input.getType()).getNumElements();
    Value buffer = alloc({total});
    SmallVector<Value> slices;
    int64_t offset = 0;
    for (Value input : inputs) {
      auto type = cast<RankedTensorType>(input.getType());
      int64_t n = type.getNumElements();
      Value slice = memref::SubViewOp::create(rewriter, loc, buffer, ArrayRef<int64_t>{offset},
                                              ArrayRef<int64_t>{n}, ArrayRef<int64_t>{1});
      Value flat = type.getRank() == 1 ? input
                                       : tensor::CollapseShapeOp::create(
                                             rewriter, loc, input, allDims(type.getRank()))
                                             .getResult();
      materialize(flat, slice);
      slices.push_back(slice);
      offset += n;
    }
    sumInPlace(buffer, total);
    SmallVector<Value> results;
    for (auto [input, slice] : llvm::zip_equal(inputs, slices)) {
      auto type = cast<RankedTensorType>(input.getType());
      Value flat = asTensor(slice, RankedTensorType::get({type.getNumElements()}, f32));
      results.push_back(type.getRank() == 1 ? flat
                                            : tensor::ExpandShapeOp::create(
                                                  rewriter, loc, type, flat,
                                                  allDims(type.getRank()))
                                                  .getResult());
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void cnnc::populateCollectiveLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<CrossReplicaSumLowering>(patterns.getContext());
}
