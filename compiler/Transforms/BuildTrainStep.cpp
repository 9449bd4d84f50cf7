//===- BuildTrainStep.cpp - reverse-mode autodiff on the cnn dialect -------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"

#include "Cnn/CnnDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/DenseMap.h"

namespace cnnc {
#define GEN_PASS_DEF_BUILDTRAINSTEPPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

RankedTensorType f32(OpBuilder &b, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, b.getF32Type());
}
ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

std::string nodeName(Operation *op) {
  if (auto n = dyn_cast<NameLoc>(op->getLoc()))
    return n.getName().str();
  return op->getName().stripDialect().str();
}

/// 32-bit FNV-1a: a dropout node's mask salt, from its name, so that masks
/// do not depend on where the node sits in the graph.
uint32_t fnv1a(StringRef s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

struct BuildTrainStepPass : cnnc::impl::BuildTrainStepPassBase<BuildTrainStepPass>,
                            cnn::GradientSink {
  void runOnOperation() override;

  bool needs(Value v) const override { return needsGrad.contains(v); }

  void accumulate(OpBuilder &b, Location loc, Value v, Value g) override {
    if (!g)
      return;
    auto it = grads.find(v);
    if (it == grads.end()) {
      grads[v] = g;
      return;
    }
    it->second = cnn::AddOp::create(b, loc, it->second.getType(), it->second, g);
  }

  Operation *trainingFormOf(Operation *op) const override { return trainOf.lookup(op); }

  llvm::DenseMap<Value, Value> grads;
  llvm::DenseMap<Operation *, Operation *> trainOf; // batchnorm -> batchnorm_train
  llvm::DenseSet<Value> needsGrad;
};

void BuildTrainStepPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  auto training = module->getAttrOfType<DictionaryAttr>(mlir::cnn::attr_names::kTraining);
  if (!forward || !training || module.lookupSymbol("train_step"))
    return;
  MLIRContext *ctx = &getContext();
  Block &fbody = forward.getBody().front();

  // Every op must be differentiable; report all that are not.
  bool unsupported = false;
  for (Operation &op : fbody) {
    bool ok = isa<cnn::DifferentiableOpInterface, func::ReturnOp>(op) ||
              !isa<cnn::CnnDialect>(op.getDialect());
    if (!ok) {
      op.emitError("--train: no gradient rule for '")
          << op.getName().stripDialect() << "' yet";
      unsupported = true;
    }
  }
  if (forward.getNumResults() != 1) {
    forward.emitError("--train needs a model with exactly one output (the logits)");
    unsupported = true;
  }
  if (unsupported)
    return signalPassFailure();

  auto lossKind = training.getAs<StringAttr>("loss");
  if (!lossKind || lossKind.getValue() != "softmax_cross_entropy") {
    module.emitError("--train: loss must be softmax_cross_entropy");
    return signalPassFailure();
  }
  auto num = [&](StringRef k, double dflt) {
    auto a = training.getAs<FloatAttr>(k);
    return a ? a.getValueAsDouble() : dflt;
  };
  double momentum = num("momentum", 0.0), weightDecay = num("weight_decay", 0.0);
  auto optimizerAttr = training.getAs<StringAttr>("optimizer");
  StringRef optimizer = optimizerAttr ? optimizerAttr.getValue() : "sgd";
  bool adam = optimizer == "adam" || optimizer == "adamw";
  // Optimizer state per learnable parameter: SGD's momentum buffer, or
  // Adam's first and second moments.
  unsigned slots = adam ? 2 : 1;
  bool nesterov = training.getAs<BoolAttr>("nesterov") &&
                  training.getAs<BoolAttr>("nesterov").getValue();

  // Classify forward arguments.
  SmallVector<unsigned> inputArgs, paramArgs;
  llvm::DenseSet<Value> runningStats;
  for (Operation &op : fbody)
    if (auto bn = dyn_cast<cnn::BatchNormOp>(op)) {
      runningStats.insert(bn.getRunningMean());
      runningStats.insert(bn.getRunningVar());
    }
  for (BlockArgument a : fbody.getArguments())
    (forward.getArgAttr(a.getArgNumber(), mlir::cnn::attr_names::kParam) ? paramArgs : inputArgs)
        .push_back(a.getArgNumber());
  SmallVector<unsigned> learnable;
  for (unsigned i : paramArgs)
    if (!runningStats.contains(fbody.getArgument(i)))
      learnable.push_back(i);

  // Signature.
  OpBuilder b(ctx);
  b.setInsertionPointAfter(forward);
  Location loc = forward.getLoc();
  Value logitsF = fbody.getTerminator()->getOperand(0);
  int64_t batch = shapeOf(logitsF)[0];
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  auto named = [&](StringRef key, Attribute v) {
    return b.getDictionaryAttr(b.getNamedAttr(key, v));
  };
  for (unsigned i : inputArgs) {
    argTypes.push_back(fbody.getArgument(i).getType());
    argAttrs.push_back(forward.getArgAttrDict(i));
  }
  argTypes.push_back(RankedTensorType::get({batch}, b.getI64Type()));
  argAttrs.push_back(named(mlir::cnn::attr_names::kLabels, b.getUnitAttr()));
  // {seed, step}: dropout's masks are a hash of these (always present, so
  // the entry point's signature does not depend on the model).
  argTypes.push_back(RankedTensorType::get({2}, b.getI64Type()));
  argAttrs.push_back(named(mlir::cnn::attr_names::kRng, b.getUnitAttr()));
  for (unsigned i : paramArgs) {
    argTypes.push_back(fbody.getArgument(i).getType());
    argAttrs.push_back(forward.getArgAttrDict(i));
  }
  for (unsigned slot = 0; slot < slots; ++slot)
    for (unsigned i : learnable) {
      argTypes.push_back(fbody.getArgument(i).getType());
      argAttrs.push_back(named(mlir::cnn::attr_names::kMomentumBuffer,
                               forward.getArgAttr(i, mlir::cnn::attr_names::kParam)));
    }
  argTypes.push_back(f32(b, {1}));
  argAttrs.push_back(named(mlir::cnn::attr_names::kLearningRate, b.getUnitAttr()));
  // Always present, so that the signature does not depend on the optimizer.
  argTypes.push_back(RankedTensorType::get({1}, b.getI64Type()));
  argAttrs.push_back(named(mlir::cnn::attr_names::kOptimizerStep, b.getUnitAttr()));

  auto step = func::FuncOp::create(b, loc, "train_step", b.getFunctionType(argTypes, {}));
  Block *body = step.addEntryBlock();
  for (auto [i, d] : llvm::enumerate(argAttrs))
    step.setArgAttrs(i, d);
  IRMapping map;
  unsigned pos = 0;
  for (unsigned i : inputArgs)
    map.map(fbody.getArgument(i), body->getArgument(pos++));
  Value labels = body->getArgument(pos++);
  Value rng = body->getArgument(pos++);
  for (unsigned i : paramArgs)
    map.map(fbody.getArgument(i), body->getArgument(pos++));
  SmallVector<Value> buffers; // slot-major: slot s of learnable k at s * L + k
  for (size_t k = 0; k < slots * learnable.size(); ++k)
    buffers.push_back(body->getArgument(pos++));
  Value lr = body->getArgument(pos++);
  Value optimizerStep = body->getArgument(pos++);

  // Forward replay, batchnorm in training mode.
  b.setInsertionPointToStart(body);
  // Padding rows (label -1: a batch below the compiled one) stay out of
  // batchnorm's statistics; the loss leaves them out by their label.
  Value rows = cnn::LabelMaskOp::create(b, loc, f32(b, {batch}), labels);
  SmallVector<Operation *> replayed;
  llvm::DenseMap<Value, Value> newRunning; // forward running stat -> updated value
  for (Operation &op : fbody.without_terminator()) {
    if (auto bn = dyn_cast<cnn::BatchNormOp>(op)) {
      Value x = map.lookup(bn.getInput());
      auto chType = bn.getWeight().getType();
      auto train = cnn::BatchNormTrainOp::create(
          b, bn.getLoc(), TypeRange{x.getType(), chType, chType, chType, chType}, x,
          map.lookup(bn.getWeight()), map.lookup(bn.getBias()), map.lookup(bn.getRunningMean()),
          map.lookup(bn.getRunningVar()), rows, bn.getEpsilonAttr(), bn.getMomentumAttr());
      // Differentiate the clone as a batchnorm whose statistics are the batch's.
      Operation *clone = b.clone(op, map);
      clone->getResult(0).replaceAllUsesWith(train.getOutput());
      map.map(bn.getResult(), train.getOutput());
      trainOf[clone] = train;
      newRunning[bn.getRunningMean()] = train.getNewRunningMean();
      newRunning[bn.getRunningVar()] = train.getNewRunningVar();
      replayed.push_back(clone);
      continue;
    }
    // Dropout, and stochastic depth as dropout whose mask varies only along
    // the batch ("row") or not at all ("batch"): a counter-based mask.
    FloatAttr dropP;
    IntegerAttr maskDims;
    if (auto drop = dyn_cast<cnn::DropoutOp>(op)) {
      dropP = drop.getPAttr();
    } else if (auto depth = dyn_cast<cnn::StochasticDepthOp>(op)) {
      dropP = depth.getPAttr();
      maskDims = b.getI64IntegerAttr(depth.getMode() == "row" ? 1 : 0);
    }
    if (dropP && dropP.getValueAsDouble() > 0.0) {
      auto train = cnn::DropoutTrainOp::create(
          b, op.getLoc(), op.getResult(0).getType(), map.lookup(op.getOperand(0)), rng, dropP,
          b.getI64IntegerAttr(fnv1a(nodeName(&op))), maskDims);
      map.map(op.getResult(0), train.getOutput());
      replayed.push_back(train);
      continue;
    }
    replayed.push_back(b.clone(op, map));
  }
  Value logits = map.lookup(logitsF);
  auto xent = cnn::SoftmaxCrossEntropyOp::create(
      b, loc, TypeRange{f32(b, {1}), logits.getType()}, logits, labels);

  // Values that need gradients: everything downstream of a learnable param.
  for (unsigned i : learnable)
    needsGrad.insert(map.lookup(fbody.getArgument(i)));
  for (Operation *op : replayed)
    if (llvm::any_of(op->getOperands(), [&](Value v) { return needsGrad.contains(v); })) {
      for (Value r : op->getResults())
        needsGrad.insert(r);
      // A batchnorm_train result stands in for its anchor clone's output.
      if (auto it = trainOf.find(op); it != trainOf.end())
        needsGrad.insert(it->second->getResult(0));
    }

  grads[logits] = xent.getGrad();
  for (Operation *op : llvm::reverse(replayed)) {
    Value out = op->getResult(0);
    if (auto it = trainOf.find(op); it != trainOf.end())
      out = it->second->getResult(0);
    auto g = grads.find(out);
    if (g == grads.end())
      continue;
    b.setInsertionPoint(body, body->end());
    auto differentiable = dyn_cast<cnn::DifferentiableOpInterface>(op);
    if (!differentiable) {
      op->emitError("has no gradient rule");
      return signalPassFailure();
    }
    if (failed(differentiable.buildGradients(b, g->second, *this)))
      return signalPassFailure();
  }
  // The clones of batchnorm only served as differentiation anchors.
  for (auto &[clone, train] : trainOf)
    clone->erase();

  // SGD and results.
  b.setInsertionPoint(body, body->end());
  SmallVector<Value> results = {xent.getLoss()};
  SmallVector<DictionaryAttr> resultAttrs = {named(mlir::cnn::attr_names::kLoss, b.getUnitAttr())};
  size_t numLearnable = learnable.size();
  SmallVector<Value> newBuffers(slots * numLearnable), gradValues;
  // Gradient clipping by the global norm of the gradients on the loss's path
  // (torch's clip_grad_norm_ skips parameters whose grad is None).
  DenseMap<Value, Value> clippedOf;
  if (double maxNorm = num("clip_grad_norm", 0.0); maxNorm > 0) {
    SmallVector<Value> onPath;
    for (unsigned i : learnable)
      if (Value g = grads.lookup(map.lookup(fbody.getArgument(i))))
        onPath.push_back(g);
    if (!onPath.empty()) {
      auto clip = cnn::ClipGradNormOp::create(b, loc, ValueRange(onPath).getTypes(), onPath,
                                              b.getF64FloatAttr(maxNorm));
      for (auto [g, c] : llvm::zip(onPath, clip.getClipped()))
        clippedOf[g] = c;
    }
  }
  for (auto [k, i] : llvm::enumerate(learnable)) {
    Value p = map.lookup(fbody.getArgument(i));
    Value g = grads.lookup(p);
    if (Value c = clippedOf.lookup(g))
      g = c;
    resultAttrs.push_back(named(mlir::cnn::attr_names::kNewParam, forward.getArgAttr(i, mlir::cnn::attr_names::kParam)));
    if (!g) {
      // Not on the loss's path: like torch.optim.SGD with p.grad None, the
      // parameter and its buffer stay as they are; the gradient is zero.
      results.push_back(p);
      for (unsigned slot = 0; slot < slots; ++slot)
        newBuffers[slot * numLearnable + k] = buffers[slot * numLearnable + k];
      gradValues.push_back(cnn::BroadcastToOp::create(
          b, loc, p.getType(), cnn::ReduceToOp::create(b, loc, f32(b, {1}), p),
          b.getF64FloatAttr(0.0)));
      continue;
    }
    if (adam) {
      Type t = p.getType();
      auto update = cnn::AdamUpdateOp::create(
          b, loc, TypeRange{t, t, t}, p, g, buffers[k], buffers[numLearnable + k], lr,
          optimizerStep, b.getF64FloatAttr(num("beta1", 0.9)),
          b.getF64FloatAttr(num("beta2", 0.999)), b.getF64FloatAttr(num("eps", 1e-8)),
          b.getF64FloatAttr(weightDecay), b.getBoolAttr(optimizer == "adamw"));
      results.push_back(update.getNewParam());
      newBuffers[k] = update.getNewExpAvg();
      newBuffers[numLearnable + k] = update.getNewExpAvgSq();
    } else {
      auto sgd = cnn::SgdUpdateOp::create(b, loc, TypeRange{p.getType(), p.getType()}, p, g,
                                          buffers[k], lr, b.getF64FloatAttr(momentum),
                                          b.getF64FloatAttr(weightDecay), b.getBoolAttr(nesterov));
      results.push_back(sgd.getNewParam());
      newBuffers[k] = sgd.getNewBuffer();
    }
    gradValues.push_back(g);
  }
  for (unsigned slot = 0; slot < slots; ++slot)
    for (auto [k, i] : llvm::enumerate(learnable)) {
      results.push_back(newBuffers[slot * numLearnable + k]);
      resultAttrs.push_back(named(mlir::cnn::attr_names::kNewBuffer,
                                  forward.getArgAttr(i, mlir::cnn::attr_names::kParam)));
    }
  for (auto [k, i] : llvm::enumerate(learnable)) {
    results.push_back(gradValues[k]);
    resultAttrs.push_back(named(mlir::cnn::attr_names::kGrad, forward.getArgAttr(i, mlir::cnn::attr_names::kParam)));
  }
  for (unsigned i : paramArgs)
    if (auto it = newRunning.find(fbody.getArgument(i)); it != newRunning.end()) {
      results.push_back(it->second);
      resultAttrs.push_back(named(mlir::cnn::attr_names::kNewParam, forward.getArgAttr(i, mlir::cnn::attr_names::kParam)));
    }
  func::ReturnOp::create(b, loc, results);
  // The artifact's metadata names the step's parameters in argument order.
  SmallVector<Attribute> learnableNames, statNames;
  for (unsigned i : learnable)
    learnableNames.push_back(forward.getArgAttr(i, mlir::cnn::attr_names::kParam));
  for (unsigned i : paramArgs)
    if (newRunning.count(fbody.getArgument(i)))
      statNames.push_back(forward.getArgAttr(i, mlir::cnn::attr_names::kParam));
  module->setAttr(mlir::cnn::attr_names::kTrainLearnable, b.getArrayAttr(learnableNames));
  module->setAttr(mlir::cnn::attr_names::kTrainRunningStats, b.getArrayAttr(statNames));
  SmallVector<Type> resultTypes;
  for (Value r : results)
    resultTypes.push_back(r.getType());
  step.setType(b.getFunctionType(argTypes, resultTypes));
  for (auto [i, d] : llvm::enumerate(resultAttrs))
    step.setResultAttrs(i, d);
}

} // namespace
