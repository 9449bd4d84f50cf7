//===- BuildTrainStep.cpp - reverse-mode autodiff on the cnn dialect -------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"

#include "Cnn/CnnDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"

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

/// What the forward graph's arguments are, and the training settings.
struct StepPlan {
  mutable func::FuncOp forward; // an op handle: its accessors are not const
  DictionaryAttr training;
  SmallVector<unsigned> inputArgs, paramArgs, learnable;
  llvm::DenseSet<Value> runningStats;
  int64_t batch = 0;
  StringRef optimizer;
  unsigned slots = 1; // optimizer state buffers per learnable parameter

  Block &fbody() const { return forward.getBody().front(); }
  double number(StringRef key, double dflt) const {
    auto a = training.getAs<FloatAttr>(key);
    return a ? a.getValueAsDouble() : dflt;
  }
  bool adam() const { return optimizer == "adam" || optimizer == "adamw"; }
  Attribute paramName(unsigned i) const {
    return forward.getArgAttr(i, mlir::cnn::attr_names::kParam);
  }
  /// The forward argument of each optimizer state buffer, slot-major.
  SmallVector<unsigned> stateArgs() const {
    SmallVector<unsigned> args;
    for (unsigned slot = 0; slot < slots; ++slot)
      llvm::append_range(args, learnable);
    return args;
  }
};

/// The forward replay and its gradients, in one function body.
struct Backward {
  Value loss;
  SmallVector<Value> grads;    // per learnable parameter; null off the loss's path
  SmallVector<Value> newStats; // updated running statistics, paramArgs order
  SmallVector<unsigned> statArgs;
};

/// The optimizer applied to every learnable parameter.
struct Update {
  SmallVector<Value> newParams, newBuffers; // buffers slot-major
  SmallVector<Value> appliedGrads;          // after clipping; zeros off the path
};

/// A signature under construction: types with their attribute dictionaries.
struct Signature {
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> attrs;
  void add(Type t, DictionaryAttr a) {
    types.push_back(t);
    attrs.push_back(a);
  }
};

/// A function's results under construction: the values and their signature.
struct Results {
  Signature signature;
  SmallVector<Value> values;
  void add(Value v, DictionaryAttr a) {
    values.push_back(v);
    signature.add(v.getType(), a);
  }
};

/// The step's leading arguments once mapped: labels and rng, and the
/// position of the first argument after the parameters.
struct BatchArgs {
  Value labels, rng;
  unsigned next = 0;
};

struct BuildTrainStepPass : cnnc::impl::BuildTrainStepPassBase<BuildTrainStepPass>,
                            cnn::GradientSink {
  using BuildTrainStepPassBase::BuildTrainStepPassBase;
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

  FailureOr<Backward> differentiate(OpBuilder &b, Block *body, IRMapping &map, Value labels,
                                    Value rng, bool crossReplica);
  Update applyOptimizer(OpBuilder &b, ArrayRef<Value> params, ArrayRef<Value> paramGrads,
                        ArrayRef<Value> buffers, Value lr, Value optimizerStep);
  func::FuncOp createFunction(OpBuilder &b, StringRef name, const Signature &args);
  void finishFunction(OpBuilder &b, func::FuncOp fn, const Signature &args,
                      const Results &results);
  BatchArgs mapBatchAndParams(Block *body, IRMapping &map);
  /// `values[k]` named `key` = the name of forward argument `args[k]`.
  void addNamed(OpBuilder &b, Results &results, ArrayRef<Value> values, StringRef key,
                ArrayRef<unsigned> args);
  LogicalResult buildTrainStep(OpBuilder &b, bool replicated);

  StepPlan plan;
  llvm::DenseMap<Value, Value> grads;
  llvm::DenseMap<Operation *, Operation *> trainOf; // batchnorm -> batchnorm_train
  llvm::DenseSet<Value> needsGrad;
};

DictionaryAttr named(OpBuilder &b, StringRef key, Attribute v) {
  return b.getDictionaryAttr(b.getNamedAttr(key, v));
}

/// A zero tensor shaped as `like`.
Value zerosLike(OpBuilder &b, Location loc, Value like) {
  return cnn::BroadcastToOp::create(b, loc, like.getType(),
                                    cnn::ReduceToOp::create(b, loc, f32(b, {1}), like),
                                    b.getF64FloatAttr(0.0));
}

