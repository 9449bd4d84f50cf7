//===- PrefetchEpilogueReads.cpp - epilogue reads prefetched before reductions -===//
//
// A register block's reduction loop carries its accumulators in vectors;
// its epilogue (a fused residual add) then reads memory. Out-of-order
// execution reaches those loads only during the reduction's last
// iterations, less than a memory latency ahead, so a block over a residual
// stream larger than the caches stalls on every epilogue. Here each such
// read's cache lines are prefetched before the reduction loop: the lines
// arrive while the block computes.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "Codegen/CodegenDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace cnnc {
#define GEN_PASS_DEF_PREFETCHEPILOGUEREADSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// Whether `loop` carries vectors (a register block's accumulators).
bool carriesVectors(scf::ForOp loop) {
  return llvm::any_of(loop.getInitArgs(), [](Value v) { return isa<VectorType>(v.getType()); });
}

/// Whether `loop` is a register block's reduction loop: it carries vectors
/// and is not nested directly in another loop that does.
bool isReductionLoop(scf::ForOp loop) {
  auto parent = dyn_cast<scf::ForOp>(loop->getParentOp());
  return carriesVectors(loop) && !(parent && carriesVectors(parent));
}

/// Whether `loop` may write `memref`: a write to it, or one whose buffer
/// is unknown.
bool mayWrite(scf::ForOp loop, Value memref) {
  std::optional<SmallVector<MemoryEffects::EffectInstance>> effects = getEffectsRecursively(loop);
  return !effects || llvm::any_of(*effects, [&](const MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Write>(e.getEffect()) && (!e.getValue() || e.getValue() == memref);
  });
}

struct PrefetchEpilogueReadsPass
    : cnnc::impl::PrefetchEpilogueReadsPassBase<PrefetchEpilogueReadsPass> {
  using PrefetchEpilogueReadsPassBase::PrefetchEpilogueReadsPassBase;

  /// Prefetches of `read`'s lines before `loop`, if its indices are known
  /// there, it reads rows of contiguous elements (a minor identity map over
  /// a memref whose innermost stride is 1) and it spans at most
  /// `maxPrefetches` lines.
  void prefetchBefore(vector::TransferReadOp read, scf::ForOp loop, int64_t lineBytes,
                      DominanceInfo &dominance) {
    auto memrefType = dyn_cast<MemRefType>(read.getBase().getType());
    VectorType vectorType = read.getVectorType();
    if (!memrefType || !read.getPermutationMap().isMinorIdentity() ||
        !memrefType.getElementType().isIntOrFloat())
      return;
    if (!memrefType.areTrailingDimsContiguous(1))
      return;
    if (!dominance.properlyDominates(read.getBase(), loop) ||
        !llvm::all_of(read.getIndices(),
                      [&](Value v) { return dominance.properlyDominates(v, loop); }) ||
        mayWrite(loop, read.getBase()))
      return;
    int64_t elementBytes = memrefType.getElementTypeBitWidth() / 8;
    int64_t lineElements = std::max<int64_t>(1, lineBytes / std::max<int64_t>(1, elementBytes));
    ArrayRef<int64_t> shape = vectorType.getShape();
    int64_t rows = vectorType.getNumElements() / shape.back();
    int64_t linesPerRow = (shape.back() + lineElements - 1) / lineElements;
    if (rows * linesPerRow > maxPrefetches)
      return;

    OpBuilder builder(loop);
    Location loc = read.getLoc();
    SmallVector<Value> base(read.getIndices());
    int64_t lead = memrefType.getRank() - vectorType.getRank();
    for (int64_t row = 0; row < rows; ++row) {
      // The row's position in the vector's leading dimensions.
      SmallVector<int64_t> position(vectorType.getRank(), 0);
      for (int64_t d = vectorType.getRank() - 2, rest = row; d >= 0; --d) {
        position[d] = rest % shape[d];
        rest /= shape[d];
      }
      for (int64_t line = 0; line < linesPerRow; ++line) {
        position.back() = line * lineElements;
        SmallVector<Value> indices(base);
        for (int64_t d = 0; d < vectorType.getRank(); ++d)
          if (position[d] != 0)
            indices[lead + d] =
                arith::AddIOp::create(builder, loc, base[lead + d],
                                      arith::ConstantIndexOp::create(builder, loc, position[d]));
        memref::PrefetchOp::create(builder, loc, read.getBase(), indices, /*isWrite=*/false,
                                   /*localityHint=*/3, /*isDataCache=*/true);
      }
    }
  }

  void runOnOperation() override {
    codegen::CpuTargetAttr target = codegen::getCpuTarget(getOperation());
    if (!target)
      return;
    DominanceInfo dominance(getOperation());
    SmallVector<std::pair<vector::TransferReadOp, scf::ForOp>> reads;
    getOperation()->walk([&](scf::ForOp loop) {
      if (!isReductionLoop(loop))
        return;
      // The epilogue: the reads after the loop in its block, up to the next
      // register block.
      for (Operation *op = loop->getNextNode(); op; op = op->getNextNode()) {
        if (auto next = dyn_cast<scf::ForOp>(op); next && carriesVectors(next))
          break;
        if (auto read = dyn_cast<vector::TransferReadOp>(op))
          reads.push_back({read, loop});
      }
    });
    for (auto [read, loop] : reads)
      prefetchBefore(read, loop, target.getCacheLineBytes(), dominance);
  }
};

} // namespace
