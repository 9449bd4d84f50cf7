//===- Collective.cpp - cnn.cross_replica_sum to a call of the runtime's hook ===//
//
// The compiled library cannot know how replicas talk (MPI, NCCL, none), so a
// cross-replica sum is a call, with the buffer's address and length, of
// `cnnc_cross_replica_sum_f32`, which the code generator defines to call the
// communicator the runtime installed in `cnnc_collective_hook` (or to do
// nothing when there is none: one process). The buffer is written in place,
// so the tensor is first materialized in a buffer of its own.
//
//===----------------------------------------------------------------------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"

#include "Cnn/CnnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace {

struct CrossReplicaSumLowering : OpConversionPattern<cnn::CrossReplicaSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::CrossReplicaSumOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto module = op->getParentOfType<ModuleOp>();
    Type i64 = rewriter.getI64Type();
    auto callee = module.lookupSymbol<func::FuncOp>(cnnc::kCrossReplicaSumFunction);
    if (!callee) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(module.getBody());
      callee = func::FuncOp::create(rewriter, loc, cnnc::kCrossReplicaSumFunction,
                                    rewriter.getFunctionType({i64, i64}, {}));
      callee.setPrivate();
    }
    auto bufferType = MemRefType::get(type.getShape(), type.getElementType());
    Value buffer =
        memref::AllocOp::create(rewriter, loc, bufferType, rewriter.getI64IntegerAttr(64));
    bufferization::MaterializeInDestinationOp::create(rewriter, loc, TypeRange{},
                                                      adaptor.getInput(), buffer,
                                                      /*restrict=*/true, /*writable=*/true);
    Value address = memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, buffer);
    Value address64 = arith::IndexCastOp::create(rewriter, loc, i64, address);
    Value count = arith::ConstantIntOp::create(rewriter, loc, i64, type.getNumElements());
    func::CallOp::create(rewriter, loc, callee, ValueRange{address64, count});
    rewriter.replaceOp(op, bufferization::ToTensorOp::create(rewriter, loc, type, buffer,
                                                            /*restrict=*/true,
                                                            /*writable=*/true));
    return success();
  }
};

} // namespace

void cnnc::populateCollectiveLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<CrossReplicaSumLowering>(patterns.getContext());
}