/// Replays @forward into `body` (batchnorm in training mode, dropout on
/// `rng`), applies the loss and walks the ops backwards. `map` holds the
/// forward's inputs and parameters. With `crossReplica`, batchnorm's
/// statistics and the loss's mean run over every data-parallel replica.
FailureOr<Backward> BuildTrainStepPass::differentiate(OpBuilder &b, Block *body, IRMapping &map,
                                                      Value labels, Value rng,
                                                      bool crossReplica) {
  grads.clear();
  trainOf.clear();
  needsGrad.clear();
  Block &fbody = plan.fbody();
  Location loc = plan.forward.getLoc();
  Value logitsF = fbody.getTerminator()->getOperand(0);
  b.setInsertionPointToEnd(body);
  // Padding rows (label -1: a batch below the compiled one) stay out of
  // batchnorm's statistics; the loss leaves them out by their label.
  Value rows = cnn::LabelMaskOp::create(b, loc, f32(b, {plan.batch}), labels);
  SmallVector<Operation *> replayed;
  llvm::DenseMap<Value, Value> newRunning; // forward running stat -> updated value
  for (Operation &op : fbody.without_terminator()) {
    if (auto bn = dyn_cast<cnn::BatchNormOp>(op)) {
      Value x = map.lookup(bn.getInput());
      auto chType = bn.getWeight().getType();
      auto train = cnn::BatchNormTrainOp::create(
          b, bn.getLoc(), TypeRange{x.getType(), chType, chType, chType, chType}, x,
          map.lookup(bn.getWeight()), map.lookup(bn.getBias()), map.lookup(bn.getRunningMean()),
          map.lookup(bn.getRunningVar()), rows, bn.getEpsilonAttr(), bn.getMomentumAttr(),
          crossReplica ? b.getUnitAttr() : UnitAttr());
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
      b, loc, TypeRange{f32(b, {1}), logits.getType()}, logits, labels,
      crossReplica ? b.getUnitAttr() : UnitAttr());

  // Values that need gradients: everything downstream of a learnable param.
  for (unsigned i : plan.learnable)
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
    b.setInsertionPointToEnd(body);
    auto differentiable = dyn_cast<cnn::DifferentiableOpInterface>(op);
    if (!differentiable) {
      op->emitError("has no gradient rule");
      return failure();
    }
    if (failed(differentiable.buildGradients(b, g->second, *this)))
      return failure();
  }
  // The clones of batchnorm only served as differentiation anchors.
  for (auto &[clone, train] : trainOf)
    clone->erase();
  b.setInsertionPointToEnd(body);

  Backward result;
  result.loss = xent.getLoss();
  for (unsigned i : plan.learnable)
    result.grads.push_back(grads.lookup(map.lookup(fbody.getArgument(i))));
  for (unsigned i : plan.paramArgs)
    if (auto it = newRunning.find(fbody.getArgument(i)); it != newRunning.end()) {
      result.newStats.push_back(it->second);
      result.statArgs.push_back(i);
    }
  return result;
}

