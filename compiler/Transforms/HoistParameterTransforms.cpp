//===- HoistParameterTransforms.cpp - load-time parameter preparation ------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/SetVector.h"

namespace cnnc {
#define GEN_PASS_DEF_HOISTPARAMETERTRANSFORMSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

int64_t elementsOf(Type t) {
  auto shaped = dyn_cast<ShapedType>(t);
  return shaped && shaped.hasStaticShape() ? shaped.getNumElements() : 1;
}

struct HoistParameterTransformsPass
    : cnnc::impl::HoistParameterTransformsPassBase<HoistParameterTransformsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>(cnnc::kForwardFunction);
    if (!forward || forward.isExternal() || module.lookupSymbol("prepare"))
      return;
    Block &body = forward.getBody().front();

    // Values computable from parameters alone, and the ops computing them.
    llvm::DenseSet<Value> fromParams;
    for (BlockArgument a : body.getArguments())
      if (forward.getArgAttr(a.getArgNumber(), mlir::cnn::attr_names::kParam))
        fromParams.insert(a);
    llvm::SetVector<Operation *> hoisted;
    for (Operation &op : body) {
      if (op.getNumResults() == 0 || !isPure(&op) || op.hasTrait<OpTrait::IsTerminator>() ||
          op.hasAttr(mlir::cnn::attr_names::kLayoutView))
        continue;
      bool anyParam = false, allParamOrConst = true;
      int64_t inElems = 0, outElems = 0;
      llvm::SetVector<Value> captured;
      getUsedValuesDefinedAbove(op.getRegions(), captured);
      SmallVector<Value> uses(op.getOperands());
      uses.append(captured.begin(), captured.end());
      for (Value v : uses) {
        bool p = fromParams.contains(v);
        Operation *def = v.getDefiningOp();
        bool constLike = def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
                         isPure(def);
        anyParam |= p;
        allParamOrConst &= p || constLike;
      }
      for (Value v : op.getOperands())
        if (fromParams.contains(v))
          inElems += elementsOf(v.getType());
      for (Value r : op.getResults())
        outElems += elementsOf(r.getType());
      // Nothing that grows its operands (a broadcast would fill @prepare's
      // results with copies), except a pad of at most 4x: int8 filters are
      // padded to whole channel quads, cheaper prepared once than per call.
      // A marked transform into a load-time layout (a Winograd filter's
      // (m + 2)^2 / 9 times the filter) grows by design.
      bool grows = op.hasAttr(mlir::cnn::attr_names::kPreparedTransform) ? false
                   : isa<tensor::PadOp>(op) ? outElems > 4 * inElems
                                            : outElems > inElems;
      if (anyParam && allParamOrConst && !grows) {
        hoisted.insert(&op);
        for (Value r : op.getResults())
          fromParams.insert(r);
      }
    }
    // An accumulator's initial value (the bias broadcast that a batch-1 dense
    // layer or a conv over a 1x1 map accumulates into, and its filter
    // blocks' slices of it) stays in @forward: prepared values are
    // read-only, so it would be copied on every call anyway, and a first
    // filter block whose slice came from @prepare was unlike the other
    // blocks, whose chain then formed no single parallel loop (VGG-11's
    // classifier at batch 1: one loop per 64-channel block).
    for (bool changed = true; changed;) {
      SmallVector<Operation *> initializers;
      for (Operation *op : hoisted)
        if (llvm::any_of(op->getUses(), [&](OpOperand &use) {
              auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
              return dps && !hoisted.contains(use.getOwner()) && dps.isDpsInit(&use);
            }))
          initializers.push_back(op);
      for (Operation *op : initializers)
        hoisted.remove(op);
      changed = !initializers.empty();
    }
    // Prepared values: hoisted results used by ops that stay.
    llvm::SetVector<Value> prepared;
    for (Operation *op : hoisted)
      for (Value r : op->getResults())
        for (Operation *user : r.getUsers())
          if (!hoisted.contains(user))
            prepared.insert(r);
    if (prepared.empty())
      return;

    // Build @prepare(params...) -> (prepared...).
    OpBuilder b(module.getContext());
    b.setInsertionPoint(forward);
    SmallVector<Type> paramTypes;
    SmallVector<BlockArgument> paramArgs;
    for (BlockArgument a : body.getArguments())
      if (forward.getArgAttr(a.getArgNumber(), mlir::cnn::attr_names::kParam)) {
        paramTypes.push_back(a.getType());
        paramArgs.push_back(a);
      }
    SmallVector<Type> preparedTypes;
    for (Value v : prepared)
      preparedTypes.push_back(v.getType());
    auto prepare = func::FuncOp::create(b, forward.getLoc(), "prepare",
                                        b.getFunctionType(paramTypes, preparedTypes));
    Block *pBody = prepare.addEntryBlock();
    IRMapping map;
    for (auto [i, a] : llvm::enumerate(paramArgs)) {
      map.map(a, pBody->getArgument(i));
      prepare.setArgAttr(i, mlir::cnn::attr_names::kParam, forward.getArgAttr(a.getArgNumber(), mlir::cnn::attr_names::kParam));
    }
    b.setInsertionPointToStart(pBody);
    for (Operation *op : hoisted) {
      llvm::SetVector<Value> uses(op->getOperands().begin(), op->getOperands().end());
      getUsedValuesDefinedAbove(op->getRegions(), uses);
      for (Value v : uses)
        if (Operation *def = v.getDefiningOp(); def && !map.contains(v) && !hoisted.contains(def))
          b.clone(*def, map); // constants, tensor.empty
      b.clone(*op, map);
    }
    SmallVector<Value> results;
    for (Value v : prepared)
      results.push_back(map.lookup(v));
    func::ReturnOp::create(b, forward.getLoc(), results);
    // Shapes survive bufferization and the LLVM lowering as an attribute.
    SmallVector<Attribute> shapes;
    for (Type t : preparedTypes)
      shapes.push_back(b.getDenseI64ArrayAttr(cast<ShapedType>(t).getShape()));
    prepare->setAttr(mlir::cnn::attr_names::kPreparedShapes, b.getArrayAttr(shapes));

    // @forward takes the prepared tensors as trailing parameters, read-only:
    // every session of a library shares them, and an op that accumulates
    // into one (a batch-1 dense layer's bias, its accumulator's initial
    // value) would otherwise be bufferized in place and change it run
    // after run; bufferization copies a non-writable argument first.
    for (auto [i, pv] : llvm::enumerate(prepared)) {
      Value v = pv;
      unsigned index = forward.getNumArguments();
      NamedAttribute attrs[] = {
          b.getNamedAttr(mlir::cnn::attr_names::kPrepared, b.getI64IntegerAttr(i)),
          b.getNamedAttr(bufferization::BufferizationDialect::kWritableAttrName,
                         b.getBoolAttr(false))};
      if (failed(forward.insertArgument(index, v.getType(), b.getDictionaryAttr(attrs),
                                        forward.getLoc())))
        return signalPassFailure();
      v.replaceAllUsesWith(forward.getArgument(index));
    }
    for (Operation *op : llvm::reverse(hoisted))
      if (op->use_empty())
        op->erase();
  }
};

} // namespace
