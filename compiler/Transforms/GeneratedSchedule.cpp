//===- GeneratedSchedule.cpp - run a transform schedule built as text -----===//

#include "Transforms/GeneratedSchedule.h"

#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Parser/Parser.h"

using namespace mlir;

namespace cnnc {

const char *const kScheduleCleanupAndEnd =
    "  transform.apply_cse to %funcs : !transform.any_op\n"
    "  %loops = transform.structured.match ops{[\"scf.for\"]} in %root : "
    "(!transform.any_op) -> !transform.any_op\n"
    "  transform.apply_licm to %loops : !transform.any_op\n"
    "  transform.loop.hoist_loop_invariant_subsets %loops : !transform.any_op\n"
    "  transform.yield\n}\n}\n";

LogicalResult applyGeneratedSchedule(ModuleOp module, StringRef text, StringRef passName) {
  OwningOpRef<ModuleOp> schedule = parseSourceString<ModuleOp>(text, module.getContext());
  if (!schedule)
    return module.emitError() << passName << ": internal error: bad schedule:\n" << text;
  auto entry = schedule->lookupSymbol<transform::NamedSequenceOp>("__transform_main");
  return transform::applyTransformNamedSequence(module, entry, *schedule,
                                                transform::TransformOptions());
}

} // namespace cnnc