/// Gradient clipping, then one optimizer update per learnable parameter
/// (`paramGrads[k]` null: not on the loss's path).
Update BuildTrainStepPass::applyOptimizer(OpBuilder &b, ArrayRef<Value> params,
                                          ArrayRef<Value> paramGrads, ArrayRef<Value> buffers,
                                          Value lr, Value optimizerStep) {
  Location loc = plan.forward.getLoc();
  size_t numLearnable = params.size();
  double weightDecay = plan.number("weight_decay", 0.0);
  Update u;
  u.newBuffers.resize(plan.slots * numLearnable);
  SmallVector<Value> g(paramGrads.begin(), paramGrads.end());
  // Gradient clipping by the global norm of the gradients on the loss's path
  // (torch's clip_grad_norm_ skips parameters whose grad is None).
  if (double maxNorm = plan.number("clip_grad_norm", 0.0); maxNorm > 0) {
    SmallVector<Value> onPath;
    SmallVector<size_t> where;
    for (auto [k, gk] : llvm::enumerate(g))
      if (gk) {
        onPath.push_back(gk);
        where.push_back(k);
      }
    if (!onPath.empty()) {
      auto clip = cnn::ClipGradNormOp::create(b, loc, ValueRange(onPath).getTypes(), onPath,
                                              b.getF64FloatAttr(maxNorm));
      for (auto [k, c] : llvm::zip(where, clip.getClipped()))
        g[k] = c;
    }
  }
  bool nesterov = plan.training.getAs<BoolAttr>("nesterov") &&
                  plan.training.getAs<BoolAttr>("nesterov").getValue();
  for (size_t k = 0; k < numLearnable; ++k) {
    Value p = params[k];
    if (!g[k]) {
      // Not on the loss's path: like torch.optim.SGD with p.grad None, the
      // parameter and its buffer stay as they are; the gradient is zero.
      u.newParams.push_back(p);
      for (unsigned slot = 0; slot < plan.slots; ++slot)
        u.newBuffers[slot * numLearnable + k] = buffers[slot * numLearnable + k];
      u.appliedGrads.push_back(zerosLike(b, loc, p));
      continue;
    }
    if (plan.adam()) {
      Type t = p.getType();
      auto update = cnn::AdamUpdateOp::create(
          b, loc, TypeRange{t, t, t}, p, g[k], buffers[k], buffers[numLearnable + k], lr,
          optimizerStep, b.getF64FloatAttr(plan.number("beta1", 0.9)),
          b.getF64FloatAttr(plan.number("beta2", 0.999)),
          b.getF64FloatAttr(plan.number("eps", 1e-8)), b.getF64FloatAttr(weightDecay),
          b.getBoolAttr(plan.optimizer == "adamw"));
      u.newParams.push_back(update.getNewParam());
      u.newBuffers[k] = update.getNewExpAvg();
      u.newBuffers[numLearnable + k] = update.getNewExpAvgSq();
    } else {
      auto sgd = cnn::SgdUpdateOp::create(
          b, loc, TypeRange{p.getType(), p.getType()}, p, g[k], buffers[k], lr,
          b.getF64FloatAttr(plan.number("momentum", 0.0)), b.getF64FloatAttr(weightDecay),
          b.getBoolAttr(nesterov));
      u.newParams.push_back(sgd.getNewParam());
      u.newBuffers[k] = sgd.getNewBuffer();
    }
    u.appliedGrads.push_back(g[k]);
  }
  return u;
}

func::FuncOp BuildTrainStepPass::createFunction(OpBuilder &b, StringRef name,
                                                const Signature &args) {
  auto fn = func::FuncOp::create(b, plan.forward.getLoc(), name,
                                 b.getFunctionType(args.types, {}));
  fn.addEntryBlock();
  for (auto [i, d] : llvm::enumerate(args.attrs))
    fn.setArgAttrs(i, d);
  b.setInsertionPointAfter(fn);
  return fn;
}

void BuildTrainStepPass::finishFunction(OpBuilder &b, func::FuncOp fn, const Signature &args,
                                        const Results &results) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(&fn.getBody().front());
  func::ReturnOp::create(b, fn.getLoc(), results.values);
  fn.setType(b.getFunctionType(args.types, results.signature.types));
  for (auto [i, d] : llvm::enumerate(results.signature.attrs))
    fn.setResultAttrs(i, d);
}

/// Maps @forward's inputs and parameters to `body`'s arguments, laid out
/// as batchAndParams lays them out.
BatchArgs BuildTrainStepPass::mapBatchAndParams(Block *body, IRMapping &map) {
  Block &fbody = plan.fbody();
  BatchArgs a;
  for (unsigned i : plan.inputArgs)
    map.map(fbody.getArgument(i), body->getArgument(a.next++));
  a.labels = body->getArgument(a.next++);
  a.rng = body->getArgument(a.next++);
  for (unsigned i : plan.paramArgs)
    map.map(fbody.getArgument(i), body->getArgument(a.next++));
  return a;
}

void BuildTrainStepPass::addNamed(OpBuilder &b, Results &results, ArrayRef<Value> values,
                                  StringRef key, ArrayRef<unsigned> args) {
  for (auto [v, i] : llvm::zip_equal(values, args))
    results.add(v, named(b, key, plan.paramName(i)));
}

