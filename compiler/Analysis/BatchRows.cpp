//===- BatchRows.cpp - may a batch below the compiled one run? ------------===//

#include "Analysis/BatchRows.h"

#include "Cnn/CnnDialect.h"
#include "Import/ModelImporter.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace cnnc {

namespace {
bool leadsWithBatch(Type t, int64_t batch) {
  auto ranked = dyn_cast<RankedTensorType>(t);
  return ranked && ranked.getRank() >= 1 && ranked.getShape()[0] == batch;
}
} // namespace

bool batchRowsIndependent(func::FuncOp forward, int64_t batch) {
  if (!forward || forward.isExternal())
    return false;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    if (forward.getArgAttr(i, attrs::kInputName) &&
        !leadsWithBatch(forward.getArgumentTypes()[i], batch))
      return false;
  for (Type t : forward.getResultTypes())
    if (!leadsWithBatch(t, batch))
      return false;
  WalkResult walk = forward.walk([&](Operation *op) {
    bool alongBatch = llvm::TypeSwitch<Operation *, bool>(op)
                          .Case<cnn::SoftmaxOp, cnn::ConcatOp, cnn::SliceOp>(
                              [](auto o) { return o.getAxis() == 0; })
                          .Default([](Operation *) { return false; });
    return alongBatch ? WalkResult::interrupt() : WalkResult::advance();
  });
  return !walk.wasInterrupted();
}

} // namespace cnnc
