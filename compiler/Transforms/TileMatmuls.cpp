//===- TileMatmuls.cpp - apply the matmul schedules ------------------------===//
//
// Dense layers lower to linalg.matmul with the weight pre-transposed to
// [K, N] at load time, so each reduction step reads contiguous weight rows.
// Each matmul-like op's `#codegen.matmul_schedule` (from
// cnnc-select-cpu-schedules) is applied by a transform schedule built with
// the transform ops' builders: an scf.forall over [M, N] register blocks,
// the reductions in steps, vectorized to a vector.contract that lowers to
// broadcast FMAs.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/TransformSchedule.h"

#include "Codegen/CodegenDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/TransformOps/TensorTransformOps.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Vector/TransformOps/VectorTransformOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/SetVector.h"

namespace cnnc {
#define GEN_PASS_DEF_TILEMATMULSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

void buildSchedule(ImplicitLocOpBuilder &b, Value root, ArrayRef<Attribute> schedules) {
  StringRef key = codegen::CodegenDialect::kScheduleAttrName;
  for (Attribute attr : schedules) {
    auto s = cast<codegen::MatmulScheduleAttr>(attr);
    Value op = cnnc::matchOps(
        b, root,
        {linalg::MatmulOp::getOperationName(), linalg::GenericOp::getOperationName()},
        b.getDictionaryAttr(b.getNamedAttr(key, attr)));
    Value block = cnnc::tileUsingForall(b, op, {s.getMTile(), s.getNTile()});
    SmallVector<int64_t> steps = {0, 0};
    llvm::append_range(steps, s.getReductionTiles());
    cnnc::vectorize(b, cnnc::tileUsingFor(b, block, steps));
  }
  // The vectorizer emits broadcasting reads + mulf + multi_reduction. As a
  // vector.contract over plain [M, K] and [K, N] reads it lowers to
  // broadcast FMAs; the broadcasts fold into the contraction only once the
  // permuted reads are split (hence three pattern sets, one after another).
  Value funcs = cnnc::matchFunctions(b, root);
  cnnc::applyPatterns(b, funcs, [](OpBuilder &pb, Location loc) {
    transform::ApplyVectorReductionToContractPatternsOp::create(pb, loc);
  });
  cnnc::applyPatterns(b, funcs, [](OpBuilder &pb, Location loc) {
    transform::ApplyTransferPermutationPatternsOp::create(pb, loc);
  });
  cnnc::applyPatterns(b, funcs, [](OpBuilder &pb, Location loc) {
    transform::ApplyVectorReductionToContractPatternsOp::create(pb, loc);
    transform::ApplyCanonicalizationPatternsOp::create(pb, loc);
    transform::ApplyFoldTensorSubsetOpsIntoVectorTransfersPatternsOp::create(pb, loc);
  });
  cnnc::buildScheduleCleanup(b, root, funcs);
}

struct TileMatmulsPass : cnnc::impl::TileMatmulsPassBase<TileMatmulsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::SetVector<Attribute> schedules;
    module.walk([&](linalg::LinalgOp op) {
      if (auto s = op->getAttrOfType<codegen::MatmulScheduleAttr>(
              codegen::CodegenDialect::kScheduleAttrName);
          s && op.hasPureTensorSemantics())
        schedules.insert(s);
    });
    if (schedules.empty())
      return;
    SmallVector<Attribute> list(schedules.begin(), schedules.end());
    if (failed(cnnc::applyTransformSchedule(
            module, [&](ImplicitLocOpBuilder &b, Value root) { buildSchedule(b, root, list); })))
      return signalPassFailure();
  }
};

} // namespace
