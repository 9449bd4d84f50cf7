//===- AttachTarget.cpp - the module's codegen.target from -mcpu ----------===//

#include "Passes.h"
#include "Target/CpuTarget.h"

#include "mlir/IR/BuiltinOps.h"

namespace cnnc {
#define GEN_PASS_DEF_ATTACHTARGETPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct AttachTargetPass : cnnc::impl::AttachTargetPassBase<AttachTargetPass> {
  using AttachTargetPassBase::AttachTargetPassBase;

  void runOnOperation() override {
    // A named CPU is described from LLVM and the table only, on any host.
    // makeCpuTarget prints its own error (an unknown CPU) to stderr.
    std::optional<cnnc::CpuTarget> target =
        cnnc::makeCpuTarget(cpu, /*optLevel=*/2, /*tableOnly=*/!cpu.empty());
    if (!target) {
      getOperation().emitError() << "cnnc-attach-target: cannot describe cpu '" << cpu << "'";
      return signalPassFailure();
    }
    getOperation()->setAttr(codegen::CodegenDialect::kTargetAttrName,
                            target->toAttr(&getContext()));
  }
};

} // namespace
