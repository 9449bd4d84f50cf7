//===- DistributeParallelLoops.cpp - the OpenMP loops' schedule clause ----===//
//
// Sets how the threads share each omp.wsloop's iterations (static,
// dynamic or guided, with a chunk size): a policy of the compile, not of
// the loop, so every parallel loop gets the same clause.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "llvm/ADT/StringSwitch.h"

namespace cnnc {
#define GEN_PASS_DEF_DISTRIBUTEPARALLELLOOPSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct DistributeParallelLoopsPass
    : cnnc::impl::DistributeParallelLoopsPassBase<DistributeParallelLoopsPass> {
  using DistributeParallelLoopsPassBase::DistributeParallelLoopsPassBase;

  void runOnOperation() override {
    std::optional<omp::ClauseScheduleKind> kind =
        llvm::StringSwitch<std::optional<omp::ClauseScheduleKind>>(schedule)
            .Case("static", omp::ClauseScheduleKind::Static)
            .Case("dynamic", omp::ClauseScheduleKind::Dynamic)
            .Case("guided", omp::ClauseScheduleKind::Guided)
            .Default(std::nullopt);
    if (!kind || chunk < 0) {
      getOperation().emitError() << "cnnc-distribute-parallel-loops: schedule must be static, "
                                    "dynamic or guided and chunk >= 0, got '"
                                 << schedule << "', " << static_cast<int64_t>(chunk);
      return signalPassFailure();
    }
    // Static without a chunk is OpenMP's default: the loops stay as they are.
    if (*kind == omp::ClauseScheduleKind::Static && chunk == 0)
      return;
    OpBuilder b(&getContext());
    getOperation().walk([&](omp::WsloopOp loop) {
      loop.setScheduleKindAttr(omp::ClauseScheduleKindAttr::get(&getContext(), *kind));
      if (chunk > 0) {
        b.setInsertionPoint(loop);
        Value size = arith::ConstantIntOp::create(b, loop.getLoc(), chunk, 32);
        loop.getScheduleChunkMutable().assign(size);
      }
    });
  }
};

} // namespace
