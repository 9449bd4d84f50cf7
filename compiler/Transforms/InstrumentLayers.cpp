//===- InstrumentLayers.cpp - per-layer profiling marks --------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"

#include "Cnn/CnnDialect.h"

#include "mlir/IR/Builders.h"

namespace cnnc {
#define GEN_PASS_DEF_INSTRUMENTLAYERSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {
struct InstrumentLayersPass : cnnc::impl::InstrumentLayersPassBase<InstrumentLayersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward || forward.isExternal())
      return;
    OpBuilder b(module.getContext());
    b.setInsertionPointToStart(module.getBody());
    auto markType = b.getFunctionType({b.getI64Type()}, {});
    auto mark = func::FuncOp::create(b, module.getLoc(), "cnnc_profile_mark", markType);
    mark.setPrivate();

    SmallVector<Attribute> names;
    auto insertMark = [&](Operation *before) {
      b.setInsertionPoint(before);
      Value id = arith::ConstantIntOp::create(b, before->getLoc(), b.getI64Type(),
                                              (int64_t)names.size());
      func::CallOp::create(b, before->getLoc(), mark, ValueRange{id});
    };
    for (Operation &op : llvm::make_early_inc_range(forward.getBody().front())) {
      if (isa<cnn::CnnDialect>(op.getDialect())) {
        insertMark(&op);
        std::string name = op.getName().stripDialect().str();
        if (auto loc = dyn_cast<NameLoc>(op.getLoc()))
          name = loc.getName().str();
        names.push_back(b.getStringAttr(name));
      } else if (isa<func::ReturnOp>(op)) {
        insertMark(&op); // end of the last layer
      }
    }
    module->setAttr(mlir::cnn::attr_names::kLayers, b.getArrayAttr(names));
  }
};
} // namespace
