//===- InstrumentLayers.cpp - per-layer profiling marks --------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"

#include "Cnn/CnnDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

namespace cnnc {
#define GEN_PASS_DEF_INSTRUMENTLAYERSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {
/// A node's name (its NameLoc), else the op's.
std::string nodeName(Operation &op) {
  if (auto loc = dyn_cast<NameLoc>(op.getLoc()))
    return loc.getName().str();
  return op.getName().stripDialect().str();
}

/// Puts `mark(id)` before each cnn op of `fn` and before its return; returns
/// the labels in id order. Ops with one label (a node that graph rewrites
/// made several ops) share its id, so their times add up in one row.
ArrayAttr instrument(func::FuncOp fn, func::FuncOp mark,
                     llvm::function_ref<std::string(Operation &)> labelOf) {
  OpBuilder b(fn.getContext());
  SmallVector<Attribute> names;
  llvm::StringMap<int64_t> ids;
  auto insertMark = [&](Operation *before, int64_t layer) {
    b.setInsertionPoint(before);
    Value id = arith::ConstantIntOp::create(b, before->getLoc(), b.getI64Type(), layer);
    func::CallOp::create(b, before->getLoc(), mark, ValueRange{id});
  };
  for (Operation &op : llvm::make_early_inc_range(fn.getBody().front())) {
    if (isa<cnn::CnnDialect>(op.getDialect())) {
      auto [it, fresh] = ids.try_emplace(labelOf(op), (int64_t)names.size());
      if (fresh)
        names.push_back(b.getStringAttr(it->first()));
      insertMark(&op, it->second);
    } else if (isa<func::ReturnOp>(op)) {
      insertMark(&op, (int64_t)names.size()); // end of the last layer
    }
  }
  return b.getArrayAttr(names);
}

struct InstrumentLayersPass : cnnc::impl::InstrumentLayersPassBase<InstrumentLayersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward || forward.isExternal())
      return;
    OpBuilder b(module.getContext());
    b.setInsertionPointToStart(module.getBody());
    auto markType = b.getFunctionType({b.getI64Type()}, {});
    auto mark = func::FuncOp::create(b, module.getLoc(), cnnc::kProfileMarkFunction, markType);
    mark.setPrivate();
    module->setAttr(mlir::cnn::attr_names::kLayers, instrument(forward, mark, nodeName));
    // The training step's ops are the forward's, their gradients and the
    // optimizer's updates, several per node: each is labelled "node op".
    auto trainStep = module.lookupSymbol<func::FuncOp>("train_step");
    if (!trainStep || trainStep.isExternal())
      return;
    module->setAttr(mlir::cnn::attr_names::kTrainLayers,
                    instrument(trainStep, mark, [](Operation &op) {
                      std::string kind = op.getName().stripDialect().str();
                      std::string node = nodeName(op);
                      return node == kind ? kind : node + " " + kind;
                    }));
  }
};
} // namespace
