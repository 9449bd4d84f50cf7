//===- DynamicLoopSchedule.cpp - OpenMP loops hand out work on demand -----===//
//
// `convert-scf-to-openmp` emits `omp.wsloop`s with the default static
// schedule: each thread gets a fixed half of the tiles, and the loop ends
// when the slower half does. On a shared 2-vCPU machine one vCPU is
// regularly descheduled for milliseconds; the other thread then idles at
// the barrier, and the whole batch-8 forward pass takes up to 1.4x longer
// in some runs (medians far above minima in docs/benchmarks.md, where ONNX
// Runtime's work-sharing thread pool kept its medians close to its minima).
// Here every worksharing loop takes a guided schedule: chunks of tiles are
// handed out as threads ask (shrinking towards the end, so that dispatch
// costs little), and a thread that was away takes fewer.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace cnnc {
#define GEN_PASS_DEF_DYNAMICLOOPSCHEDULEPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct DynamicLoopSchedulePass
    : cnnc::impl::DynamicLoopSchedulePassBase<DynamicLoopSchedulePass> {
  using DynamicLoopSchedulePassBase::DynamicLoopSchedulePassBase;

  void runOnOperation() override {
    std::optional<omp::ClauseScheduleKind> kind = omp::symbolizeClauseScheduleKind(schedule);
    if (!kind || (*kind != omp::ClauseScheduleKind::Dynamic &&
                  *kind != omp::ClauseScheduleKind::Guided &&
                  *kind != omp::ClauseScheduleKind::Static)) {
      getOperation().emitError("cnnc-dynamic-loop-schedule: schedule must be guided, dynamic or "
                               "static, not '")
          << schedule << "'";
      return signalPassFailure();
    }
    auto attr = omp::ClauseScheduleKindAttr::get(&getContext(), *kind);
    getOperation().walk([&](omp::WsloopOp loop) {
      if (!loop.getScheduleKindAttr())
        loop.setScheduleKindAttr(attr);
    });
  }
};

} // namespace