/// Arguments shared by the step and the gradients: inputs..., labels, rng,
/// params... (entries mapped in `map` once the function exists).
Signature batchAndParams(OpBuilder &b, const StepPlan &plan) {
  Signature sig;
  for (unsigned i : plan.inputArgs)
    sig.add(plan.fbody().getArgument(i).getType(), plan.forward.getArgAttrDict(i));
  sig.add(RankedTensorType::get({plan.batch}, b.getI64Type()),
          named(b, mlir::cnn::attr_names::kLabels, b.getUnitAttr()));
  // {seed, step}: dropout's masks are a hash of these (always present, so
  // the entry point's signature does not depend on the model).
  sig.add(RankedTensorType::get({2}, b.getI64Type()),
          named(b, mlir::cnn::attr_names::kRng, b.getUnitAttr()));
  for (unsigned i : plan.paramArgs)
    sig.add(plan.fbody().getArgument(i).getType(), plan.forward.getArgAttrDict(i));
  return sig;
}

/// Optimizer state (slot-major), the learning rate and the steps taken.
void addOptimizerArgs(OpBuilder &b, const StepPlan &plan, Signature &sig) {
  for (unsigned i : plan.stateArgs())
    sig.add(plan.fbody().getArgument(i).getType(),
            named(b, mlir::cnn::attr_names::kMomentumBuffer, plan.paramName(i)));
  sig.add(f32(b, {1}), named(b, mlir::cnn::attr_names::kLearningRate, b.getUnitAttr()));
  // Always present, so that the signature does not depend on the optimizer.
  sig.add(RankedTensorType::get({1}, b.getI64Type()),
          named(b, mlir::cnn::attr_names::kOptimizerStep, b.getUnitAttr()));
}

/// @train_step(inputs..., labels, rng, params..., state..., lr, step)
///   -> (loss, new learnable params..., new state..., grads..., new running stats...)
/// `replicated` (--data-parallel) builds @train_step_replicated instead, the
/// step of one replica: batchnorm's statistics and the loss's mean run over
/// every replica, and each gradient is summed over the replicas as soon as
/// it is complete, before the optimizer applies it (every replica applies
/// the same sums, so their parameters stay equal).
LogicalResult BuildTrainStepPass::buildTrainStep(OpBuilder &b, bool replicated) {
  Signature args = batchAndParams(b, plan);
  addOptimizerArgs(b, plan, args);
  func::FuncOp step = createFunction(
      b, replicated ? cnnc::kTrainStepReplicatedFunction : cnnc::kTrainStepFunction, args);
  Block *body = &step.getBody().front();
  IRMapping map;
  BatchArgs batch = mapBatchAndParams(body, map);
  size_t n = plan.learnable.size();
  SmallVector<Value> buffers(body->getArguments().slice(batch.next, plan.slots * n));
  Value lr = body->getArgument(batch.next + plan.slots * n);
  Value optimizerStep = body->getArgument(batch.next + plan.slots * n + 1);

  OpBuilder::InsertionGuard guard(b);
  FailureOr<Backward> backward =
      differentiate(b, body, map, batch.labels, batch.rng, /*crossReplica=*/replicated);
  if (failed(backward))
    return failure();
  SmallVector<Value> grads = backward->grads;
  if (replicated) {
    // Summed right where each gradient is complete, in backward order, so
    // that each sum reads a gradient still in cache, and those of one op
    // (batchnorm's weight and bias) in one collective call; every replica
    // reaches the same sums in the same order.
    llvm::MapVector<Operation *, SmallVector<size_t>> byProducer;
    for (auto [k, g] : llvm::enumerate(grads))
      if (g)
        byProducer[g.getDefiningOp()].push_back(k);
    OpBuilder::InsertionGuard atSum(b);
    for (auto &[producer, ks] : byProducer) {
      SmallVector<Value> parts;
      for (size_t k : ks)
        parts.push_back(grads[k]);
      b.setInsertionPointAfterValue(parts.front());
      auto sum = cnn::CrossReplicaSumOp::create(b, parts.front().getLoc(), parts);
      for (auto [k, summed] : llvm::zip_equal(ks, sum.getResults()))
        grads[k] = summed;
    }
  }
  SmallVector<Value> params;
  for (unsigned i : plan.learnable)
    params.push_back(map.lookup(plan.fbody().getArgument(i)));
  Update u = applyOptimizer(b, params, grads, buffers, lr, optimizerStep);

  Results results;
  results.add(backward->loss, named(b, mlir::cnn::attr_names::kLoss, b.getUnitAttr()));
  addNamed(b, results, u.newParams, mlir::cnn::attr_names::kNewParam, plan.learnable);
  addNamed(b, results, u.newBuffers, mlir::cnn::attr_names::kNewBuffer, plan.stateArgs());
  addNamed(b, results, u.appliedGrads, mlir::cnn::attr_names::kGrad, plan.learnable);
  addNamed(b, results, backward->newStats, mlir::cnn::attr_names::kNewParam, backward->statArgs);
  finishFunction(b, step, args, results);
  if (replicated)
    return success();

  // The artifact's metadata names the step's parameters in argument order.
  SmallVector<Attribute> learnableNames, statNames;
  for (unsigned i : plan.learnable)
    learnableNames.push_back(plan.paramName(i));
  for (unsigned i : backward->statArgs)
    statNames.push_back(plan.paramName(i));
  ModuleOp module = getOperation();
  module->setAttr(mlir::cnn::attr_names::kTrainLearnable, b.getArrayAttr(learnableNames));
  module->setAttr(mlir::cnn::attr_names::kTrainRunningStats, b.getArrayAttr(statNames));
  return success();
}

void BuildTrainStepPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto forward = module.lookupSymbol<func::FuncOp>(cnnc::kForwardFunction);
  auto training = module->getAttrOfType<DictionaryAttr>(mlir::cnn::attr_names::kTraining);
  if (!forward || !training || module.lookupSymbol(cnnc::kTrainStepFunction))
    return;
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
  } else if (auto logits = dyn_cast<ShapedType>(forward.getResultTypes()[0]);
             !logits || logits.getRank() != 2) {
    // The loss is a classifier's: a segmentation map has no per-pixel loss here.
    Value out = fbody.getTerminator()->getOperand(0);
    Operation *producer = out.getDefiningOp();
    (producer ? producer->emitError() : forward.emitError())
        << "--train: the loss softmax_cross_entropy takes [batch, classes] logits; the "
           "model's output is "
        << out.getType();
    unsupported = true;
  }
  if (unsupported)
    return signalPassFailure();

  auto lossKind = training.getAs<StringAttr>("loss");
  if (!lossKind || lossKind.getValue() != "softmax_cross_entropy") {
    module.emitError("--train: loss must be softmax_cross_entropy");
    return signalPassFailure();
  }
  plan = StepPlan();
  plan.forward = forward;
  plan.training = training;
  auto optimizerAttr = training.getAs<StringAttr>("optimizer");
  plan.optimizer = optimizerAttr ? optimizerAttr.getValue() : "sgd";
  // Optimizer state per learnable parameter: SGD's momentum buffer, or
  // Adam's first and second moments.
  plan.slots = plan.adam() ? 2 : 1;

  // Classify forward arguments.
  for (Operation &op : fbody)
    if (auto bn = dyn_cast<cnn::BatchNormOp>(op)) {
      plan.runningStats.insert(bn.getRunningMean());
      plan.runningStats.insert(bn.getRunningVar());
    }
  for (BlockArgument a : fbody.getArguments())
    (forward.getArgAttr(a.getArgNumber(), mlir::cnn::attr_names::kParam) ? plan.paramArgs
                                                                        : plan.inputArgs)
        .push_back(a.getArgNumber());
  for (unsigned i : plan.paramArgs)
    if (!plan.runningStats.contains(fbody.getArgument(i)))
      plan.learnable.push_back(i);
  plan.batch = shapeOf(fbody.getTerminator()->getOperand(0))[0];

  OpBuilder b(&getContext());
  b.setInsertionPointAfter(forward);
  if (failed(buildTrainStep(b, /*replicated=*/false)))
    return signalPassFailure();
  if (dataParallel && failed(buildTrainStep(b, /*replicated=*/true)))
    return signalPassFailure();
}

} // namespace
